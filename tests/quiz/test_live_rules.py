"""The live-round rules (docs/architecture.md), each shown over real sockets or the service it rests on."""

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from quiz.frames import epoch_ms
from quiz.models import Answer, Contestant, RoundLog, RoundQuestion
from quiz.protocol import HostCommand
from quiz.services import answers
from quiz.services.answers import PendingAnswer, answers_record
from quiz.services.rounds import round_close_if_due, round_command
from tests.factories import RegistrationFactory, TeamFactory
from tests.live import Socket, contestant, display, host

pytestmark = [pytest.mark.django_db(transaction=True)]


async def test_the_deadline_closes_the_question_without_the_host_and_late_answers_are_refused(make_round):
    round_, user = await make_round(time_limit=1)
    console, _ = await host(round_.id, user)
    sock, _ = await contestant(round_.pin, "Ann")
    await console.request({"type": "open", "question": 0}, "command")
    await sock.expect("state", event="question.opened")
    await console.close()  # the host's laptop is gone

    closed = await sock.expect("state", event="question.closed", timeout=3)

    assert closed["reason"] == "deadline"
    error = await sock.request({"type": "answer", "question": 0, "choices": [0]}, "error")
    assert error["code"] == "too_late"
    assert await sync_to_async(Answer.objects.count)() == 0
    closes = await sync_to_async(RoundLog.objects.filter(action="close.deadline").count)()
    assert closes == 1
    await sock.close()


async def test_quick_taps_store_one_answer_and_every_tap_gets_the_same_ack(make_round):
    round_, user = await make_round()
    console, _ = await host(round_.id, user)
    sock, _ = await contestant(round_.pin, "Ann")
    await console.request({"type": "open", "question": 0}, "command")
    await sock.expect("state", event="question.opened")

    for choice in (0, 2, 3):  # three taps without waiting
        await sock.send({"type": "answer", "question": 0, "choices": [choice]})
    acks = [await sock.expect("ack") for _ in range(3)]

    assert [a["choices"] for a in acks] == [[0], [0], [0]]
    assert [a["duplicate"] for a in acks] == [False, True, True]
    assert len({a["received_at"] for a in acks}) == 1
    assert await sync_to_async(Answer.objects.count)() == 1
    await sock.close()
    await console.close()


async def test_a_retry_after_the_question_closed_still_gets_the_original_ack(make_round):
    round_, user = await make_round()
    console, _ = await host(round_.id, user)
    sock, _ = await contestant(round_.pin, "Ann")
    await console.request({"type": "open", "question": 0}, "command")
    first = await sock.request({"type": "answer", "question": 0, "choices": [1]}, "ack")
    await console.request({"type": "close", "question": 0}, "command")

    retry = await sock.request({"type": "answer", "question": 0, "choices": [1]}, "ack")

    assert retry["duplicate"] is True and retry["received_at"] == first["received_at"]
    await sock.close()
    await console.close()


async def test_the_ack_is_sent_only_once_the_answer_is_committed(make_round):
    round_, user = await make_round()
    console, _ = await host(round_.id, user)
    sock, welcome = await contestant(round_.pin, "Ann")
    await console.request({"type": "open", "question": 0}, "command")

    await sock.request(
        {"type": "answer", "question": 0, "choices": [2], "rtt_ms": 80, "client_elapsed_ms": 1500}, "ack"
    )

    stored = await sync_to_async(Answer.objects.get)(contestant_id=welcome["me"]["id"])
    assert stored.choices == [2] and stored.rtt_ms == 80 and stored.client_elapsed_ms == 1500
    assert stored.elapsed_ms >= 0
    await sock.close()
    await console.close()


@sync_to_async
def record_batch_capturing_queries(round_, contestants):
    q = RoundQuestion.objects.get(round=round_, position=0)
    now = timezone.now()
    batch = [PendingAnswer(c.id, round_.id, 0, (i % 4,), now) for i, c in enumerate(contestants)]
    with CaptureQueriesContext(connection) as ctx:
        result = answers_record(batch)
    return q, result, [query["sql"].upper() for query in ctx.captured_queries]


async def test_a_batch_of_answers_is_one_transaction_that_never_locks_or_updates_the_round_row(make_round):
    round_, user = await make_round()
    await sync_to_async(round_command)(user=user, round_id=round_.id, command=HostCommand("open", question=0))
    contestants = [
        await sync_to_async(Contestant.objects.create)(round=round_, nickname=f"P{i}") for i in range(50)
    ]

    _, result, queries = await record_batch_capturing_queries(round_, contestants)

    assert all(o.accepted for o in result.outcomes)
    assert not any("FOR UPDATE" in sql for sql in queries)
    assert not any(sql.startswith('UPDATE "QUIZ_ROUND"') for sql in queries)
    inserts = [sql for sql in queries if sql.startswith("INSERT") and '"QUIZ_ANSWER"' in sql]
    assert len(inserts) == 1  # fifty answers, one statement
    assert len(queries) <= 7  # a fixed number of statements, not one per answer


