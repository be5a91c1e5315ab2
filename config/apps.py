from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfigConfig(AppConfig):
    name = "config"
    verbose_name = _("Configuration")

    def ready(self) -> None:
        from config import checks  # noqa: F401  (registers the deploy checks)
