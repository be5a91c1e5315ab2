"""Brackets whose matches are live rounds: creating them, playing them, correcting them.

The bracket engine (``competition.engine``) decides everything; this module stores what it needs to
rebuild a bracket (format, teams in seed order, options, each match's result) and nothing derived.
A match's round is an ordinary live round for the match's teams; when it finishes, the team scores
flow into the bracket and the next matches get their teams.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from competition import engine
from competition.engine import BracketError, MatchResult
from competition.models import Bracket, Match, Registration, ResultCorrection, Stage, Substitution, Team
from quiz import selectors
from quiz.engine.scoring import ScoringRule, team_scores
from quiz.finals.selectors import final_team_results
from quiz.hooks import CodeCard
from quiz.models import Contestant, Round
from quiz.services.rounds import round_create

logger = logging.getLogger(__name__)


class MatchError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class BracketView:
    """The engine bracket rebuilt from the rows, and which stored results no longer fit (for review)."""

    bracket: engine.Bracket
    rows: dict[str, Match]
    unfit: tuple[str, ...]


def _result(stored: Mapping[str, Any]) -> MatchResult:
    return MatchResult.of(
        {int(team): value for team, value in stored["scores"].items()}, stored.get("sudden_death", ())
    )


def bracket_view(bracket: Bracket) -> BracketView:
    """Replay the stored results in play order. A result whose teams no longer fit (an upstream
    correction changed them) is left out and listed in ``unfit``: its match needs review."""
    state = engine.generate(bracket.format, bracket.teams, bracket.options)
    rows = {m.code: m for m in bracket.matches.all()}
    unfit = []
    for code in list(state.matches):
        row = rows.get(code)
        if row is None or row.result is None:
            continue
        try:
            state = engine.record_result(state, code, _result(row.result))
        except BracketError as exc:
            if exc.code not in ("result_mismatch", "match_not_ready", "already_played"):
                raise
            unfit.append(code)
    for group, order in (bracket.sudden_death or {}).items():
        state, _ = engine.record_sudden_death(state, group, [int(t) for t in order])
    return BracketView(state, rows, tuple(unfit))


def _sync_match_rows(bracket: Bracket, view: engine.Bracket) -> None:
    """Create a row per engine match and keep each row's teams in step with the engine."""
    existing = {m.code: m for m in bracket.matches.all()}
    for code, match in view.matches.items():
        teams = [t for t in match.participants if t is not None]
        row = existing.get(code)
        if row is None:
            Match.objects.create(bracket=bracket, code=code, teams=teams)
        elif row.result is None and row.teams != teams:
            row.teams = teams
            row.save(update_fields=["teams"])


def bracket_create(
    *, stage: Stage, name: str, teams: Sequence[Team], options: Mapping[str, Any] | None = None
) -> Bracket:
    """Create a bracket of ``teams`` (in seed order) with the stage's format; BracketError if invalid."""
    ids = [t.id for t in teams]
    if any(t.competition_id != stage.competition_id for t in teams):
        raise MatchError("wrong_competition", "every team must belong to the stage's competition")
    opts = dict(stage.options if options is None else options)
    state = engine.generate(stage.format, ids, opts)  # validates: too few, duplicates, options
    with transaction.atomic():
        bracket = Bracket.objects.create(stage=stage, name=name, format=stage.format, options=opts, teams=ids)
        _sync_match_rows(bracket, state)
    return bracket


def match_start(*, match: Match, questions: Sequence[Any], title: str | None = None):
    """Create the live round of a ready match: its teams' registered contestants join with their codes."""
    with transaction.atomic():
        match = (
            Match.objects.select_for_update().select_related("bracket__stage__competition").get(pk=match.pk)
        )
        view = bracket_view(match.bracket)
        engine_match = view.bracket.matches[match.code]
        if match.round_id is not None:
            raise MatchError("already_started", "this match already has its round")
        if not engine_match.ready:
            raise MatchError("match_not_ready", "the teams of this match are not known yet")
        stage = match.bracket.stage
        names = dict(Team.objects.filter(pk__in=match.teams).values_list("id", "name"))
        round_ = round_create(
            competition=stage.competition,
            title=title or f"{stage.name} {match.code}: {' vs '.join(names[t] for t in match.teams)}",
            questions=questions,
            scoring=stage.scoring,
            join_mode=Round.JoinMode.REGISTERED,
            stage=stage.name,
        )
        match.round = round_
        match.save(update_fields=["round"])
    return round_


