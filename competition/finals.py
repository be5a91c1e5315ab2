"""A bracket's match played as a stage final: the final is created for the match's teams, and its ranking
(scores and the 加赛 order) reaches the bracket and standings like any match result (``competition.matches``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from competition.matches import MatchError
from competition.models import Match, Registration, Team
from quiz.finals.models import Final
from quiz.finals.setup import final_create


def match_final_start(
    *,
    match: Match,
    judges: Sequence[Mapping[str, Any]] = (),
    questions: Mapping[int, Sequence[Any]] | None = None,
    sudden_death_pool: Sequence[Any] = (),
    script: Mapping[str, Any] | None = None,
    stage: str = "district",
    title: str | None = None,
    units: Mapping[int, str] | None = None,
) -> Final:
    """Create the stage final of a ready match: its teams (seeded in the match's order, with their district
    and members), judges and questions. ``units``: team id -> the team's unit, for judges' recusal."""
    with transaction.atomic():
        match = (
            Match.objects.select_for_update().select_related("bracket__stage__competition").get(pk=match.pk)
        )
        if match.round_id is not None:
            raise MatchError("already_started", "this match already has its round")
        if not match.teams:
            raise MatchError("not_ready", "this match does not know its teams yet")
        teams = {t.id: t for t in Team.objects.filter(pk__in=match.teams).select_related("district")}
        members: dict[int, list[str]] = {}
        for reg in Registration.objects.filter(team_id__in=match.teams, role="member").order_by("code"):
            members.setdefault(reg.team_id, []).append(reg.name)
        rows = [
            {
                "name": teams[t].name,
                "district": teams[t].district.name if teams[t].district else "",
                "unit": (units or {}).get(t, ""),
                "members": members.get(t, []),
                "team": teams[t],
            }
            for t in match.teams
        ]
        final = final_create(
            competition=match.bracket.stage.competition,
            title=title or f"{match.bracket.stage.name} · {match.code}",
            teams=rows,
            judges=judges,
            questions=questions,
            sudden_death_pool=sudden_death_pool,
            script=script,
            stage=stage,
        )
        match.round = final.round
        match.save(update_fields=["round"])
    return final
