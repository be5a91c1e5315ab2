from tests.online.conftest import competition, stage  # noqa: F401  (the online stage's fixtures)
