"""/health/ for load balancers and /metrics for Prometheus, and the metrics a played round moves."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from asgiref.sync import sync_to_async
from django.db import OperationalError
from prometheus_client import REGISTRY

from config import ops
from quiz import metrics
from quiz.broadcast import Outbox
from tests.live import Socket, contestant, host

pytestmark = [pytest.mark.django_db(transaction=True)]


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- /health/ ------------------------------------------------------------------------------------------


def test_health_answers_200_with_each_check_when_the_database_answers(client, settings):
    # given the embedded stack (no Redis configured)
    settings.REDIS_URL = ""

    # when
    response = client.get("/health/")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert "redis" not in body["checks"]
    assert "no-cache" in response["Cache-Control"]


def test_health_answers_503_naming_the_database_when_it_does_not_answer(client, monkeypatch):
    def unreachable() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(ops, "_database", unreachable)

    response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is False
    assert "connection refused" in body["checks"]["database"]["error"]


def test_health_answers_503_naming_redis_when_it_does_not_answer(client, settings):
    # given a Redis URL where nothing listens
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.HEALTH_TIMEOUT_SECONDS = 0.5
    ops._redis_client.cache_clear()

    response = client.get("/health/")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] is True
    assert checks["redis"]["ok"] is False and checks["redis"]["error"]
    ops._redis_client.cache_clear()


def test_health_refuses_other_methods_than_get(client):
    assert client.post("/health/").status_code == 405


# --- /metrics: who may read it ---------------------------------------------------------------------------


def test_metrics_answer_404_when_neither_a_token_nor_a_network_is_configured(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics").status_code == 404


def test_metrics_answer_with_the_bearer_token_and_404_with_a_wrong_one(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    settings.METRICS_ALLOWED_NETWORKS = []

    good = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guess"})
    none = client.get("/metrics")

    assert good.status_code == 200
    assert good["Content-Type"].startswith("text/plain")
    assert b"quiz_joins_total" in good.content or b"# HELP quiz_joins_total" in good.content
    assert wrong.status_code == 404
    assert none.status_code == 404


@pytest.mark.parametrize(
    ("networks", "remote", "status"),
    [
        (["127.0.0.1/32"], "127.0.0.1", 200),
        (["10.0.0.0/8", "::1/128"], "10.20.30.40", 200),
        (["10.0.0.0/8"], "192.168.1.5", 404),
        (["10.0.0.0/8"], "not-an-address", 404),
    ],
)
def test_metrics_answer_only_requests_from_the_allowed_networks(client, settings, networks, remote, status):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = networks

    assert client.get("/metrics", REMOTE_ADDR=remote).status_code == status


# --- what a played round moves ---------------------------------------------------------------------------


async def test_a_played_round_moves_joins_resumes_answers_sockets_fanout_and_closes(make_round, settings):
    # given
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    round_, user = await make_round(questions=1)
    rid = str(round_.id)
    before = {
        "joins": value("quiz_joins_total", outcome="welcomed"),
        "taken": value("quiz_joins_total", outcome="nickname_taken"),
        "resumes": value("quiz_resumes_total", outcome="welcomed"),
        "accepted": value("quiz_answers_total", outcome="accepted"),
        "duplicate": value("quiz_answers_total", outcome="duplicate"),
        "acks": value("quiz_answer_ack_seconds_count"),
        "fanouts": value("quiz_broadcast_fanout_seconds_count"),
        "recipients": value("quiz_broadcast_recipients_sum"),
        "kicked": value("quiz_socket_closes_total", code="4003", by="server"),
        "client": value("quiz_socket_closes_total", code="1000", by="client"),
    }
    console, _ = await host(round_.id, user)

    # when two phones join (and a third with a taken nickname is refused), one reconnects, both answer
    # (one twice), and the host kicks one
    alice, welcome = await contestant(round_.pin, "Alice")
    bob, bob_welcome = await contestant(round_.pin, "Bob")
    clash = Socket("/ws/play/")
    assert await clash.connect()
    await clash.request({"type": "join", "pin": round_.pin, "nickname": "Alice"}, "error")
    assert value("quiz_sockets", round=rid, audience="contestant") == 2
    assert value("quiz_sockets", round=rid, audience="host") == 1
    await bob.close()
    bob = Socket("/ws/play/")
    assert await bob.connect()
    await bob.request({"type": "resume", "token": bob_welcome["token"]}, "welcome")
    await console.request({"type": "open", "question": 0}, "command")
    await alice.expect("state", event="question.opened")
    await bob.expect("state", event="question.opened")
    await alice.request({"type": "answer", "question": 0, "choices": [0]}, "ack")
    await alice.request({"type": "answer", "question": 0, "choices": [0]}, "ack", duplicate=True)
    await bob.request({"type": "answer", "question": 0, "choices": [1]}, "ack")
    await console.request({"type": "kick", "contestant": welcome["me"]["id"]}, "command")
    await alice.expect("kicked")

    # then
    assert value("quiz_joins_total", outcome="welcomed") - before["joins"] == 2
    assert value("quiz_joins_total", outcome="nickname_taken") - before["taken"] == 1
    assert value("quiz_resumes_total", outcome="welcomed") - before["resumes"] == 1
    assert value("quiz_answers_total", outcome="accepted") - before["accepted"] == 2
    assert value("quiz_answers_total", outcome="duplicate") - before["duplicate"] == 1
    assert value("quiz_answer_ack_seconds_count") - before["acks"] == 3
    assert value("quiz_broadcast_fanout_seconds_count") > before["fanouts"]
    # the opened question alone went to the host and both phones
    assert value("quiz_broadcast_recipients_sum") - before["recipients"] >= 3
    assert value("quiz_socket_closes_total", code="1000", by="client") - before["client"] == 1

    # and the kick closed Alice's socket with 4003, counted once
    assert (await alice.next())["code"] == 4003
    assert value("quiz_socket_closes_total", code="4003", by="server") - before["kicked"] == 1

    # and /metrics shows the round's sockets
    response = await sync_to_async(_get_metrics)()
    assert f'quiz_sockets{{audience="contestant",round="{rid}"}}'.encode() in response
    for sock in (console, alice, bob, clash):
        await sock.close()
    assert value("quiz_sockets", round=rid, audience="contestant") == 0


def _get_metrics() -> bytes:
    from django.test import Client

    response = Client().get("/metrics")
    assert response.status_code == 200
    return response.content


def test_the_outbox_depth_follows_messages_waiting_for_the_layer():
    # given a layer that refuses everything
    def refuse(round_id, message):
        raise ConnectionError("redis is restarting")

    outbox = Outbox(send=refuse)
    outbox.FIRST_DELAY = 5  # the worker waits; the test reads the depth meanwhile

    # when two messages cannot be sent
    outbox.send(1, {"version": 1})
    outbox.send(1, {"version": 2})

    # then
    assert value("quiz_outbox_messages") == 2
    metrics.OUTBOX.set(0)


def test_the_metrics_work_across_processes_with_a_shared_directory(tmp_path):
    """PROMETHEUS_MULTIPROC_DIR: what two processes count is reported by either, gauges per process."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = (
        "from quiz import metrics; metrics.JOINS.labels('welcomed').inc(3); "
        "metrics.socket_opened(7, 'contestant')"
    )
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True, timeout=60)
    report = (
        "import json; from prometheus_client import CollectorRegistry, multiprocess; "
        "r = CollectorRegistry(); multiprocess.MultiProcessCollector(r); "
        "print(json.dumps([[s.name, s.labels, s.value] for m in r.collect() for s in m.samples]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", report], env=env, check=True, timeout=60, capture_output=True, text=True
    ).stdout
    samples = json.loads(out)
    joins = [
        v for name, labels, v in samples if name == "quiz_joins_total" and labels["outcome"] == "welcomed"
    ]
    assert joins == [6.0]
    # the processes have ended: their socket gauges are no longer reported as live
    sockets = [v for name, labels, v in samples if name == "quiz_sockets"]
    assert sockets == []