def match_team_ids(round_) -> list[int] | None:
    """The teams allowed into ``round_`` if it is a match's round; None for an open round."""
    match = Match.objects.filter(round=round_).only("teams").first()
    return None if match is None else list(match.teams)


class RegistrationJoinPolicy:
    """``quiz.hooks.JoinPolicy``: a code names a registration of the round's competition, and a match's
    round admits only the match's teams."""

    def code_card(self, round_, code: str) -> CodeCard | None:
        registration = (
            Registration.objects.select_related("team")
            .filter(competition_id=round_.competition_id, code=code)
            .first()
        )
        if registration is None:
            return None
        team = registration.team
        return CodeCard(
            registration.id,
            registration.name,
            team.id if team else None,
            team.name if team else None,
            time_factor=registration.time_factor,
        )

    def may_join(self, round_, card: CodeCard) -> bool:
        allowed = match_team_ids(round_)
        return allowed is None or card.team_id in allowed

    def on_court(self, round_, card: CodeCard) -> bool:
        """In a match's round only the players on court play: the team's members, less those a recorded
        substitution took off, plus the substitutes it brought on (within the stage's cap, which
        ``substitution_record`` keeps)."""
        match = Match.objects.filter(round=round_).only("id").first()
        if match is None:
            return True
        changes = Substitution.objects.filter(match=match, team_id=card.team_id)
        if changes.filter(player_out_id=card.registration_id).exists():
            return changes.filter(player_in_id=card.registration_id).exists()
        if changes.filter(player_in_id=card.registration_id).exists():
            return True
        role = Registration.objects.filter(pk=card.registration_id).values_list("role", flat=True).first()
        return role != Registration.Role.SUBSTITUTE


def team_results(round_id: int) -> dict[int, dict[str, int]]:
    """Each team's score (the stage's aggregate of member scores) and total time on correct answers; for a
    round played as a stage final, the final's scoreboard (the sum of its score events)."""
    final = final_team_results(round_id)
    if final is not None:
        return final[0]
    round_ = Round.objects.get(pk=round_id)
    members = dict(
        Contestant.objects.filter(round_id=round_id, kicked_at__isnull=True, team__isnull=False).values_list(
            "id", "team_id"
        )
    )
    scores = selectors.round_scores(round_, members)
    correct_time: dict[int, int] = {}
    for cid, team in members.items():
        correct_time[team] = correct_time.get(team, 0) + scores[cid].correct_time_ms
    return {
        t.team_id: {"score": round(t.points), "correct_time_ms": correct_time[t.team_id]}
        for t in team_scores(scores, members, ScoringRule.from_dict(round_.scoring))
    }


def on_round_finished(sender, *, round_id: int, **kwargs) -> None:
    """``quiz.hooks.round_finished`` receiver: a match's round ended, its team scores go into the bracket
    (a tie waits for the host's sudden-death order). Idempotent: the signal is sent again when a round's
    standings are repaired, and a result already recorded is kept as it is."""
    try:
        match_round_finished(round_id=round_id)
    except MatchError as exc:
        logger.warning("round %s finished but its match result waits: %s", round_id, exc.message)


def match_round_finished(*, round_id: int) -> Match | None:
    """Carry a finished round's team scores into its bracket. Called when a match's round ends."""
    match = Match.objects.filter(round_id=round_id).select_related("bracket").first()
    if match is None or match.result is not None:
        return match
    scores = team_results(round_id)
    for team in match.teams:
        scores.setdefault(team, {"score": 0, "correct_time_ms": 0})  # a team nobody played for scores 0
    final = final_team_results(round_id)  # a stage final's 加赛 order settles its level teams
    sudden_death = [t for t in final[1] if t in match.teams] if final else []
    result = MatchResult.of({t: scores[t] for t in match.teams}, sudden_death=sudden_death)
    return _store_result(match, result)


