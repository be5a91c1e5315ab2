import pytest
from asgiref.sync import sync_to_async

from quiz.services.rounds import round_create
from tests.factories import HostRoleFactory, QuestionFactory


@pytest.fixture
def make_round():
    """Async factory: ``await make_round(questions=3, time_limit=20, **options)`` -> (round, host user)."""

    @sync_to_async
    def make(questions: int = 3, time_limit: int = 20, kinds: list[str] | None = None, **options):
        role = HostRoleFactory()
        made = []
        for i in range(questions):
            kind = (kinds or ["single"] * questions)[i]
            correct = [0, 2] if kind == "multiple" else [i % 4]
            if kind == "truefalse":
                made.append(
                    QuestionFactory(kind=kind, choices=["正确", "错误"], correct=[0], time_limit=time_limit)
                )
            else:
                made.append(QuestionFactory(kind=kind, correct=correct, time_limit=time_limit))
        return round_create(
            competition=role.competition, title="Test round", questions=made, **options
        ), role.user

    return make
