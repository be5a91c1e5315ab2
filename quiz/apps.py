from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuizConfig(AppConfig):
    name = "quiz"
    verbose_name = _("Live rounds")

    def ready(self) -> None:
        from quiz.bank_providers import register_bank_providers  # needs the models loaded

        register_bank_providers()
