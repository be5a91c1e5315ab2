"""Deploy checks: ``manage.py check --deploy`` warns about the embedded pieces in production.

DEBUG left on is reported by Django's own ``security.W018``.
"""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.database, deploy=True)
def check_production_services(app_configs, **kwargs):
    warnings = []
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        warnings.append(
            Warning(
                "The database is SQLite, the embedded default.",
                hint="Set DATABASE_URL=postgres://... for a competition with more than a handful of phones.",
                id="quiz.W001",
            )
        )
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if backend == "channels.layers.InMemoryChannelLayer":
        warnings.append(
            Warning(
                "The channel layer is in-process: broadcasts do not reach other server processes.",
                hint="Set REDIS_URL=redis://... so every daphne process receives every round event.",
                id="quiz.W002",
            )
        )
    return warnings
