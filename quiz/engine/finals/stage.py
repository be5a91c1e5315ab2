"""A whole final as one state: which segment and question is on, its segment state, the hold.

Every command is ``(state, script, context, ...) -> Step``; a step that changes anything bumps
``version`` by one (the services persist it with a conditional update on the version), a command whose
effect already holds returns the same state with no events. ``Context`` carries what the rules need
from outside (teams in seeding order, the scoreboard, members, affiliations, judges).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from quiz.engine.finals import buzz as bq
from quiz.engine.finals import comeback, compulsory, judged, sudden_death, wager
from quiz.engine.finals.buzzer import Buzz
from quiz.engine.finals.common import FinalsError, Mark, Step, TeamId
from quiz.engine.finals.compulsory import TurnState
from quiz.engine.finals.judged import Affiliation, JudgedState
from quiz.engine.finals.scores import Hold, hold_release, hold_start
from quiz.engine.finals.script import (
    BuzzerRules,
    JudgedRules,
    Kind,
    Script,
    Segment,
    SuddenDeathRules,
)
from quiz.engine.finals.sudden_death import SuddenDeathState
from quiz.engine.finals.wager import WagerState

SUDDEN = "sudden_death"  # ``StageState.kind`` while a sudden death is played (not a script segment)


@dataclass(frozen=True, slots=True)
class Context:
    teams: tuple[TeamId, ...]  # seeding order
    board: Mapping[TeamId, Decimal] = field(default_factory=dict)
    members: Mapping[TeamId, tuple[Any, ...]] = field(default_factory=dict)
    affiliations: Mapping[TeamId, Affiliation] = field(default_factory=dict)
    judges: Mapping[Any, Affiliation] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StageState:
    version: int = 0
    segment: int = -1  # -1: not started
    question: int = 0  # the question (buzzer) or turn (必答, 风险) or presenter (科普讲解) of the segment
    kind: str = ""  # the current segment's kind, or "sudden_death"
    teams: tuple[TeamId, ...] = ()  # who takes part in the current segment
    sub: Any = None  # BuzzQuestion | TurnState | WagerState | JudgedState
    hold: Hold = field(default_factory=Hold)
    sudden: SuddenDeathState | None = None
    pool: int = 0  # 加赛 questions started so far, over every sudden death of the final
    finished: bool = False

    @property
    def started(self) -> bool:
        return self.segment >= 0

    @property
    def question_key(self) -> tuple[int, int]:
        """(segment, question) naming the question on stage; 加赛 questions are (-1, pool position)."""
        return (-1, self.pool - 1) if self.kind == SUDDEN else (self.segment, self.question)


def _bump(state: StageState, step_events: tuple[str, ...], awards=(), **changes: Any) -> Step:
    if not step_events:
        return Step(state)
    return Step(
        replace(state, version=state.version + 1, **changes), awards=tuple(awards), events=step_events
    )


def _segment(script: Script, state: StageState) -> Segment:
    if not 0 <= state.segment < len(script.segments):
        raise FinalsError("final_not_started", "The final has not started.")
    return script.segments[state.segment]


def buzzer_rules(script: Script, state: StageState) -> BuzzerRules:
    """The buzzer rules of the current question (抢答, 力挽狂澜 played as buzzer, or 加赛)."""
    if state.kind == SUDDEN:
        sd = next((s.rules for s in script.segments if s.kind is Kind.SUDDEN_DEATH), SuddenDeathRules())
        return sudden_death.buzzer_rules(sd)
    segment = _segment(script, state)
    if segment.kind is Kind.COMEBACK:
        return comeback.buzzer_rules(segment.rules)
    return segment.rules


def _turn_values(
    script: Script, state: StageState, question_kind: str | None = None
) -> tuple[tuple[int, int, int], int]:
    """(right, wrong, incomplete) points of the current turn and its answer time; a right answer is worth
    the segment's value for ``question_kind`` (the bank kind of the question on stage) when it has one."""
    segment = _segment(script, state)
    rules = comeback.compulsory_rules(segment.rules) if segment.kind is Kind.COMEBACK else segment.rules
    return (rules.right_for(question_kind), rules.wrong, rules.incomplete), rules.answer_seconds


