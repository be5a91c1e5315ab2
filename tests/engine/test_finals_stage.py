"""A whole final through the stage engine, and its state through JSON (finals.stage, finals.codec)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from quiz.engine.finals import codec, stage
from quiz.engine.finals.buzz import BuzzPhase
from quiz.engine.finals.buzzer import Buzz
from quiz.engine.finals.common import FinalsError, Mark
from quiz.engine.finals.judged import Affiliation
from quiz.engine.finals.scores import ScoreEvent, scoreboard
from quiz.engine.finals.script import default_script, script_from_data

T0 = 1_800_000_000_000.0
TEAMS = (1, 2, 3, 4, 5, 6)
SCRIPT = default_script("district")


class Game:
    """Plays commands, logs awards as score events, and checks every state survives JSON."""

    def __init__(self, script=SCRIPT, judges=None, affiliations=None):
        self.script = script
        self.state = stage.StageState()
        self.events: list[ScoreEvent] = []
        self.judges = judges or {}
        self.affiliations = affiliations or {}

    @property
    def board(self):
        return scoreboard(TEAMS, self.script.base_score, self.events)

    def ctx(self):
        return stage.Context(
            teams=TEAMS, board=self.board, judges=self.judges, affiliations=self.affiliations
        )

    def do(self, fn, *args, **kwargs):
        before = self.state.version
        step = fn(self.state, *args, **kwargs)
        assert step.state.version == before + (1 if step.events else 0)
        for award in step.awards:
            self.events.append(
                ScoreEvent(
                    len(self.events) + 1, award.team, award.points, award.reason, self.script.rule_version
                )
            )
        data = codec.state_to_data(step.state)
        assert codec.state_from_data(json.loads(json.dumps(data))) == step.state
        self.state = step.state
        return step

    def buzz(self, team, mapped, received=None):
        received = mapped + 20 if received is None else received
        b = Buzz(
            team=team, seq=0, received=received, mapped=mapped, press=mapped - 1000.0, offset=1000.0, rtt=40
        )
        return self.do(stage.press, self.script, buzz=b, now=received)


def test_a_final_plays_its_script_from_compulsory_to_comeback():
    g = Game(
        judges={"j1": Affiliation("海淀区"), "j2": Affiliation(), "j3": Affiliation()},
        affiliations={1: Affiliation("海淀区")},
    )
    assert g.do(stage.start, SCRIPT, g.ctx()).events == ("final.started", "segment.started")
    assert g.do(stage.start, SCRIPT, g.ctx()).events == ()  # started twice: once
    # 限时必答: six turns; team 1 right, the rest wrong
    for turn in range(6):
        if turn:
            g.do(stage.question_next, SCRIPT, index=turn)
        g.do(stage.cue, SCRIPT, now=T0)
        g.do(stage.mark, SCRIPT, result=Mark.RIGHT if turn == 0 else Mark.WRONG, attempt=turn, now=T0)
    assert g.board[1] == Decimal(110)
    # 团队抢答, question 0: team 3 presses first (mapped), team 2 arrives first
    g.do(stage.segment_next, SCRIPT, g.ctx(), index=1)
    assert g.state.kind == "buzzer"
    g.do(stage.cue, SCRIPT, now=T0)
    g.buzz(2, T0 + 100, received=T0 + 110)
    g.buzz(3, T0 + 60, received=T0 + 240)
    assert stage.settle_due_at(g.state, SCRIPT, bounds={}) == T0 + 110 + 150
    g.do(stage.settle, SCRIPT, now=T0 + 260, bounds={})
    assert g.state.sub.answerer == 3
    g.do(stage.mark, SCRIPT, result=Mark.WRONG, attempt=1, now=T0 + 1000)
    g.do(stage.mark, SCRIPT, result=Mark.RIGHT, attempt=2, now=T0 + 2000)
    assert (g.board[2], g.board[3]) == (Decimal(110), Decimal(90))
    with pytest.raises(FinalsError) as info:
        g.do(stage.question_next, SCRIPT, index=2)
    assert info.value.code == "question_unknown"
    g.do(stage.question_next, SCRIPT, index=1)
    g.do(stage.cue, SCRIPT, now=T0 + 10_000)
    g.do(stage.settle, SCRIPT, now=T0 + 25_000, bounds={})  # nobody buzzed in 15 s
    assert g.state.sub.phase is BuzzPhase.CLOSED and g.state.sub.closed_reason == "no_buzz"
    # 风险: picks in score order, high to low (1 and 2 on 110 first, by seeding)
    g.do(stage.segment_next, SCRIPT, g.ctx(), index=2)
    assert g.state.sub.order[:2] == (1, 2)
    for team, tier in zip(g.state.sub.order, [30, 20, 10, 10, 10, 10], strict=True):
        g.do(stage.wager_pick, SCRIPT, team=team, tier=tier)
    g.do(stage.cue, SCRIPT, now=T0)
    with pytest.raises(FinalsError) as info:
        g.do(stage.answer, team=2, choice=0, received=T0 + 1)
    assert info.value.code == "answer_not_your_turn"
    g.do(stage.answer, team=1, choice=0, received=T0 + 1)
    g.do(stage.mark, SCRIPT, result=Mark.RIGHT, attempt=0, now=T0)
    assert g.board[1] == Decimal(140)
    # 科普讲解: j1 is recused from team 1 (海淀区); team 1's panel is j2 and j3
    g.do(stage.segment_next, SCRIPT, g.ctx(), index=3)
    with pytest.raises(FinalsError) as info:
        g.do(stage.judge_score, SCRIPT, judge="j1", team=1, value=9)
    assert info.value.code == "judge_recused"
    g.do(stage.judge_score, SCRIPT, judge="j2", team=1, value=9)
    step = g.do(stage.judge_score, SCRIPT, judge="j3", team=1, value="8.5")
    assert step.events == ("judge.scored", "judge.revealed")
    assert g.board[1] == Decimal("148.75")
    # 力挽狂澜: the last three by score play
    g.do(stage.segment_next, SCRIPT, g.ctx(), index=4)
    assert len(g.state.teams) >= 3 and 1 not in g.state.teams
    with pytest.raises(FinalsError) as info:
        g.buzz(1, T0)
    assert info.value.code == "buzz_not_eligible"
    assert g.do(stage.finish).events == ("final.finished",)
    assert g.do(stage.finish).events == ()


def test_a_sudden_death_among_level_teams_yields_their_order():
    g = Game()
    g.do(stage.start, SCRIPT, g.ctx())
    g.do(stage.sudden_death_start, teams=(2, 4, 5))
    assert g.do(stage.sudden_death_start, teams=(4, 2, 5)).events == ()
    g.do(stage.cue, SCRIPT, now=T0)
    g.buzz(4, T0 + 10)
    g.do(stage.settle, SCRIPT, now=T0 + 1000, bounds={})
    step = g.do(stage.mark, SCRIPT, result=Mark.WRONG, attempt=1, now=T0 + 2000)
    assert "sudden_death.placed" in step.events and g.state.sudden.bottom == (4,)
    assert g.events == []  # a sudden death gives no points
    g.do(stage.question_next, SCRIPT, index=1)
    g.do(stage.cue, SCRIPT, now=T0 + 5000)
    g.buzz(5, T0 + 5100)
    g.do(stage.settle, SCRIPT, now=T0 + 6000, bounds={})
    step = g.do(stage.mark, SCRIPT, result=Mark.RIGHT, attempt=1, now=T0 + 7000)
    assert "sudden_death.decided" in step.events
    assert g.state.sudden.order() == (5, 2, 4)
    with pytest.raises(FinalsError) as info:
        g.do(stage.question_next, SCRIPT, index=2)
    assert info.value.code == "sudden_death_decided"


def test_a_sudden_death_question_nobody_buzzes_on_places_nobody():
    g = Game()
    g.do(stage.start, SCRIPT, g.ctx())
    g.do(stage.sudden_death_start, teams=(1, 2))
    g.do(stage.cue, SCRIPT, now=T0)
    step = g.do(stage.settle, SCRIPT, now=T0 + 15_000, bounds={})
    assert "sudden_death.no_result" in step.events and g.state.sudden.remaining == (1, 2)


def test_cueing_during_a_judged_presentation_is_refused():
    script = script_from_data({"segments": [{"kind": "judged"}]})
    g = Game(script=script)
    g.do(stage.start, script, g.ctx())
    with pytest.raises(FinalsError) as info:
        g.do(stage.cue, script, now=T0)
    assert info.value.code == "nothing_to_cue"


def test_moving_on_while_a_team_answers_is_refused_and_next_segment_twice_moves_once():
    script = script_from_data({"segments": [{"kind": "buzzer"}, {"kind": "judged"}]})
    g = Game(script=script)
    g.do(stage.start, script, g.ctx())
    g.do(stage.cue, script, now=T0)
    g.buzz(1, T0 + 5)
    g.do(stage.settle, script, now=T0 + 1000, bounds={})
    with pytest.raises(FinalsError) as info:
        g.do(stage.segment_next, script, g.ctx(), index=1)
    assert info.value.code == "question_not_closed"
    g.do(stage.close_question)
    assert g.do(stage.segment_next, script, g.ctx(), index=1).events == ("segment.started",)
    assert g.do(stage.segment_next, script, g.ctx(), index=1).events == ()
    with pytest.raises(FinalsError) as info:
        g.do(stage.segment_next, script, g.ctx(), index=2)
    assert info.value.code == "segment_unknown"


def test_hold_and_release_bump_the_version_once_each():
    g = Game()
    g.do(stage.start, SCRIPT, g.ctx())
    assert g.do(stage.hold, last_seq=0, reason="dispute").events == ("hold.started",)
    assert g.do(stage.hold, last_seq=0, reason="dispute").events == ()
    assert g.do(stage.release, ruling="upheld").events == ("hold.released",)
    assert g.do(stage.release, ruling="upheld").events == ()


BY_KIND = script_from_data(
    {
        "segments": [
            {
                "kind": "compulsory",
                "rules": {"right": 10, "right_by_kind": {"truefalse": 10, "single": 20, "judged": 30}},
            }
        ]
    }
)


@pytest.mark.parametrize(
    ("question_kind", "result", "points"),
    [
        ("truefalse", Mark.RIGHT, 10),
        ("single", Mark.RIGHT, 20),
        ("judged", Mark.RIGHT, 30),
        ("multiple", Mark.RIGHT, 10),  # a kind the rule does not list: ``right``
        (None, Mark.RIGHT, 10),  # no bank question on stage: ``right``
        ("judged", Mark.WRONG, 0),
        ("judged", Mark.INCOMPLETE, 0),
    ],
)
def test_compulsory_right_answers_score_by_the_question_kind(question_kind, result, points):
    g = Game(script=BY_KIND)
    g.do(stage.start, BY_KIND, g.ctx())
    g.do(stage.cue, BY_KIND, now=T0)
    g.do(stage.mark, BY_KIND, result=result, attempt=0, now=T0, question_kind=question_kind)
    assert g.board[1] == Decimal(100 + points)


def test_points_by_kind_belong_to_compulsory_only_and_the_default_keeps_one_value():
    g = Game()  # the default script: right is 10 whatever the kind
    g.do(stage.start, SCRIPT, g.ctx())
    g.do(stage.cue, SCRIPT, now=T0)
    g.do(stage.mark, SCRIPT, result=Mark.RIGHT, attempt=0, now=T0, question_kind="judged")
    assert g.board[1] == Decimal(110)


JUDGES = {"j1": Affiliation("海淀区", "北京科技馆"), "j2": Affiliation("和平区"), "j3": Affiliation()}
PLACES = {1: Affiliation("海淀区"), 2: Affiliation("朝阳区", " 北京科技馆 "), 3: Affiliation("和平区")}
ONE_BUZZER = script_from_data({"segments": [{"kind": "buzzer"}, {"kind": "compulsory"}]})


def _buzzing(team):
    """A buzzer question in which ``team`` is answering (attempt 1)."""
    g = Game(script=ONE_BUZZER, judges=JUDGES, affiliations=PLACES)
    g.do(stage.start, ONE_BUZZER, g.ctx())
    g.do(stage.cue, ONE_BUZZER, now=T0)
    g.buzz(team, T0 + 10)
    g.do(stage.settle, ONE_BUZZER, now=T0 + 1000, bounds={})
    return g


@pytest.mark.parametrize(
    ("judge", "team", "code"),
    [
        ("j1", 1, "judge_recused"),  # same district
        ("j1", 2, "judge_recused"),  # same unit, compared without case or surrounding spaces
        ("j2", 3, "judge_recused"),
        ("j9", 4, "judge_not_on_panel"),  # not a judge of this final
    ],
)
def test_a_judge_may_not_mark_a_team_they_are_recused_from(judge, team, code):
    g = _buzzing(team)
    before = g.state
    with pytest.raises(FinalsError) as info:
        g.do(stage.judge_mark, ONE_BUZZER, g.ctx(), judge=judge, result=Mark.RIGHT, attempt=1, now=T0 + 2000)
    assert info.value.code == code
    assert g.state == before and g.events == []


@pytest.mark.parametrize(("judge", "team"), [("j3", 1), ("j2", 1), ("j1", 3), ("j3", 4)])
def test_a_judge_not_recused_marks_as_the_host_would_and_twice_acts_once(judge, team):
    g = _buzzing(team)
    step = g.do(
        stage.judge_mark, ONE_BUZZER, g.ctx(), judge=judge, result=Mark.RIGHT, attempt=1, now=T0 + 2000
    )
    assert step.events == ("answer.marked", "question.closed")
    assert g.board[team] == Decimal(110)
    again = g.do(
        stage.judge_mark, ONE_BUZZER, g.ctx(), judge=judge, result=Mark.RIGHT, attempt=1, now=T0 + 2100
    )
    assert again.events == () and g.board[team] == Decimal(110)
    # the host pressing the same mark afterwards changes nothing either
    assert g.do(stage.mark, ONE_BUZZER, result=Mark.RIGHT, attempt=1, now=T0 + 2200).events == ()


def test_recusal_follows_the_scripts_judged_rules():
    by_unit = script_from_data(
        {"segments": [{"kind": "buzzer"}, {"kind": "judged", "rules": {"recuse_by": ["unit"]}}]}
    )
    ctx = stage.Context(teams=TEAMS, judges=JUDGES, affiliations=PLACES)
    assert stage.mark_recused(by_unit, ctx, judge="j1", team=1) is False  # district no longer counts
    assert stage.mark_recused(by_unit, ctx, judge="j1", team=2) is True
    assert stage.mark_recused(ONE_BUZZER, ctx, judge="j1", team=1) is True  # no judged segment: both


def test_a_judge_marks_compulsory_turns_and_a_turn_of_a_recused_team_is_refused():
    g = Game(script=ONE_BUZZER, judges=JUDGES, affiliations=PLACES)
    g.do(stage.start, ONE_BUZZER, g.ctx())
    g.do(stage.close_question)
    g.do(stage.segment_next, ONE_BUZZER, g.ctx(), index=1)
    g.do(stage.cue, ONE_BUZZER, now=T0)  # turn 0: team 1 (海淀区)
    with pytest.raises(FinalsError) as info:
        g.do(stage.judge_mark, ONE_BUZZER, g.ctx(), judge="j1", result=Mark.RIGHT, attempt=0, now=T0)
    assert info.value.code == "judge_recused"
    g.do(stage.judge_mark, ONE_BUZZER, g.ctx(), judge="j2", result=Mark.WRONG, attempt=0, now=T0)
    assert g.state.sub.marks == ("wrong",)
    with pytest.raises(FinalsError) as info:  # turn 1 is not cued yet
        g.do(stage.question_next, ONE_BUZZER, index=1)
        g.do(stage.judge_mark, ONE_BUZZER, g.ctx(), judge="j2", result=Mark.RIGHT, attempt=1, now=T0)
    assert info.value.code == "mark_before_cue"


def test_a_judge_mark_with_no_answer_on_stage_is_refused():
    g = Game(script=ONE_BUZZER, judges=JUDGES, affiliations=PLACES)
    g.do(stage.start, ONE_BUZZER, g.ctx())
    with pytest.raises(FinalsError) as info:
        g.do(stage.judge_mark, ONE_BUZZER, g.ctx(), judge="j3", result=Mark.RIGHT, attempt=1, now=T0)
    assert info.value.code == "no_answer_to_mark"
