import pytest
from asgiref.sync import sync_to_async

from quiz.finals.links import judge_token, team_token
from quiz.finals.models import FinalJudge, FinalTeam
from quiz.finals.setup import final_create
from tests.factories import HostRoleFactory, QuestionFactory


@pytest.fixture
def make_final():
    """Async factory: ``await make_final(script=..., teams=3)`` -> dict with final, user, team links,
    judge links (judge 0 is of team 0's district)."""

    @sync_to_async
    def make(script=None, teams: int = 3, judges: int = 3):
        role = HostRoleFactory()
        team_rows = [
            {
                "name": f"Team {i}",
                "district": f"District {i}",
                "unit": f"Unit {i}",
                "members": [f"m{i}a", f"m{i}b"],
            }
            for i in range(teams)
        ]
        judge_rows = [
            {"name": f"Judge {j}", "district": "District 0" if j == 0 else ""} for j in range(judges)
        ]
        questions = {s: [QuestionFactory(correct=[1]) for _ in range(8)] for s in range(6)}
        pool = [
            QuestionFactory(kind="judged", choices=[], correct=[], reference_answer="ref") for _ in range(3)
        ]
        final = final_create(
            competition=role.competition,
            title="Final",
            teams=team_rows,
            judges=judge_rows,
            questions=questions,
            sudden_death_pool=pool,
            script=script,
        )
        rows = list(FinalTeam.objects.filter(final=final).order_by("seed"))
        return {
            "final": final,
            "user": role.user,
            "teams": [t.id for t in rows],
            "captains": [team_token(t, "captain") for t in rows],
            "members": [team_token(t, "member") for t in rows],
            "judges": [j.id for j in FinalJudge.objects.filter(final=final).order_by("id")],
            "judge_links": [judge_token(j) for j in FinalJudge.objects.filter(final=final).order_by("id")],
        }

    return make
