"""Signed links: a captain's or member's link names a team of a final, a judge's link names a judge.

Rotating the row's ``token_nonce`` revokes a link. ``invalid_token`` for anything else.
"""

from __future__ import annotations

from typing import Any

from django.core import signing

from quiz.finals.models import FinalJudge, FinalTeam
from quiz.services.errors import QuizError

TEAM_SALT = "quiz.finals.team"
JUDGE_SALT = "quiz.finals.judge"


def team_token(team, role: str) -> str:
    """A captain's (``role`` "captain") or member's ("member") link token for ``team`` (a FinalTeam)."""
    return signing.dumps({"f": team.final_id, "t": team.id, "r": role, "n": team.token_nonce}, salt=TEAM_SALT)


def judge_token(judge) -> str:
    return signing.dumps({"f": judge.final_id, "j": judge.id, "n": judge.token_nonce}, salt=JUDGE_SALT)


def _loads(token: str, salt: str) -> dict[str, Any]:
    try:
        data = signing.loads(token, salt=salt)
        if not isinstance(data, dict):
            raise TypeError
        return data
    except (signing.BadSignature, TypeError, ValueError):
        raise QuizError("invalid_token", "that link is not valid for this final") from None


def team_identity(token: str) -> tuple[int, int, str]:
    """(final id, team id, role) from a team link, checking its signature and nonce."""
    data = _loads(token, TEAM_SALT)
    if not FinalTeam.objects.filter(
        pk=data.get("t"), final_id=data.get("f"), token_nonce=data.get("n")
    ).exists():
        raise QuizError("invalid_token", "that link is not valid for this final")
    role = "captain" if data.get("r") == "captain" else "member"
    return data["f"], data["t"], role


def judge_identity(token: str) -> tuple[int, int]:
    data = _loads(token, JUDGE_SALT)
    if not FinalJudge.objects.filter(
        pk=data.get("j"), final_id=data.get("f"), token_nonce=data.get("n")
    ).exists():
        raise QuizError("invalid_token", "that link is not valid for this final")
    return data["f"], data["j"]