def _begin(script: Script, index: int, ctx: Context) -> dict[str, Any]:
    segment = script.segments[index]
    rules = segment.rules
    kind = segment.kind
    teams = ctx.teams
    sub: Any
    if kind is Kind.COMPULSORY:
        sub = compulsory.start(compulsory.turn_order(teams, rules, members=ctx.members))
    elif kind in (Kind.BUZZER, Kind.SUDDEN_DEATH):
        sub = bq.question_start(teams)
    elif kind is Kind.WAGER:
        sub = wager.start(wager.pick_order(teams, ctx.board, rules))
    elif kind is Kind.JUDGED:
        sub = judged.start(teams, ctx.judges, ctx.affiliations, rules)
    else:  # COMEBACK
        teams = comeback.participants(teams, ctx.board, rules)
        if rules.play == "buzzer":
            sub = bq.question_start(teams)
        else:
            sub = compulsory.start(compulsory.turn_order(teams, comeback.compulsory_rules(rules)))
    return {"segment": index, "question": 0, "kind": kind.value, "teams": teams, "sub": sub}


def start(state: StageState, script: Script, ctx: Context) -> Step:
    """Start the final at its first segment (the caller pins the script). Starting twice starts once."""
    if state.started:
        return Step(state)
    return _bump(state, ("final.started", "segment.started"), **_begin(script, 0, ctx))


def segment_next(state: StageState, script: Script, ctx: Context, *, index: int) -> Step:
    """Move to segment ``index`` (the one after the current). Pressed twice, moves once."""
    if state.kind != SUDDEN and index <= state.segment:
        return Step(state)
    if state.finished:
        raise FinalsError("final_finished", "The final has finished.")
    if index != state.segment + 1 or index >= len(script.segments):
        raise FinalsError("segment_unknown", f"The next segment is {state.segment + 1}.")
    _check_not_answering(state)
    return _bump(state, ("segment.started",), **_begin(script, index, ctx))


def _check_not_answering(state: StageState) -> None:
    sub = state.sub
    if isinstance(sub, bq.BuzzQuestion) and sub.phase in (bq.BuzzPhase.OPEN, bq.BuzzPhase.ANSWERING):
        raise FinalsError("question_not_closed", "Close the current question first.")


def question_next(state: StageState, script: Script, *, index: int) -> Step:
    """Move to question (or turn, or presenter) ``index`` of the segment. Pressed twice, moves once."""
    if index <= state.question:
        return Step(state)
    sub = state.sub
    if index != state.question + 1:
        raise FinalsError("question_unknown", f"The next question is {state.question + 1}.")
    if isinstance(sub, bq.BuzzQuestion):
        if sub.phase is not bq.BuzzPhase.CLOSED:
            raise FinalsError("question_not_closed", "Close the current question first.")
        rules = buzzer_rules(script, state)
        if state.kind != SUDDEN and index >= rules.questions:
            raise FinalsError("no_more_questions", "Every question of this segment has been played.")
        teams = state.sudden.remaining if state.kind == SUDDEN and state.sudden else state.teams
        if state.kind == SUDDEN and state.sudden is not None and state.sudden.finished:
            raise FinalsError("sudden_death_decided", "The sudden death is decided.")
        pool = state.pool + 1 if state.kind == SUDDEN else state.pool
        return _bump(state, ("question.started",), question=index, sub=bq.question_start(teams), pool=pool)
    if isinstance(sub, TurnState):
        step = compulsory.next_turn(sub, index=index)
        return _bump(state, step.events, question=index, sub=step.state)
    if isinstance(sub, WagerState):
        step = wager.next_turn(sub, index=index)
        return _bump(state, step.events, question=index, sub=step.state)
    if isinstance(sub, JudgedState):
        if index >= len(sub.teams):
            raise FinalsError("no_more_questions", "Every team has presented.")
        return _bump(state, ("presenter.next",), question=index)
    raise FinalsError("final_not_started", "The final has not started.")


