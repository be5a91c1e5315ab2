from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetitionConfig(AppConfig):
    name = "competition"
    verbose_name = _("Competitions")

    def ready(self) -> None:
        # Live rounds ask the competition through quiz.hooks (quiz does not import this app): who may
        # host a round, what a contestant code names and who may join a match, and a finished match round.
        from competition.matches import RegistrationJoinPolicy, on_round_finished
        from competition.permissions import CompetitionHostRule
        from quiz import hooks

        hooks.register_host_rule(CompetitionHostRule())
        hooks.register_join_policy(RegistrationJoinPolicy())
        hooks.round_finished.connect(on_round_finished, dispatch_uid="competition.match_round_finished")
