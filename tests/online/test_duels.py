"""Duels: invitation and random matching, the same questions at the same time, speed scoring, reveal,
resume after a drop, and a partner who never joins; the socket over a real consumer."""

import uuid
from datetime import timedelta

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from competition.online.errors import OnlineError
from competition.online.management.commands.demo_online import wrong_answer
from competition.online.models import Contestant, Duel, DuelAnswer
from competition.online.services import duels
from questionbank.models import Question
from tests.online.conftest import make_contestant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pair(bank, stage):
    return make_contestant(stage, 1), make_contestant(stage, 2)


def key(duel, position):
    return list(Question.objects.get(pk=duel.question_ids[position]).correct)


def started(pair, now):
    a, b = pair
    duel = duels.duel_create(contestant=a, now=now)
    duels.duel_join(contestant=b, code=duel.code, now=now)
    duels.duel_tick(duel_id=duel.pk, now=now + timedelta(seconds=3))  # after the pause: question 0 opens
    duel.refresh_from_db()
    return duel


def test_an_invited_friend_joins_and_both_get_the_same_question_without_the_key(pair):
    now = timezone.now()
    duel = started(pair, now)
    a, b = pair
    fa = duels.duel_frame(contestant_id=a.pk, code=duel.code, now=now + timedelta(seconds=3))
    fb = duels.duel_frame(contestant_id=b.pk, code=duel.code, now=now + timedelta(seconds=3))
    assert fa["phase"] == fb["phase"] == "open" and fa["question"] == fb["question"]
    assert fa["deadline"] == fb["deadline"]
    assert "correct" not in fa["question"] and fa["reveal"] is None
    assert fa["partner"]["name"] == b.display_name


def test_answers_score_by_speed_and_both_answering_reveals_the_key(pair):
    now = timezone.now()
    duel = started(pair, now)
    a, b = pair
    opened = now + timedelta(seconds=3)
    ack = duels.duel_answer(
        contestant_id=a.pk,
        code=duel.code,
        position=0,
        choices=key(duel, 0),
        submission=uuid.uuid4(),
        now=opened,
    )
    assert ack == {"type": "ack", "position": 0, "duplicate": False}
    middle = duels.duel_frame(contestant_id=b.pk, code=duel.code, now=opened)
    assert middle["answered"] == {"you": False, "partner": True} and middle["reveal"] is None
    wrong = wrong_answer(Question.objects.get(pk=duel.question_ids[0]))
    duels.duel_answer(
        contestant_id=b.pk,
        code=duel.code,
        position=0,
        choices=wrong,
        submission=uuid.uuid4(),
        now=opened + timedelta(seconds=5),
    )
    frame = duels.duel_frame(contestant_id=a.pk, code=duel.code, now=opened + timedelta(seconds=5))
    assert frame["phase"] == "revealed" and frame["reveal"]["correct"] == key(duel, 0)
    assert frame["you"]["score"] == 500 and frame["partner"]["score"] == 0


def test_a_repeated_answer_is_acknowledged_once(pair):
    now = timezone.now()
    duel = started(pair, now)
    a, _ = pair
    opened = now + timedelta(seconds=3)
    duels.duel_answer(
        contestant_id=a.pk, code=duel.code, position=0, choices=[0], submission=uuid.uuid4(), now=opened
    )
    again = duels.duel_answer(
        contestant_id=a.pk, code=duel.code, position=0, choices=[1], submission=uuid.uuid4(), now=opened
    )
    assert again["duplicate"] is True and DuelAnswer.objects.count() == 1


def test_answers_to_a_question_not_open_are_refused(pair):
    now = timezone.now()
    duel = started(pair, now)
    a, _ = pair
    with pytest.raises(OnlineError) as refused:
        duels.duel_answer(
            contestant_id=a.pk,
            code=duel.code,
            position=1,
            choices=[0],
            submission=uuid.uuid4(),
            now=now + timedelta(seconds=3),
        )
    assert refused.value.code == "duel_not_open"
    with pytest.raises(OnlineError) as refused:
        duels.duel_answer(
            contestant_id=a.pk,
            code=duel.code,
            position=0,
            choices=[0],
            submission=uuid.uuid4(),
            now=now + timedelta(seconds=30),
        )
    assert refused.value.code == "too_late"