def cue(state: StageState, script: Script, *, now: float) -> Step:
    """The host's cue: "请抢答" on a buzzer question, "请回答" on a turn. Cueing twice cues once."""
    sub = state.sub
    if isinstance(sub, bq.BuzzQuestion):
        step = bq.buzzer_open(sub, now=now)
    elif isinstance(sub, TurnState):
        _, seconds = _turn_values(script, state)
        step = compulsory.cue(sub, index=state.question, seconds=seconds, now=now)
    elif isinstance(sub, WagerState):
        step = wager.cue(sub, _segment(script, state).rules, index=state.question, now=now)
    else:
        raise FinalsError("nothing_to_cue", "There is nothing to cue in this segment.")
    return _bump(state, step.events, step.awards, sub=step.state)


def press(state: StageState, script: Script, *, buzz: Buzz, now: float) -> Step:
    sub = state.sub
    if not isinstance(sub, bq.BuzzQuestion):
        raise FinalsError("buzz_closed", "The buzzer is not in use now.")
    step = bq.press(sub, buzzer_rules(script, state), buzz=buzz, now=now)
    return _bump(state, step.events, step.awards, sub=step.state)


def settle(state: StageState, script: Script, *, now: float, bounds: Mapping[TeamId, float]) -> Step:
    """Decide the buzz order once its window has passed; close a question nobody buzzed on in time."""
    sub = state.sub
    if not isinstance(sub, bq.BuzzQuestion):
        return Step(state)
    rules = buzzer_rules(script, state)
    step = bq.close_if_due(sub, rules, now=now)
    if not step.changed:
        step = bq.settle(sub, rules, now=now, bounds=bounds)
    if step.changed and state.kind == SUDDEN and step.state.phase is bq.BuzzPhase.CLOSED:
        return _sudden_result(state, step, team=None, mark=None)
    return _bump(state, step.events, step.awards, sub=step.state)


def settle_due_at(state: StageState, script: Script, *, bounds: Mapping[TeamId, float]) -> float | None:
    """When ``settle`` has something to do next (epoch ms), or None."""
    sub = state.sub
    if not isinstance(sub, bq.BuzzQuestion):
        return None
    rules = buzzer_rules(script, state)
    if sub.phase is bq.BuzzPhase.OPEN and sub.first_received is None and sub.opened_at is not None:
        return sub.opened_at + rules.open_seconds * 1000
    return bq.settle_due_at(sub, rules, bounds=bounds)


def mark(
    state: StageState,
    script: Script,
    *,
    result: Mark,
    attempt: int,
    now: float,
    question_kind: str | None = None,
) -> Step:
    """The host's right / wrong / incomplete: ``attempt`` names the buzzer attempt (1, 2, ...) or the turn.
    ``question_kind`` is the bank kind of the question on stage (必答 may score right answers by kind)."""
    sub = state.sub
    if isinstance(sub, bq.BuzzQuestion):
        answerer = sub.answerer
        step = bq.mark(sub, buzzer_rules(script, state), result=result, attempt=attempt, now=now)
        if state.kind == SUDDEN and step.changed:
            return _sudden_result(state, step, team=answerer, mark=result)
    elif isinstance(sub, TurnState):
        values, _ = _turn_values(script, state, question_kind)
        step = compulsory.mark(sub, index=attempt, result=result, values=values)
    elif isinstance(sub, WagerState):
        step = wager.mark(sub, index=attempt, result=result)
    else:
        raise FinalsError("no_answer_to_mark", "There is no answer to mark in this segment.")
    return _bump(state, step.events, step.awards, sub=step.state)


def marked_team(state: StageState, *, attempt: int) -> TeamId | None:
    """The team whose answer a mark of ``attempt`` (buzzer attempt, or turn) names; None if none does."""
    sub = state.sub
    if isinstance(sub, bq.BuzzQuestion):
        return sub.answerer if attempt == sub.attempts and sub.phase is bq.BuzzPhase.ANSWERING else None
    turns = sub.answers if isinstance(sub, WagerState) else sub
    if isinstance(turns, TurnState) and 0 <= attempt < len(turns.turns):
        return turns.turns[attempt].team
    return None


def mark_recused(script: Script, ctx: Context, *, judge: Any, team: TeamId) -> bool:
    """True iff ``judge`` may not mark ``team``'s answers: they share a district or unit, compared as the
    script's 科普讲解 rules say (``recuse_by``; both by default)."""
    rules = next((s.rules for s in script.segments if s.kind is Kind.JUDGED), JudgedRules())
    mine = ctx.judges.get(judge)
    theirs = ctx.affiliations.get(team)
    return mine is not None and theirs is not None and judged.recused(mine, theirs, rules)


