"""A module a newcomer can read in one sitting: no first-party module over 500 lines (migrations aside)."""

from __future__ import annotations

from tests.servers import ROOT

LIMIT = 500
APPS = ("config", "quiz", "competition", "questionbank", "frontend")


def test_no_first_party_module_is_over_500_lines():
    modules = [p for app in APPS for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]
    assert len(modules) > 100  # the walk found the apps
    too_long = {
        str(p.relative_to(ROOT)): n for p in modules if (n := len(p.read_text().splitlines())) > LIMIT
    }
    assert not too_long, f"split these by job: {too_long}"