async def test_a_batch_of_new_answers_reads_no_stored_answer_back(make_round):
    round_, user = await make_round()
    await sync_to_async(round_command)(user=user, round_id=round_.id, command=HostCommand("open", question=0))
    contestants = [
        await sync_to_async(Contestant.objects.create)(round=round_, nickname=f"P{i}") for i in range(20)
    ]

    _, result, queries = await record_batch_capturing_queries(round_, contestants)

    assert [o.frame["duplicate"] for o in result.outcomes] == [False] * 20
    reads = [sql for sql in queries if sql.startswith('SELECT "QUIZ_ANSWER"')]
    assert reads == []  # the insert says what it stored; only the count reads the table
    assert result.answered[round_.id][2:] == (20, 20)


@sync_to_async
def store_directly(round_, contestant, choices):
    """An answer stored by another server process, outside this process's batches."""
    q = RoundQuestion.objects.get(round=round_, position=0)
    return Answer.objects.create(
        round=round_,
        question=q,
        contestant=contestant,
        choices=choices,
        received_at=timezone.now(),
        elapsed_ms=5,
    )


async def test_an_answer_stored_meanwhile_by_another_process_is_acked_as_the_stored_one(make_round):
    round_, user = await make_round()
    await sync_to_async(round_command)(user=user, round_id=round_.id, command=HostCommand("open", question=0))
    ann, bob = [
        await sync_to_async(Contestant.objects.create)(round=round_, nickname=n) for n in ("Ann", "Bob")
    ]
    theirs = await store_directly(round_, ann, [3])

    _, result, _ = await record_batch_capturing_queries(round_, [ann, bob])  # Ann sends 0, Bob 1

    ann_ack, bob_ack = (o.frame for o in result.outcomes)
    assert ann_ack["duplicate"] is True and ann_ack["choices"] == [3]
    assert ann_ack["received_at"] == epoch_ms(theirs.received_at)
    assert bob_ack["duplicate"] is False and bob_ack["choices"] == [1]
    stored = await sync_to_async(lambda: sorted(Answer.objects.values_list("contestant_id", "choices")))()
    assert stored == [(ann.id, [3]), (bob.id, [1])]
    assert result.answered[round_.id][2:] == (2, 2)


async def test_a_contestant_who_drops_mid_question_resumes_with_everything(make_round):
    round_, user = await make_round(questions=2)
    console, _ = await host(round_.id, user)
    sock, welcome = await contestant(round_.pin, "Ann")
    token = welcome["token"]
    await console.request({"type": "open", "question": 0}, "command")
    await sock.request({"type": "answer", "question": 0, "choices": [0]}, "ack")
    await sock.close()  # the phone drops off Wi-Fi

    again = Socket("/ws/play/")
    assert await again.connect()
    resumed = await again.request({"type": "resume", "token": token}, "welcome")

    assert resumed["round"]["phase"] == "open"
    assert resumed["round"]["question"]["index"] == 0
    assert 0 < resumed["round"]["question"]["remaining_ms"] <= 20_000
    assert resumed["me"]["answer"]["choices"] == [0]
    assert resumed["version"] >= welcome["version"]

    # and, after the reveal, a fresh reconnect shows the score and the rank
    await console.request({"type": "reveal", "question": 0}, "command")
    await again.expect("result")
    await again.close()
    third = Socket("/ws/play/")
    assert await third.connect()
    later = await third.request({"type": "resume", "token": token}, "welcome")
    assert later["me"]["score"] > 0 and later["me"]["rank"] == 1 and later["me"]["correct"] == 1
    await third.close()
    await console.close()


async def test_a_reconnect_token_does_not_work_in_another_round(make_round):
    first, _ = await make_round()
    _, welcome = await contestant(first.pin, "Ann")
    token = welcome["token"]
    forged = token.replace(token.split(":")[0], token.split(":")[0][::-1])
    sock = Socket("/ws/play/")
    assert await sock.connect()
    assert (await sock.request({"type": "resume", "token": forged}, "error"))["code"] == "invalid_token"
    await sock.close()


