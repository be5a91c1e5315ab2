"""The bank's hooks: what it reads about rounds goes through one registered provider, and the bank
imports no other app of the project."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from questionbank import hooks
from questionbank.draws import candidates_for, draw_questions, draw_spec
from questionbank.hooks import CompetitionRef, HookError, ItemResponses, ResponseScope
from questionbank.statistics import item_statistics
from quiz.bank_providers import QuizRounds
from quiz.drawn_rounds import round_create_drawn
from tests.factories import CompetitionFactory, DivisionFactory, QuestionFactory

BANK = Path(__file__).resolve().parents[2] / "questionbank"


class Failing:
    def __getattr__(self, name):
        def fail(*args):
            raise ConnectionError("database went away")

        return fail


class Counting(QuizRounds):
    def __init__(self) -> None:
        self.calls: list[str] = []

    def planned_question_ids(self, competition_id, stage):
        self.calls.append("planned_question_ids")
        return super().planned_question_ids(competition_id, stage)


def test_the_rounds_app_registers_its_provider_at_start_up():
    assert isinstance(hooks._provider, QuizRounds)


def test_with_no_provider_every_hook_answers_none():
    with hooks.registered(None):
        assert hooks.planned_question_ids(1, "初赛") == frozenset()
        assert hooks.item_responses(ResponseScope(round_id=1)) == ItemResponses()
        assert hooks.competitions() == [] and hooks.competition(1) is None
        assert hooks.stages(1) == [] and hooks.regions(1) == []


@pytest.mark.parametrize(
    ("call", "hook"),
    [
        (lambda: hooks.planned_question_ids(1, ""), "planned_question_ids"),
        (lambda: hooks.item_responses(ResponseScope()), "item_responses"),
        (lambda: hooks.competitions(), "competitions"),
        (lambda: hooks.stages(1), "stages"),
        (lambda: hooks.regions(1), "regions"),
    ],
)
def test_a_failing_provider_raises_a_hook_error_naming_the_hook_and_its_cause(call, hook):
    with hooks.registered(Failing()), pytest.raises(HookError) as caught:
        call()
    assert caught.value.hook == hook
    assert f"failed in {hook}" in str(caught.value) and "database went away" in str(caught.value)
    assert isinstance(caught.value.__cause__, ConnectionError)


def test_registered_puts_the_previous_provider_back():
    before = hooks._provider
    with hooks.registered(None):
        assert hooks._provider is None
    assert hooks._provider is before


@pytest.mark.django_db
def test_a_draw_fails_loudly_rather_than_ignore_its_exclusions_when_the_provider_fails():
    competition = CompetitionFactory()
    for _ in range(3):
        QuestionFactory()
    with hooks.registered(Failing()), pytest.raises(HookError, match="planned_question_ids"):
        draw_questions({"count": 2}, competition, "初赛", seed=1)


@pytest.mark.django_db
def test_a_draw_asks_for_the_planned_questions_once_whatever_the_bank_size():
    competition = CompetitionFactory()
    for _ in range(30):
        QuestionFactory()
    spy = Counting()
    with hooks.registered(spy):
        draw_questions({"count": 10}, competition, "初赛", seed=1)
    assert spy.calls == ["planned_question_ids"]


@pytest.mark.django_db
def test_without_a_provider_a_draw_leaves_out_only_the_questions_shown_in_the_stage():
    competition = CompetitionFactory()
    questions = [QuestionFactory() for _ in range(4)]
    round_create_drawn(competition, "planned", "初赛", {"count": 2}, seed=1)
    spec = draw_spec({"count": 2})
    assert len(candidates_for(spec, competition, "初赛")) == 2
    with hooks.registered(None):
        assert {c.id for c in candidates_for(spec, competition, "初赛")} == {q.id for q in questions}


@pytest.mark.django_db
def test_without_a_provider_there_are_no_item_statistics():
    competition = CompetitionFactory()
    QuestionFactory()
    round_ = round_create_drawn(competition, "R", "", {"count": 1}, seed=1)
    with hooks.registered(None):
        assert item_statistics(round=round_) == []


@pytest.mark.django_db
def test_the_quiz_provider_answers_competitions_stages_regions_and_planned_questions():
    competition = CompetitionFactory(name="京津冀 2026", slug="jjj-2026")
    CompetitionFactory(slug="other")
    DivisionFactory(competition=competition, name="河北")
    DivisionFactory(competition=competition, name="北京")
    questions = [QuestionFactory() for _ in range(3)]
    round_ = round_create_drawn(competition, "R", "复赛", {"count": 2}, seed=1)
    round_create_drawn(competition, "R0", "初赛", {"count": 1}, seed=1)

    ref = hooks.competition(competition.pk)
    assert ref == CompetitionRef(id=competition.pk, name="京津冀 2026", slug="jjj-2026")
    assert str(ref) == "京津冀 2026" and ref.pk == competition.pk
    assert len(hooks.competitions()) == 2
    assert hooks.stages(competition.pk) == ["初赛", "复赛"]
    assert hooks.regions(competition.pk) == ["北京", "河北"]
    planned = {rq.source_id for rq in round_.questions.all()}
    assert hooks.planned_question_ids(competition.pk, "复赛") == planned
    assert planned <= {q.id for q in questions}


def _imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_question_bank_imports_no_other_app_of_the_project():
    offending = {
        str(path.relative_to(BANK)): sorted(
            _imported_apps(path) & {"quiz", "competition", "frontend", "config"}
        )
        for path in BANK.rglob("*.py")
        if "migrations" not in path.parts
    }
    assert {path: apps for path, apps in offending.items() if apps} == {}