def test_a_whole_duel_finishes_with_outcomes_and_season_points(pair):
    now = timezone.now()
    duel = started(pair, now)
    a, b = pair
    t = now + timedelta(seconds=3)
    for position in range(5):
        duels.duel_answer(
            contestant_id=a.pk,
            code=duel.code,
            position=position,
            choices=key(duel, position),
            submission=uuid.uuid4(),
            now=t,
        )
        duels.duel_answer(
            contestant_id=b.pk,
            code=duel.code,
            position=position,
            choices=key(duel, position),
            submission=uuid.uuid4(),
            now=t + timedelta(seconds=2),
        )
        t += timedelta(seconds=5)  # past the pause: the next question opens
        duels.duel_tick(duel_id=duel.pk, now=t)
    fa = duels.duel_frame(contestant_id=a.pk, code=duel.code, now=t)
    fb = duels.duel_frame(contestant_id=b.pk, code=duel.code, now=t)
    assert fa["phase"] == "finished" and fa["result"] == {"outcome": "win", "points": 20}
    assert fb["result"] == {"outcome": "loss", "points": 5}
    assert Contestant.objects.get(pk=a.pk).points == 20 and Contestant.objects.get(pk=b.pk).correct == 5


def test_a_partner_who_never_joins_expires_the_duel(pair):
    a, b = pair
    now = timezone.now()
    duel = duels.duel_create(contestant=a, now=now)
    frame = duels.duel_frame(contestant_id=a.pk, code=duel.code, now=now + timedelta(seconds=121))
    assert frame["phase"] == "expired"
    with pytest.raises(OnlineError) as refused:
        duels.duel_join(contestant=b, code=duel.code, now=now + timedelta(seconds=122))
    assert refused.value.code == "duel_over"


def test_a_third_player_cannot_join(pair, stage):
    duel = started(pair, timezone.now())
    with pytest.raises(OnlineError) as refused:
        duels.duel_join(contestant=make_contestant(stage, 3), code=duel.code)
    assert refused.value.code == "duel_full"


def test_random_matching_pairs_two_waiting_players(pair):
    a, b = pair
    first = duels.duel_match(contestant=a)
    assert first.phase == "waiting" and duels.duel_match(contestant=a).pk == first.pk
    second = duels.duel_match(contestant=b)
    assert second.pk == first.pk
    assert Duel.objects.get(pk=first.pk).seats.count() == 2


async def _socket(client, code):
    from competition.online.routing import websocket_urlpatterns

    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    communicator = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns), f"/ws/online/duel/{code}/", headers=[(b"cookie", cookie)]
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


def _signed_in(contestant):
    from django.test import Client

    client = Client()
    session = client.session
    session["online_contestant"] = contestant.pk
    session.save()
    client.cookies["sessionid"] = session.session_key
    return client


async def test_the_duel_socket_plays_a_question_and_resumes_after_a_drop(pair):
    from asgiref.sync import sync_to_async

    a, b = pair
    duel = await sync_to_async(duels.duel_create)(contestant=a)
    ca, cb = await sync_to_async(_signed_in)(a), await sync_to_async(_signed_in)(b)
    sa = await _socket(ca, duel.code)
    first = await sa.receive_json_from(timeout=5)
    assert first["type"] == "duel" and first["phase"] == "waiting"
    await sync_to_async(duels.duel_join)(contestant=b, code=duel.code)
    sb = await _socket(cb, duel.code)
    # the pause after joining, then question 0 opens on both sockets by their own timers
    frame = await sa.receive_json_from(timeout=5)
    while frame["phase"] != "open":
        frame = await sa.receive_json_from(timeout=8)
    assert frame["position"] == 0 and "correct" not in frame["question"]
    await sa.send_json_to({"type": "answer", "position": 0, "choices": [0], "id": str(uuid.uuid4())})
    reply = await sa.receive_json_from(timeout=5)
    while reply["type"] != "ack":
        reply = await sa.receive_json_from(timeout=5)
    assert reply["duplicate"] is False
    await sa.send_json_to({"type": "answer", "position": "x", "choices": [0], "id": str(uuid.uuid4())})
    error = await sa.receive_json_from(timeout=5)
    while error["type"] != "error":
        error = await sa.receive_json_from(timeout=5)
    assert error["code"] == "invalid_field"
    # b drops and comes back within the question: the same question, the same deadline
    await sb.disconnect()
    sb = await _socket(cb, duel.code)
    again = await sb.receive_json_from(timeout=5)
    assert again["phase"] == "open" and again["position"] == 0 and again["deadline"] == frame["deadline"]
    assert again["answered"] == {"you": False, "partner": True}
    await sa.disconnect()
    await sb.disconnect()


async def test_the_duel_socket_refuses_a_visitor_who_is_not_signed_in(pair):
    from asgiref.sync import sync_to_async

    from competition.online.routing import websocket_urlpatterns

    a, _ = pair
    duel = await sync_to_async(duels.duel_create)(contestant=a)
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/online/duel/{duel.code}/")
    connected, _ = await communicator.connect()
    assert connected
    error = await communicator.receive_json_from(timeout=5)
    assert error["code"] == "not_signed_in"
    closed = await communicator.receive_output(timeout=5)
    assert closed["type"] == "websocket.close" and closed["code"] == 4001