async def test_pressing_next_twice_opens_the_question_once(make_round):
    round_, user = await make_round()
    console, _ = await host(round_.id, user)

    first = await console.request({"type": "open", "question": 0}, "command")
    second = await console.request({"type": "open", "question": 0}, "command")

    assert first["changed"] is True and second["changed"] is False
    assert second["version"] == first["version"]
    assert second["round"]["current"] == 0
    await console.close()


async def test_a_kicked_contestant_is_closed_out_and_cannot_resume(make_round):
    round_, user = await make_round()
    console, _ = await host(round_.id, user)
    sock, welcome = await contestant(round_.pin, "Troll")

    reply = await console.request({"type": "kick", "contestant": welcome["me"]["id"]}, "command")
    assert reply["changed"] is True
    joined_or_kicked = await console.expect("contestant", event="kicked")
    assert joined_or_kicked["participants"] == 0

    assert (await sock.expect("kicked"))["type"] == "kicked"
    assert (await sock.next())["type"] == "_closed" and sock.closed_with == 4003
    again = Socket("/ws/play/")
    assert await again.connect()
    refused = await again.request({"type": "resume", "token": welcome["token"]}, "error")
    assert refused["code"] == "kicked"
    assert (await again.next())["type"] == "_closed" and again.closed_with == 4003
    await console.close()


