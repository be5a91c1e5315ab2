"""``manage.py check --deploy`` is clean with the production environment docs/deploy.md documents.

The variables are read from that page, so the page and config/settings.py cannot drift apart, and the
check runs in a fresh process, as an operator runs it: settings are read once, at start-up.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys

import pytest

from tests.servers import ROOT

DEPLOY_DOC = ROOT / "docs" / "deploy.md"


def documented_production_env() -> dict[str, str]:
    """The variables of the ``/etc/jjjquiz/env`` example in docs/deploy.md, with a fresh random key."""
    block = re.search(r"```bash\n(DEBUG=false\n.*?)```", DEPLOY_DOC.read_text(), re.DOTALL)
    assert block, "docs/deploy.md lost its production environment example"
    variables = {}
    for line in block.group(1).splitlines():
        name, _, value = re.sub(r"\s+#.*$", "", line).partition("=")
        variables[name] = value
    # The page shows how to make the key; here is one made that way.
    assert variables["SECRET_KEY"].startswith("<")
    variables["SECRET_KEY"] = secrets.token_urlsafe(50)
    return variables


def deploy_check(variables: dict[str, str]) -> subprocess.CompletedProcess:
    """``check --deploy --fail-level WARNING`` with only ``variables`` set (nothing from this test run)."""
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", **variables},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_documented_production_environment_passes_the_deploy_check():
    variables = documented_production_env()
    assert {"DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"} <= set(variables)

    checked = deploy_check(variables)

    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_behind_a_proxy_that_redirects_to_https_the_redirect_may_be_left_to_it():
    checked = deploy_check({**documented_production_env(), "SECURE_SSL_REDIRECT": "false"})
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("change", "warning"),
    [
        ({"DEBUG": "true"}, "security.W018"),
        ({"SECRET_KEY": "django-insecure-" + "x" * 50}, "security.W009"),
        ({"SECRET_KEY": "short"}, "security.W009"),
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"DATABASE_URL": ""}, "quiz.W001"),
        ({"REDIS_URL": ""}, "quiz.W002"),
    ],
    ids=["debug-on", "generated-key", "short-key", "no-hsts", "sqlite", "in-process-layer"],
)
def test_each_production_setting_left_out_fails_the_deploy_check(change, warning):
    checked = deploy_check({**documented_production_env(), **change})

    assert checked.returncode == 1
    assert f"({warning})" in checked.stderr
