"""Fixtures for the fault tests: rounds to play and how many server processes this stack can share."""

import os

import pytest

from tests.quiz.conftest import make_round  # noqa: F401  (the same round factory as the live-round tests)


@pytest.fixture
def processes() -> int:
    """Two daphne processes when they can share PostgreSQL and Redis; one on the embedded default."""
    return 2 if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL") else 1
