"""Joins and resumes served in batches keep every guarantee of a join or resume served alone: unique
nicknames, the join key, kicked contestants refused, signed tokens; and a batch costs a few queries."""

from __future__ import annotations

import asyncio
import json

import pytest
from django.core import signing
from django.utils import timezone

from quiz import frames
from quiz.models import Contestant
from quiz.services import contestants as contestant_services
from quiz.services.contestants import Joined, JoinRequest, contestant_kick, contestants_join
from quiz.services.errors import QuizError
from quiz.services.rounds import round_create
from quiz.services.snapshots import Welcome, contestants_resume
from tests.factories import HostRoleFactory, QuestionFactory
from tests.live import Socket

pytestmark = [pytest.mark.django_db(transaction=True)]

KEY = "3f2a9c41d07b4e5f8a6b1c2d3e4f5a6b"
OTHER_KEY = "0123456789abcdef0123456789abcdef"


def new_round(**options):
    role = HostRoleFactory()
    questions = [QuestionFactory(correct=[0]) for _ in range(2)]
    return round_create(competition=role.competition, title="Batch", questions=questions, **options), role


def codes(outcomes) -> list[str]:
    return [o.code if isinstance(o, QuizError) else "ok" for o in outcomes]


def test_two_joins_with_the_same_nickname_in_one_batch_let_the_first_in_and_refuse_the_second():
    round_, _ = new_round()

    outcomes = contestants_join(
        [
            JoinRequest(pin=round_.pin, nickname="小明", key=KEY),
            JoinRequest(pin=round_.pin, nickname="小明", key=OTHER_KEY),
            JoinRequest(pin=round_.pin, nickname="小明"),
        ]
    )

    assert codes(outcomes) == ["ok", "nickname_taken", "nickname_taken"]
    assert Contestant.objects.filter(round=round_).count() == 1


def test_the_same_join_twice_in_one_batch_with_its_key_is_one_contestant():
    round_, _ = new_round()

    first, again = contestants_join(
        [
            JoinRequest(pin=round_.pin, nickname="小明", key=KEY),
            JoinRequest(pin=round_.pin, nickname="小明", key=KEY),
        ]
    )

    assert isinstance(first, Joined) and isinstance(again, Joined)
    assert again.contestant_id == first.contestant_id
    assert Contestant.objects.filter(round=round_).count() == 1


def test_a_batch_judges_each_join_against_the_contestants_already_in_the_round():
    # given Ann joined earlier with her phone's key, and Bea was removed by the host
    round_, role = new_round()
    ann, bea = contestants_join(
        [
            JoinRequest(pin=round_.pin, nickname="Ann", key=KEY),
            JoinRequest(pin=round_.pin, nickname="Bea", key=KEY),
        ]
    )
    contestant_kick(round_id=round_.id, contestant_id=bea.contestant_id, actor=role.user, now=timezone.now())

    # when one batch brings Ann's phone again, another phone as Ann, Bea's phone, a new name, a bad name
    # and a wrong PIN
    outcomes = contestants_join(
        [
            JoinRequest(pin=round_.pin, nickname="Ann", key=KEY),
            JoinRequest(pin=round_.pin, nickname="Ann", key=OTHER_KEY),
            JoinRequest(pin=round_.pin, nickname="Bea", key=KEY),
            JoinRequest(pin=round_.pin, nickname="Cai", key=OTHER_KEY),
            JoinRequest(pin=round_.pin, nickname="   "),
            JoinRequest(pin="000000" if round_.pin != "000000" else "999999", nickname="Dee"),
        ]
    )

    # then
    assert codes(outcomes) == ["ok", "nickname_taken", "kicked", "ok", outcomes[4].code, "wrong_pin"]
    assert isinstance(outcomes[4], QuizError) and outcomes[4].code != "ok"
    assert outcomes[0].contestant_id == ann.contestant_id
    assert sorted(Contestant.objects.filter(round=round_).values_list("nickname", flat=True)) == [
        "Ann",
        "Bea",
        "Cai",
    ]


def test_a_batch_serves_joins_to_several_rounds_each_in_its_own_round():
    first, _ = new_round()
    second, _ = new_round()

    a, b = contestants_join(
        [JoinRequest(pin=first.pin, nickname="Ann"), JoinRequest(pin=second.pin, nickname="Ann")]
    )

    assert (a.round_id, b.round_id) == (first.id, second.id)


