from django.apps import AppConfig


class QuizConfig(AppConfig):
    name = "quiz"
    verbose_name = "Live rounds"

    def ready(self) -> None:
        from quiz.bank_providers import register_bank_providers  # needs the models loaded

        register_bank_providers()