def judge_mark(
    state: StageState,
    script: Script,
    ctx: Context,
    *,
    judge: Any,
    result: Mark,
    attempt: int,
    now: float,
    question_kind: str | None = None,
) -> Step:
    """A judge's right / wrong / incomplete: the host's mark, by a judge of the final who is not recused
    from the answering team (``judge_recused``; a judge unknown to the final: ``judge_not_on_panel``).
    Marking an answer already marked (by the host or any judge) changes nothing."""
    if judge not in ctx.judges:
        raise FinalsError("judge_not_on_panel", "You are not a judge of this final.")
    team = marked_team(state, attempt=attempt)
    if team is not None and mark_recused(script, ctx, judge=judge, team=team):
        raise FinalsError("judge_recused", "You may not mark a team of your own district or unit.")
    return mark(state, script, result=result, attempt=attempt, now=now, question_kind=question_kind)


def close_question(state: StageState) -> Step:
    """The host closes the buzzer question (nobody answers, or it goes to the audience)."""
    sub = state.sub
    if not isinstance(sub, bq.BuzzQuestion):
        raise FinalsError("nothing_to_close", "There is no buzzer question to close.")
    step = bq.close(sub)
    if state.kind == SUDDEN and step.changed:
        return _sudden_result(state, step, team=None, mark=None)
    return _bump(state, step.events, sub=step.state)


def wager_pick(state: StageState, script: Script, *, team: TeamId, tier: int) -> Step:
    sub = state.sub
    if not isinstance(sub, WagerState):
        raise FinalsError("wager_closed", "There is no wager to place now.")
    step = wager.pick(sub, _segment(script, state).rules, team=team, tier=tier)
    return _bump(state, step.events, sub=step.state)


def answer(state: StageState, *, team: TeamId, choice: Any, received: float) -> Step:
    sub = state.sub
    if isinstance(sub, TurnState):
        step = compulsory.answer(sub, team=team, choice=choice, received=received)
    elif isinstance(sub, WagerState):
        step = wager.answer(sub, team=team, choice=choice, received=received)
    else:
        raise FinalsError("answer_not_your_turn", "There is no question for your team to answer now.")
    return _bump(state, step.events, sub=step.state)


def judge_score(state: StageState, script: Script, *, judge: Any, team: TeamId, value: Any) -> Step:
    sub = state.sub
    if not isinstance(sub, JudgedState):
        raise FinalsError("judging_closed", "Scores are entered during 科普讲解 only.")
    step = judged.score_submit(sub, _segment(script, state).rules, judge=judge, team=team, value=value)
    return _bump(state, step.events, step.awards, sub=step.state)


def hold(state: StageState, *, last_seq: int, reason: str) -> Step:
    new = hold_start(state.hold, last_seq=last_seq, reason=reason)
    return _bump(state, ("hold.started",) if new is not state.hold else (), hold=new)


def release(state: StageState, *, ruling: str) -> Step:
    new = hold_release(state.hold, ruling=ruling)
    return _bump(state, ("hold.released",) if new is not state.hold else (), hold=new)


def sudden_death_start(state: StageState, *, teams: tuple[TeamId, ...]) -> Step:
    """Start a 加赛 among ``teams`` (level on score). Starting the same one twice starts it once."""
    if state.kind == SUDDEN and state.sudden is not None and set(state.sudden.order()) == set(teams):
        return Step(state)
    _check_not_answering(state)
    sd = sudden_death.start(teams)
    return _bump(
        state,
        ("sudden_death.started",),
        kind=SUDDEN,
        question=0,
        teams=tuple(teams),
        sudden=sd,
        sub=bq.question_start(teams),
        pool=state.pool + 1,
    )


def _sudden_result(state: StageState, step: Step, *, team: TeamId | None, mark: Mark | None) -> Step:
    assert state.sudden is not None
    placed = sudden_death.result(state.sudden, team=team, mark=mark)
    return _bump(state, (*step.events, *placed.events), sub=step.state, sudden=placed.state)


def finish(state: StageState) -> Step:
    """End the final. Finishing twice finishes once."""
    if state.finished:
        return Step(state)
    _check_not_answering(state)
    return _bump(state, ("final.finished",), finished=True)