# --- Redis reconnects ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "connection_class"),
    [
        ("redis://127.0.0.1:6379/0", metrics.CountingConnection),
        ("rediss://redis.example.org:6380/0", metrics.CountingSSLConnection),
        ("unix:///run/redis/redis.sock?db=0", None),
    ],
)
def test_the_channel_layer_counts_its_redis_connections_over_tcp_and_tls(url, connection_class):
    from config.settings import _layer_host

    host = _layer_host(url)

    assert host["address"] == url
    assert host.get("connection_class") is connection_class


@pytest.mark.services
async def test_a_redis_connection_that_drops_and_connects_again_counts_as_a_reconnect():
    import redis
    import redis.asyncio as aioredis

    # given a connection of the layer's kind
    url = os.environ["REDIS_URL"]
    pool = aioredis.ConnectionPool.from_url(url, connection_class=metrics.CountingConnection)
    client = aioredis.Redis(connection_pool=pool)
    opened, reconnects = value("quiz_redis_connections_total"), value("quiz_redis_reconnects_total")
    await client.ping()
    assert value("quiz_redis_connections_total") - opened == 1

    # when Redis drops it
    redis.Redis.from_url(url).client_kill_filter(_id=await client.client_id())
    for _ in range(3):  # redis-py may report the dropped connection once before it reconnects
        try:
            await client.ping()
            break
        except redis.ConnectionError:
            continue

    # then it is counted as a reconnect, not as a new connection
    assert value("quiz_redis_reconnects_total") - reconnects == 1
    assert value("quiz_redis_connections_total") - opened == 1
    await client.aclose()
    await pool.disconnect()


# --- the example dashboard -----------------------------------------------------------------------------


def test_the_example_grafana_dashboard_queries_only_metrics_the_server_exports():
    import re
    from pathlib import Path

    dashboard = json.loads(
        (Path(__file__).resolve().parents[2] / "docs/examples/grafana-dashboard.json").read_text()
    )
    exported = set()
    for metric in REGISTRY.collect():
        exported.update(sample.name for sample in metric.samples)
        exported.update(f"{metric.name}{suffix}" for suffix in ("", "_total", "_bucket", "_sum", "_count"))
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\b(quiz_[a-z_]+|process_[a-z_]+)\b", target["expr"])
    }
    assert queried
    assert queried <= exported, queried - exported


def test_with_quiz_metrics_off_nothing_is_recorded_or_exported():
    """QUIZ_METRICS=off, for measuring what recording costs: the code paths run, no quiz metric exists."""
    code = (
        "from quiz import metrics; from prometheus_client import REGISTRY, generate_latest; "
        "metrics.JOINS.labels('welcomed').inc(); metrics.socket_opened(1, 'contestant'); "
        "metrics.ACK_SECONDS.observe(0.1); metrics.OUTBOX.set(2); metrics.round_left(1, {'contestant'}); "
        "print(generate_latest(REGISTRY).decode())"
    )
    env = {**os.environ, "QUIZ_METRICS": "off"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, timeout=60, capture_output=True, text=True
    )
    assert "quiz_" not in out.stdout
    assert "process_cpu_seconds_total" in out.stdout or "python_info" in out.stdout