def test_a_nickname_another_process_took_between_the_read_and_the_insert_is_refused_and_the_rest_join(
    monkeypatch,
):
    # given another process inserts "Ann" just before this batch's insert
    round_, _ = new_round()
    insert = contestant_services._insert

    def racing_insert(round_arg, new, results):
        Contestant.objects.create(round=round_arg, nickname="Ann", join_key=OTHER_KEY)
        insert(round_arg, new, results)

    monkeypatch.setattr(contestant_services, "_insert", racing_insert)

    # when
    outcomes = contestants_join(
        [
            JoinRequest(pin=round_.pin, nickname="Ann", key=KEY),
            JoinRequest(pin=round_.pin, nickname="Bob", key=KEY),
        ]
    )

    # then the unique constraint judged: Ann is taken, Bob joined
    assert codes(outcomes) == ["nickname_taken", "ok"]
    assert sorted(Contestant.objects.filter(round=round_).values_list("nickname", flat=True)) == [
        "Ann",
        "Bob",
    ]


def test_resumes_in_one_batch_refuse_forged_stale_and_kicked_tokens_and_welcome_the_others():
    # given
    round_, role = new_round()
    ann, bob, cai = contestants_join([JoinRequest(pin=round_.pin, nickname=n) for n in ("Ann", "Bob", "Cai")])
    contestant_kick(round_id=round_.id, contestant_id=cai.contestant_id, actor=role.user, now=timezone.now())
    forged = signing.dumps({"c": bob.contestant_id, "r": round_.id, "n": "guess"}, salt="not-ours")
    wrong_nonce = signing.dumps(
        {"c": bob.contestant_id, "r": round_.id, "n": "guess"}, salt=contestant_services.TOKEN_SALT
    )
    wrong_round = signing.dumps(
        {"c": bob.contestant_id, "r": round_.id + 1000, "n": "x"}, salt=contestant_services.TOKEN_SALT
    )

    # when
    outcomes = contestants_resume([ann.token, forged, wrong_nonce, wrong_round, cai.token, bob.token, "junk"])

    # then
    assert codes(outcomes) == [
        "ok",
        "invalid_token",
        "invalid_token",
        "invalid_token",
        "kicked",
        "ok",
        "invalid_token",
    ]
    assert outcomes[0].frame["me"]["nickname"] == "Ann"
    assert outcomes[5].frame["me"]["nickname"] == "Bob"


def test_the_welcomes_of_a_batch_share_the_round_part_and_their_text_is_their_frame():
    round_, _ = new_round()
    joined = contestants_join([JoinRequest(pin=round_.pin, nickname=n) for n in ("Ann", "Bob")])

    ann, bob = contestants_resume([j.token for j in joined])

    assert isinstance(ann, Welcome) and isinstance(bob, Welcome)
    assert ann.frame["round"] is bob.frame["round"]
    for welcome in (ann, bob):
        assert json.loads(welcome.text) == welcome.frame
        assert welcome.text == frames.dumps(welcome.frame)


def test_a_batch_of_joins_and_its_welcomes_cost_the_same_few_queries_for_5_or_50_phones(
    django_assert_max_num_queries,
):
    round_, _ = new_round()
    for size, prefix in ((5, "a"), (50, "b")):
        with django_assert_max_num_queries(8):
            joined = contestants_join(
                [JoinRequest(pin=round_.pin, nickname=f"{prefix}{i}") for i in range(size)]
            )
        assert all(isinstance(j, Joined) for j in joined)
        with django_assert_max_num_queries(8):
            welcomes = contestants_resume([j.token for j in joined])
        assert all(isinstance(w, Welcome) for w in welcomes)


async def test_phones_joining_at_once_with_the_same_nickname_get_one_welcome_and_one_refusal(make_round):
    # given
    round_, _ = await make_round()
    phones = [Socket("/ws/play/") for _ in range(4)]
    for phone in phones:
        assert await phone.connect()

    # when they send their joins together (one batch)
    names = ["小明", "小明", "小红", "小刚"]
    for phone, name in zip(phones, names, strict=True):
        await phone.send({"type": "join", "pin": round_.pin, "nickname": name})
    replies = await asyncio.gather(*(phone.next() for phone in phones))

    # then
    kinds = [reply["type"] for reply in replies]
    assert kinds.count("welcome") == 3
    assert replies[kinds.index("error")]["code"] == "nickname_taken"
    assert {reply["me"]["nickname"] for reply in replies if reply["type"] == "welcome"} == {
        "小明",
        "小红",
        "小刚",
    }
    assert len({reply["me"]["id"] for reply in replies if reply["type"] == "welcome"}) == 3
    for phone in phones:
        await phone.close()
