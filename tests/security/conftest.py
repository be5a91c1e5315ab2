"""The security tests play real rounds with the same factory as the live-round tests."""

from tests.quiz.conftest import make_round  # noqa: F401