def _store_result(match: Match, result: MatchResult) -> Match:
    with transaction.atomic():
        # Locked and read again: the same round may be reported finished twice at once.
        match = Match.objects.select_for_update().select_related("bracket").get(pk=match.pk)
        if match.result is not None:
            return match
        view = bracket_view(match.bracket)
        try:
            state = engine.record_result(view.bracket, match.code, result)
        except BracketError as exc:
            if exc.code != "sudden_death_required":
                raise
            # Keep the scores: the host settles the tie with a sudden-death order (match_result_correct).
            match.result = None
            match.save(update_fields=["result"])
            raise MatchError(
                "sudden_death_required", f"teams {exc.details.get('teams')} are level: play a sudden death"
            ) from exc
        match.result = result.to_dict()
        match.played_at = timezone.now()
        match.save(update_fields=["result", "played_at"])
        _sync_match_rows(match.bracket, state)
    return match


def match_result_correct(*, match: Match, result: Mapping[str, Any], actor, reason: str) -> list[str]:
    """Arbitration: replace a match's result with a reason. Unplayed later matches get the new teams;
    played ones keep their results and are returned (with refilled ones) for review."""
    if not reason.strip():
        raise MatchError("reason_required", "say why the result is corrected")
    corrected = MatchResult.of(
        {int(t): v for t, v in result["scores"].items()}, result.get("sudden_death", ())
    )
    with transaction.atomic():
        match = Match.objects.select_for_update().select_related("bracket").get(pk=match.pk)
        view = bracket_view(match.bracket)
        if match.result is None and not view.bracket.matches[match.code].ready:
            raise MatchError("match_not_ready", "a result for an unplayed match cannot be corrected")
        if match.result is None:
            new_state = engine.record_result(view.bracket, match.code, corrected)
            affected: list[str] = []
        else:
            new_state, affected = engine.correct_result(view.bracket, match.code, corrected)
        ResultCorrection.objects.create(
            match=match,
            actor=actor,
            at=timezone.now(),
            reason=reason,
            before=match.result,
            after=corrected.to_dict(),
            affected=affected,
        )
        match.result = corrected.to_dict()
        match.played_at = match.played_at or timezone.now()
        match.save(update_fields=["result", "played_at"])
        _sync_match_rows(match.bracket, new_state)
    return affected


def substitution_record(
    *, match: Match, team: Team, player_out, player_in, actor, reason: str = ""
) -> Substitution:
    """A substitute replaces a member for this match; refused past the stage's cap or for outsiders.

    From then on the substitute may join the match's round with their code and the member may not join
    it. A member who had joined stays in the round with the answers they gave (their points count for
    the team); the host removes them (``kick``) if they are to stop answering."""
    stage = match.bracket.stage
    if team.id not in match.teams:
        raise MatchError("team_not_in_match", "that team does not play this match")
    if player_out.team_id != team.id or player_in.team_id != team.id:
        raise MatchError("not_team_member", "both players must belong to the team")
    if player_in.role != player_in.Role.SUBSTITUTE or player_out.role == player_out.Role.SUBSTITUTE:
        raise MatchError("not_a_substitution", "a substitute comes on for a member")
    with transaction.atomic():
        done = Substitution.objects.select_for_update().filter(match=match, team=team).count()
        if done >= stage.max_substitutions:
            raise MatchError(
                "substitutions_used", f"this stage allows {stage.max_substitutions} per team per match"
            )
        return Substitution.objects.create(
            match=match,
            team=team,
            player_out=player_out,
            player_in=player_in,
            actor=actor,
            at=timezone.now(),
            reason=reason,
        )


def stage_promote(*, stage: Stage, rule: Mapping[str, Any] | None = None) -> list[int]:
    """The teams that go on from a finished stage by its promotion rule, in seed order for the next."""
    info = {
        t.id: {"division": t.division.code}
        for t in Team.objects.filter(competition=stage.competition).select_related("division")
    }
    promoted: list[int] = []
    for bracket in stage.brackets.all():
        view = bracket_view(bracket)
        if view.unfit:
            raise MatchError("stage_not_finished", f"matches need review: {', '.join(view.unfit)}")
        promoted += engine.promote(view.bracket, rule or stage.promotion, info)
    return promoted
