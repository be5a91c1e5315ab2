from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportConfig(AppConfig):
    """The organisers' literacy report: summaries of a season, a page with charts, a workbook and a PDF."""

    name = "competition.report"
    label = "report"
    verbose_name = _("Literacy report")
    default_auto_field = "django.db.models.BigAutoField"
