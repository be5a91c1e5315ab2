from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnlineConfig(AppConfig):
    """The online stage: self-paced modes on phones over weeks, qualifying into the district teams."""

    name = "competition.online"
    label = "online"
    verbose_name = _("Online stage")
    default_auto_field = "django.db.models.BigAutoField"
