"""No frame carries a question's key before its reveal over a whole benchmark round.

The benchmark's own pieces, small: ``bench.django_tasks.setup`` makes the round (three questions from the
demo bank), ``bench.loadclient`` plays it in its own process against real daphne processes, and counts
every frame that carries a key (``correct`` / ``explanation``) or a ``result`` before that question's
reveal reached the phone. tests/quiz/test_no_leaks.py checks the same frame by frame for a few phones,
voided questions and displays; this checks it at benchmark scale, joins and answer bursts included.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.django_tasks import setup as bench_setup
from tests.conftest import SERVICES
from tests.servers import ROOT, daphne_fleet

pytestmark = pytest.mark.django_db(transaction=True)

CONTESTANTS = 300
QUESTIONS = 3
PROCESSES = 2 if SERVICES else 1  # several share PostgreSQL and Redis; the embedded layer is in-process


def test_a_benchmark_round_sends_no_key_or_result_before_its_reveal(tmp_path):
    round_ = bench_setup(QUESTIONS)
    config = tmp_path / "loadclient.json"
    out = tmp_path / "result.json"

    with daphne_fleet(PROCESSES) as fleet:
        config.write_text(
            json.dumps(
                {
                    "mode": "ours",
                    "n": CONTESTANTS,
                    "k": QUESTIONS,
                    "concurrency": 100,
                    "phase_timeout": 120,
                    "join_timeout": 240,
                    "pin": round_["pin"],
                    "questions": round_["questions"],
                    "ports": fleet.ports,
                    "server_pids": [proc.pid for proc in fleet.procs],
                    "host_path": f"/ws/host/{round_['round_id']}/",
                    "play_path": "/ws/play/",
                    "session_key": round_["session_key"],
                    "out": str(out),
                }
            )
        )
        played = subprocess.run(
            [sys.executable, "-m", "bench.loadclient", str(config)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert played.returncode == 0, played.stderr[-3000:]
    result = json.loads(out.read_text())

    # the whole round was played: everyone joined, saw each question, was acked and got each result
    assert result["join"]["joined"] == CONTESTANTS, result["join"]
    for question in result["questions"]:
        assert question["broadcast"]["received"] == CONTESTANTS, question["broadcast"]
        assert question["answers"]["acked"] == CONTESTANTS, question["answers"]
        assert question["reveal"]["results_received"] == CONTESTANTS, question["reveal"]
    assert result["dropped_connections"] == 0 and result["ack_choice_mismatch"] == 0
    # and no phone learned a key, an explanation or its result early
    assert result["leaks_before_reveal"] == 0, result["leak_examples"]
