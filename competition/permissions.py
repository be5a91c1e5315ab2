"""Who may do what in a competition: the one rule, used by the competition's pages and by live rounds.

Managing a competition (its stage pages, join codes, exports, boards) and hosting one of its rounds
(the host console and its socket) are the same right. It is held everywhere by superusers and by
organisers, the users given Django's ``competition.change_competition`` permission (directly or through
a group), and in one competition by the users with the host role (``CompetitionRole``) there. Being staff
is not enough: question editors and reviewers are staff so that they can use the admin, and they must not
be able to run a live round. Live rounds reach this rule through the
host rule registered in ``CompetitionConfig.ready`` (``quiz.hooks``), since quiz does not import this app.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from competition.models import Competition, CompetitionRole

ORGANISER_PERMISSION = "competition.change_competition"


def _everywhere(user: Any) -> bool:
    return user.is_superuser or user.has_perm(ORGANISER_PERMISSION)


def _active(user: Any) -> bool:
    return bool(user) and user.is_authenticated and user.is_active


def may_manage_competition(user: Any, competition: Competition) -> bool:
    """Superusers, organisers, or a host of this competition."""
    if not _active(user):
        return False
    if _everywhere(user):
        return True
    return competition.roles.filter(user=user, role=CompetitionRole.Role.HOST).exists()


class CompetitionHostRule:
    """``quiz.hooks.HostRule``: a round is hosted by whoever may manage its competition."""

    def may_host(self, user: Any, round_: Any) -> bool:
        return may_manage_competition(user, round_.competition)

    def hosted_rounds(self, user: Any, rounds: QuerySet) -> QuerySet:
        if not _active(user):
            return rounds.none()
        if _everywhere(user):
            return rounds
        return rounds.filter(
            competition__roles__user=user, competition__roles__role=CompetitionRole.Role.HOST
        ).distinct()
