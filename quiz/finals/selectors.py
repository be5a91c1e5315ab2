"""Reading a final: its rows loaded into the engine's values (state, script, score events, context)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from quiz.engine.finals import codec
from quiz.engine.finals.judged import Affiliation
from quiz.engine.finals.scores import ScoreEvent, scoreboard, scoreboard_shown
from quiz.engine.finals.script import Script, script_from_data
from quiz.engine.finals.stage import Context, StageState
from quiz.finals.models import Final, FinalJudge, FinalQuestion, FinalScoreEvent, FinalTeam
from quiz.services.errors import QuizError


@dataclass
class Loaded:
    final: Final
    script: Script
    state: StageState
    teams: list[FinalTeam]
    judges: list[FinalJudge]
    events: list[ScoreEvent]

    @property
    def team_ids(self) -> tuple[int, ...]:
        return tuple(t.id for t in self.teams)

    def board(self) -> dict[int, Decimal]:
        return scoreboard(self.team_ids, self.script.base_score, self.events)

    def board_shown(self) -> dict[int, Decimal]:
        return scoreboard_shown(self.team_ids, self.script.base_score, self.events, self.state.hold)

    def context(self) -> Context:
        return Context(
            teams=self.team_ids,
            board=self.board(),
            members={t.id: tuple(t.members) for t in self.teams},
            affiliations={t.id: Affiliation(t.district, t.unit) for t in self.teams},
            judges={j.id: Affiliation(j.district, j.unit) for j in self.judges},
        )


def score_event_of(row: FinalScoreEvent) -> ScoreEvent:
    return ScoreEvent(
        seq=row.seq,
        team=row.team_id,
        points=row.points,
        reason=row.reason,
        rule_version=row.rule_version,
        actor=row.actor,
        segment=row.segment,
        question=row.question,
        undoes=row.undoes,
        note=row.note,
    )


def final_load(final_id: int) -> Loaded:
    """The final with everything its rules read; QuizError ``final_not_found`` if there is none."""
    final = Final.objects.select_related("round").filter(pk=final_id).first()
    if final is None:
        raise QuizError("final_not_found", "no such final")
    return Loaded(
        final=final,
        script=script_from_data(final.script),
        state=codec.state_from_data(final.state),
        teams=list(FinalTeam.objects.filter(final_id=final_id).order_by("seed")),
        judges=list(FinalJudge.objects.filter(final_id=final_id).order_by("id")),
        events=[score_event_of(r) for r in FinalScoreEvent.objects.filter(final_id=final_id).order_by("seq")],
    )


def final_id_for_pin(pin: str) -> int:
    final = Final.objects.filter(round__pin=pin, finished_at__isnull=True).only("id").first()
    if final is None:
        final = Final.objects.filter(round__pin=pin).order_by("-id").only("id").first()
    if final is None:
        raise QuizError("wrong_pin", "no final has that PIN")
    return final.id


def current_question(loaded: Loaded) -> FinalQuestion | None:
    """The bank question on stage now: by segment and question (or turn) index; 加赛 uses segment -1."""
    state = loaded.state
    if not state.started:
        return None
    segment, position = state.question_key
    return FinalQuestion.objects.filter(final_id=loaded.final.id, segment=segment, position=position).first()


def current_question_kind(loaded: Loaded) -> str | None:
    """The bank kind of the question on stage (what 必答's ``right_by_kind`` scores by), or None."""
    state = loaded.state
    if not state.started:
        return None
    segment, position = state.question_key
    return (
        FinalQuestion.objects.filter(final_id=loaded.final.id, segment=segment, position=position)
        .values_list("kind", flat=True)
        .first()
    )


def final_team_results(round_id: int) -> tuple[dict[int, dict[str, Any]], list[int]] | None:
    """For a round played as a final: competition team id -> score, and the 加赛 order of competition team
    ids; None if the round is not a final or the final has not finished."""
    final = Final.objects.filter(round_id=round_id, finished_at__isnull=False).first()
    if final is None:
        return None
    loaded = final_load(final.id)
    board = loaded.board()
    to_team = {t.id: t.team_id for t in loaded.teams}
    scores = {
        to_team[tid]: {"score": float(points), "correct_time_ms": 0}
        for tid, points in board.items()
        if to_team.get(tid) is not None
    }
    order = [to_team[tid] for tid in final.sudden_death if to_team.get(tid) is not None]
    return scores, order
