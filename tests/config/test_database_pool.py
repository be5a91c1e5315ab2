"""DATABASE_POOL_MAX gives each process a bounded PostgreSQL connection pool instead of a connection per
request thread (docs/deploy.md, section 5)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = (
    "import json; from django.conf import settings; d = settings.DATABASES['default']; "
    "print(json.dumps([d['CONN_MAX_AGE'], d.get('OPTIONS', {}).get('pool')]))"
)


def _database_settings(**env):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    done = subprocess.run(
        [sys.executable, "-c", CODE], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_pool_size_gives_a_bounded_pool_and_no_persistent_connections():
    age, pool = _database_settings(DATABASE_URL="postgres://u@127.0.0.1:5432/x", DATABASE_POOL_MAX="8")
    assert age == 0 and pool == {"min_size": 1, "max_size": 8, "timeout": 30.0}


def test_without_a_pool_size_connections_persist_as_before():
    age, pool = _database_settings(DATABASE_URL="postgres://u@127.0.0.1:5432/x", DATABASE_POOL_MAX="")
    assert age == 60 and pool is None