async def test_two_processes_racing_to_close_at_the_deadline_close_once(make_round):
    round_, user = await make_round(time_limit=1)
    await sync_to_async(round_command)(user=user, round_id=round_.id, command=HostCommand("open", question=0))
    await asyncio.sleep(1.1)
    results: list[bool] = []

    def close() -> None:
        from django.db import connections

        results.append(round_close_if_due(round_id=round_.id))
        connections.close_all()

    threads = [threading.Thread(target=close) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(results) == [False, False, False, True]
    assert await sync_to_async(RoundLog.objects.filter(action="close.deadline").count)() == 1


async def test_answers_are_refused_while_paused_and_accepted_after_resume(make_round):
    round_, user = await make_round()
    console, _ = await host(round_.id, user)
    sock, _ = await contestant(round_.pin, "Ann")
    await console.request({"type": "open", "question": 0}, "command")
    await console.request({"type": "pause"}, "command")
    paused = await sock.expect("state", event="round.paused")
    assert paused["round"]["question"]["paused"] is True and paused["round"]["question"]["deadline"] is None

    assert (await sock.request({"type": "answer", "question": 0, "choices": [0]}, "error"))[
        "code"
    ] == "paused"
    await console.request({"type": "resume"}, "command")
    await sock.expect("state", event="round.resumed")
    assert (await sock.request({"type": "answer", "question": 0, "choices": [0]}, "ack"))[
        "duplicate"
    ] is False
    await sock.close()
    await console.close()


async def test_voiding_a_revealed_question_rescores_everyone(make_round):
    round_, user = await make_round(questions=2)
    console, _ = await host(round_.id, user)
    sock, _ = await contestant(round_.pin, "Ann")
    await console.request({"type": "open", "question": 0}, "command")
    await sock.request({"type": "answer", "question": 0, "choices": [0]}, "ack")
    await console.request({"type": "reveal", "question": 0}, "command")
    scored = await sock.expect("result")
    assert scored["score"] > 0

    await console.request({"type": "void", "question": 0}, "command")

    rescored = await sock.expect("result")
    assert rescored["score"] == 0
    await sock.close()
    await console.close()


async def test_the_round_closes_early_when_everyone_has_answered_if_asked_to(make_round):
    round_, user = await make_round(close_when_all_answered=True)
    console, _ = await host(round_.id, user)
    ann, _ = await contestant(round_.pin, "Ann")
    bob, _ = await contestant(round_.pin, "Bob")
    await console.request({"type": "open", "question": 0}, "command")
    await ann.request({"type": "answer", "question": 0, "choices": [0]}, "ack")
    await bob.request({"type": "answer", "question": 0, "choices": [1]}, "ack")

    closed = await ann.expect("state", event="question.closed")

    assert closed["reason"] == "all_answered"
    for sock in (ann, bob, console):
        await sock.close()


async def test_a_registered_contestant_joins_with_a_code_and_joining_again_is_the_same_contestant(make_round):
    round_, _ = await make_round(join_mode="registered")
    team = await sync_to_async(TeamFactory)(competition_id=round_.competition_id)
    await sync_to_async(RegistrationFactory)(
        competition_id=round_.competition_id, team=team, name="张三", code="BJ001"
    )
    sock = Socket("/ws/play/")
    assert await sock.connect()
    by_name = await sock.request({"type": "join", "pin": round_.pin, "nickname": "Ann"}, "error")
    assert by_name["code"] == "join_mode"
    welcome = await sock.request({"type": "join", "pin": round_.pin, "code": "bj001"}, "welcome")
    assert welcome["me"]["nickname"] == "张三" and welcome["me"]["team"] == team.name
    await sock.close()

    again = Socket("/ws/play/")
    assert await again.connect()
    second = await again.request({"type": "join", "pin": round_.pin, "code": "BJ001"}, "welcome")
    assert second["me"]["id"] == welcome["me"]["id"]
    assert await sync_to_async(Contestant.objects.count)() == 1
    await again.close()


async def test_the_display_shows_the_distribution_after_close_and_the_explanation_after_reveal(make_round):
    round_, user = await make_round()
    console, _ = await host(round_.id, user)
    screen, _ = await display(round_.pin)
    sock, _ = await contestant(round_.pin, "Ann")
    await console.request({"type": "open", "question": 0}, "command")
    await sock.request({"type": "answer", "question": 0, "choices": [3]}, "ack")
    await console.request({"type": "close", "question": 0}, "command")

    closed = await screen.expect("state", event="question.closed")
    assert closed["round"]["question"]["distribution"] == [0, 0, 0, 1]
    assert "explanation" not in closed["round"]["question"]

    await console.request({"type": "reveal", "question": 0}, "command")
    revealed = await screen.expect("state", event="answer.revealed")
    assert revealed["round"]["question"]["explanation"] == "Because B is right."
    for s in (console, screen, sock):
        await s.close()


async def test_a_failed_answer_write_gets_a_server_error_and_the_socket_stays_open(make_round, monkeypatch):
    round_, user = await make_round()
    console, _ = await host(round_.id, user)
    sock, _ = await contestant(round_.pin, "Ann")
    await console.request({"type": "open", "question": 0}, "command")

    async def broken(batch):
        raise RuntimeError("database went away")

    monkeypatch.setattr(answers, "aanswers_record", broken)
    error = await sock.request({"type": "answer", "question": 0, "choices": [0]}, "error")
    assert error["code"] == "server_error"
    monkeypatch.undo()

    ack = await sock.request({"type": "answer", "question": 0, "choices": [0]}, "ack")  # the resend is stored
    assert ack["duplicate"] is False
    await sock.close()
    await console.close()


async def test_an_older_snapshot_does_not_cancel_the_clock_of_a_newer_question(make_round):
    from quiz.hub import Sink, get_hub

    round_, user = await make_round(time_limit=1)
    sock, welcome = await contestant(round_.pin, "Ann")
    await sync_to_async(round_command)(user=user, round_id=round_.id, command=HostCommand("open", question=0))
    await sock.expect("state", event="question.opened")
    # a socket whose snapshot was read before the question opened goes live now
    late = Sink(lambda message: asyncio.sleep(0), "display")
    await get_hub().attach(round_.id, late)
    get_hub().watch_deadline(round_.id, None, welcome["version"])

    closed = await sock.expect("state", event="question.closed", timeout=3)

    assert closed["reason"] == "deadline"
    await get_hub().detach(round_.id, late)
    await sock.close()


@pytest.mark.services  # two transactions open at once: PostgreSQL, not SQLite's single writer
async def test_two_overlapping_batches_still_publish_the_count_of_every_answer(make_round, monkeypatch):
    """Two processes' batches that insert before either commits: the count is taken after the commit, so
    the batch that commits last counts both answers (counted inside, each saw only its own)."""
    round_, user = await make_round()
    await sync_to_async(round_command)(user=user, round_id=round_.id, command=HostCommand("open", question=0))
    ann = await sync_to_async(Contestant.objects.create)(round=round_, nickname="Ann")
    bob = await sync_to_async(Contestant.objects.create)(round=round_, nickname="Bob")
    both_inserted = threading.Barrier(2, timeout=10)
    insert = answers._insert

    def insert_then_wait(rows):
        inserted = insert(rows)
        both_inserted.wait()  # neither batch commits before the other has inserted
        return inserted

    monkeypatch.setattr(answers, "_insert", insert_then_wait)
    results = []

    def record(who):
        try:
            results.append(answers_record([PendingAnswer(who.id, round_.id, 0, (0,), timezone.now())]))
        finally:
            connection.close()

    threads = [threading.Thread(target=record, args=(who,)) for who in (ann, bob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        await asyncio.to_thread(thread.join)

    assert len(results) == 2 and all(o.accepted for r in results for o in r.outcomes)
    assert max(r.answered[round_.id][2] for r in results) == 2
