"""A final over real sockets: host, captains, members, judges and the big screen (quiz.finals)."""

from __future__ import annotations

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async

from quiz.finals.models import Final, FinalBuzz, FinalScoreEvent
from quiz.models import RoundLog
from tests.live import Socket, session_cookie_for

pytestmark = pytest.mark.django_db(transaction=True)

BUZZER_FIRST = {
    "segments": [{"kind": "buzzer", "rules": {"questions": 3}}, {"kind": "wager"}, {"kind": "judged"}]
}


async def open_host(final, user):
    sock = Socket(f"/ws/final/host/{final.id}/", cookie=await session_cookie_for(user))
    assert await sock.connect()
    return sock, await sock.expect("final", audience="host")


async def open_team(token):
    sock = Socket(f"/ws/final/team/{token}/")
    assert await sock.connect()
    return sock, await sock.expect("final", audience="team")


async def answer_probes(sock, offset_ms=0.0, delay=0.0, count=3):
    """Answer ``count`` of the server's clock probes as a phone whose clock is ``offset_ms`` behind the
    server's and whose network adds ``delay`` seconds each way. A real phone answers at once, so probes
    that waited in this test's queue (while it did something else) are left unanswered."""
    answered = 0
    while answered < count:
        probe = await sock.expect("sync", 4)
        if time.time() * 1000 - probe["s"] > 20:
            continue
        await asyncio.sleep(delay)
        stamp = time.time() * 1000 - offset_ms
        await asyncio.sleep(delay)
        await sock.send({"type": "sync", "s": probe["s"], "n": probe["n"], "c": stamp})
        answered += 1


async def press(sock, offset_ms=0.0, delay=0.0):
    """Press now: stamped on the phone's clock, delivered ``delay`` seconds later."""
    stamp = time.time() * 1000 - offset_ms
    await asyncio.sleep(delay)
    return await sock.request({"type": "buzz", "t": stamp}, "buzz.ack")


async def command(host, **fields):
    return await host.request({"type": "command", **fields}, "final.reply", ref=fields["action"])


async def test_a_buzzer_question_is_won_by_the_earliest_press_and_marked_by_the_host(make_final):
    made = await make_final(script=BUZZER_FIRST)
    host, snapshot = await open_host(made["final"], made["user"])
    assert snapshot["final"]["started"] is False and len(snapshot["final"]["teams"]) == 3
    a, a_first = await open_team(made["captains"][0])
    b, _ = await open_team(made["captains"][1])
    assert a_first["me"] == {"team": made["teams"][0], "role": "captain"}
    screen = Socket(f"/ws/final/screen/{made['final'].round.pin}/")
    assert await screen.connect()
    await screen.expect("final", audience="screen")
    await asyncio.gather(answer_probes(a, offset_ms=5_000, delay=0.08, count=2), answer_probes(b, count=2))

    assert (await command(host, action="start"))["changed"] is True
    assert (await command(host, action="start"))["changed"] is False  # pressed twice: acts once
    await command(host, action="cue")
    # a presses first but is 80 ms away; b presses 40 ms later, 0 ms away, and arrives first
    a_press = asyncio.create_task(press(a, offset_ms=5_000, delay=0.08))
    await asyncio.sleep(0.04)
    ack_b = await press(b)
    ack_a = await a_press
    assert ack_a["status"] == ack_b["status"] == "accepted"
    assert ack_b["received_ms"] < ack_a["received_ms"]
    assert ack_a["mapped_ms"] < ack_b["mapped_ms"]
    second = await a.request({"type": "buzz", "t": time.time() * 1000}, "error")
    assert second["code"] == "buzz_duplicate"
    frame = await screen.expect("final", 3, events=["buzz.winner"])
    assert frame["final"]["play"]["answerer"] == made["teams"][0]
    assert "correct" not in frame["final"]["question"]  # no key on the big screen while answering
    await command(host, action="mark", result="right", index=1)
    again = await command(host, action="mark", result="right", index=1)
    assert again["changed"] is False
    shown = await screen.expect("final", 3, events=["answer.marked", "question.closed"])
    scores = {t["id"]: t["score"] for t in shown["final"]["teams"]}
    assert scores[made["teams"][0]] == 110
    host_view = (await host.expect("final", 3, events=["answer.marked", "question.closed"]))["final"]
    evidence = host_view["buzzes"]
    assert [e["team"] for e in evidence] == [made["teams"][0], made["teams"][1]]
    assert {"received_ms", "press_ms", "offset_ms", "rtt_ms", "bound_ms", "mapped_ms", "window_ms"} <= set(
        evidence[0]
    )
    rows = await sync_to_async(lambda: list(FinalBuzz.objects.filter(final=made["final"]).order_by("seq")))()
    assert [r.team_id for r in rows] == [made["teams"][1], made["teams"][0]]  # arrival order
    assert 4_900 < rows[1].offset_ms < 5_100 and rows[1].rtt_ms > 150
    for sock in (host, a, b, screen):
        await sock.close()


async def test_refused_inputs_have_their_codes_and_change_nothing(make_final):
    made = await make_final(script=BUZZER_FIRST)
    host, _ = await open_host(made["final"], made["user"])
    a, _ = await open_team(made["captains"][0])
    member, _ = await open_team(made["members"][0])
    await command(host, action="start")
    # a press before the cue is early: a lockout of 250 ms, then a press inside it is refused
    early = await a.request({"type": "buzz"}, "buzz.ack")
    assert early["status"] == "early"
    locked = await a.request({"type": "buzz"}, "error")
    assert locked["code"] == "buzz_locked_out"
    refused = await member.request({"type": "buzz"}, "error")
    assert refused["code"] == "not_allowed"
    before = await sync_to_async(lambda: Final.objects.get(pk=made["final"].id).version)()
    answer = await a.request({"type": "answer", "choice": 1}, "error")
    assert answer["code"] == "answer_not_your_turn"
    assert await sync_to_async(lambda: Final.objects.get(pk=made["final"].id).version)() == before
    # the wager segment: a tier outside the tiers
    await command(host, action="close")
    await command(host, action="next_segment", index=1)
    bad = await a.request({"type": "wager", "tier": 25}, "error")
    assert bad["code"] == "wager_not_a_tier"
    for sock in (host, a, member):
        await sock.close()


async def test_a_recused_judge_is_refused_and_scores_reveal_when_the_panel_is_done(make_final):
    made = await make_final(script={"segments": [{"kind": "judged"}]})
    host, _ = await open_host(made["final"], made["user"])
    await command(host, action="start")
    judges = []
    for link in made["judge_links"]:
        sock = Socket(f"/ws/final/judge/{link}/")
        assert await sock.connect()
        first = await sock.expect("final", audience="judge")
        judges.append(sock)
    assert [made["judges"][0], made["teams"][0]] in first["final"]["recusals"]
    team0 = made["teams"][0]
    refused = await judges[0].request({"type": "score", "team": team0, "value": 9}, "error")
    assert refused["code"] == "judge_recused"
    await judges[1].request({"type": "score", "team": team0, "value": 9}, "final.reply")
    hidden = await judges[2].expect("final", 3, events=["judge.scored"])
    assert "scores" not in hidden["final"]["play"]["teams"][str(team0)]
    await judges[2].request({"type": "score", "team": team0, "value": "8.5"}, "final.reply")
    shown = await host.expect("final", 3, events=["judge.scored", "judge.revealed"])
    assert shown["final"]["play"]["teams"][str(team0)]["points"] == 8.75
    assert {t["id"]: t["score"] for t in shown["final"]["teams"]}[team0] == 108.75
    for sock in (host, *judges):
        await sock.close()


async def open_judge(link):
    sock = Socket(f"/ws/final/judge/{link}/")
    assert await sock.connect()
    return sock, await sock.expect("final", audience="judge")


async def test_judges_mark_spoken_answers_once_and_never_a_team_they_are_recused_from(make_final):
    # given a buzzer question answered by team 0, whose district is judge 0's
    made = await make_final(script=BUZZER_FIRST)
    host, _ = await open_host(made["final"], made["user"])
    a, _ = await open_team(made["captains"][0])
    recused, first = await open_judge(made["judge_links"][0])
    other, _ = await open_judge(made["judge_links"][1])
    third, _ = await open_judge(made["judge_links"][2])
    assert [made["judges"][0], made["teams"][0]] in first["final"]["recusals"]
    await command(host, action="start")
    await command(host, action="cue")
    await press(a)
    winner = await recused.expect("final", 3, events=["buzz.winner"])
    assert winner["final"]["play"]["answerer"] == made["teams"][0]
    assert winner["final"]["question"]["reference_answer"] is not None  # judges see the key to mark by
    version = winner["version"]

    # when the recused judge marks: refused, nothing changes
    refused = await recused.request({"type": "mark", "result": "right", "index": 1}, "error")
    assert refused["code"] == "judge_recused"
    bad = await other.request({"type": "mark", "result": "perfect", "index": 1}, "error")
    assert bad["code"] == "invalid_field" and bad["field"] == "result"
    assert await sync_to_async(lambda: Final.objects.get(pk=made["final"].id).version)() == version

    # when another judge marks it right, then a third judge and the host press the same mark
    done = await other.request({"type": "mark", "result": "right", "index": 1}, "final.reply")
    assert done == {"type": "final.reply", "version": version + 1, "ref": "mark", "changed": True}
    again = await third.request({"type": "mark", "result": "right", "index": 1}, "final.reply")
    assert again["changed"] is False
    assert (await command(host, action="mark", result="right", index=1))["changed"] is False

    # then the mark counted once, logged as the judge's
    shown = await host.expect("final", 3, events=["answer.marked", "question.closed"])
    assert {t["id"]: t["score"] for t in shown["final"]["teams"]}[made["teams"][0]] == 110
    events = await sync_to_async(lambda: list(FinalScoreEvent.objects.filter(final=made["final"])))()
    assert [(e.reason, e.actor) for e in events] == [("right", f"judge:{made['judges'][1]}")]
    log = await sync_to_async(
        lambda: list(RoundLog.objects.filter(round_id=made["final"].round_id, action="mark"))
    )()
    assert [entry.detail["by"] for entry in log] == [f"judge:{made['judges'][1]}"]
    for sock in (host, a, recused, other, third):
        await sock.close()


async def test_compulsory_right_answers_score_by_the_question_kind(make_final):
    script = {"segments": [{"kind": "compulsory", "rules": {"right_by_kind": {"single": 20, "judged": 30}}}]}
    made = await make_final(script=script)
    await sync_to_async(lambda: made["final"].questions.filter(segment=0, position=1).update(kind="judged"))()
    host, _ = await open_host(made["final"], made["user"])
    judge, _ = await open_judge(made["judge_links"][1])
    await command(host, action="start")
    await command(host, action="cue")
    await command(host, action="mark", result="right", index=0)  # turn 0: a single choice, +20
    await command(host, action="next_question", index=1)
    await command(host, action="cue")
    await judge.request({"type": "mark", "result": "right", "index": 1}, "final.reply")  # judged: +30
    events = await sync_to_async(
        lambda: list(FinalScoreEvent.objects.filter(final=made["final"]).order_by("seq"))
    )()
    assert [(e.team_id, e.points) for e in events] == [(made["teams"][0], 20), (made["teams"][1], 30)]
    for sock in (host, judge):
        await sock.close()


async def test_undo_needs_a_reason_and_a_hold_freezes_the_screen_until_the_ruling(make_final):
    made = await make_final(script={"segments": [{"kind": "compulsory"}]})
    host, _ = await open_host(made["final"], made["user"])
    a, _ = await open_team(made["captains"][0])
    await command(host, action="start")
    too_soon = await a.request({"type": "answer", "choice": 1}, "error")
    assert too_soon["code"] == "answer_before_cue"
    await command(host, action="cue")
    await a.request({"type": "answer", "choice": 1}, "final.reply")
    await command(host, action="mark", result="right", index=0)
    no_reason = await host.request({"type": "command", "action": "undo", "index": 1}, "error")
    assert no_reason["code"] == "invalid_field"
    await command(host, action="hold", text="team 1 disputes")
    undone = await command(host, action="undo", index=1, text="marked the wrong team")
    assert undone["changed"] is True
    assert (await command(host, action="undo", index=1, text="again"))["changed"] is False
    held = await a.expect("final", 3, events=["score.undone"])
    assert held["final"]["hold"]["held"] is True
    assert {t["id"]: t["score"] for t in held["final"]["teams"]}[made["teams"][0]] == 110  # frozen
    await command(host, action="release", text="the answer was another team's")
    released = await a.expect("final", 3, events=["hold.released"])
    assert {t["id"]: t["score"] for t in released["final"]["teams"]}[made["teams"][0]] == 100
    events = await sync_to_async(
        lambda: list(FinalScoreEvent.objects.filter(final=made["final"]).order_by("seq"))
    )()
    assert [(e.reason, float(e.points), e.undoes) for e in events] == [
        ("right", 10.0, None),
        ("undo", -10.0, 1),
    ]
    for sock in (host, a):
        await sock.close()


async def test_a_restart_resumes_the_segment_buzz_order_and_scores_from_the_database(make_final):
    made = await make_final(script=BUZZER_FIRST)
    host, _ = await open_host(made["final"], made["user"])
    a, _ = await open_team(made["captains"][0])
    await command(host, action="start")
    await command(host, action="cue")
    await a.request({"type": "buzz"}, "buzz.ack")
    await host.expect("final", 3, events=["buzz.winner"])
    for sock in (host, a):
        await sock.close()
    await asyncio.sleep(0.05)
    # every socket gone (as after a restart): new ones read the same final from the database
    host, snapshot = await open_host(made["final"], made["user"])
    play = snapshot["final"]["play"]
    assert (snapshot["final"]["segment"]["kind"], play["phase"], play["answerer"]) == (
        "buzzer",
        "answering",
        made["teams"][0],
    )
    assert snapshot["final"]["buzzes"][0]["team"] == made["teams"][0]
    logged = await sync_to_async(
        lambda: list(RoundLog.objects.filter(round=made["final"].round).values_list("action", flat=True))
    )()
    assert logged[:3] == ["start", "cue", "buzz"]
    await host.close()


@pytest.mark.parametrize("path", ["/ws/final/team/forged/", "/ws/final/judge/forged/"])
async def test_a_link_that_is_not_ours_gets_invalid_token_and_is_closed_with_4003(path):
    sock = Socket(path)
    assert await sock.connect()
    error = await sock.expect("error")
    assert error["code"] == "invalid_token"
    assert (await sock.next())["code"] == 4003


async def test_the_host_socket_needs_host_rights_and_the_screen_a_final_pin(make_final):
    made = await make_final()
    from tests.factories import UserFactory

    stranger = await sync_to_async(UserFactory)()
    sock = Socket(f"/ws/final/host/{made['final'].id}/", cookie=await session_cookie_for(stranger))
    assert await sock.connect()
    assert (await sock.expect("error"))["code"] == "forbidden"
    assert (await sock.next())["code"] == 4003
    screen = Socket("/ws/final/screen/000000/")
    assert await screen.connect()
    assert (await screen.expect("error"))["code"] == "wrong_pin"
    assert (await screen.next())["code"] == 4004


async def test_the_host_edits_the_script_before_the_start_and_it_is_pinned_after(make_final):
    made = await make_final(script=BUZZER_FIRST)
    host, snapshot = await open_host(made["final"], made["user"])
    assert snapshot["final"]["rule_version"] == 1
    edited = {"segments": [{"kind": "buzzer", "rules": {"right": 20, "wrong": -20}}, {"kind": "judged"}]}
    assert (await command(host, action="script", script=edited))["changed"] is True
    frame = await host.expect("final", 3, events=["script.changed"])
    assert frame["final"]["rule_version"] == 2 and [s["kind"] for s in frame["final"]["segments"]] == [
        "buzzer",
        "judged",
    ]
    bad = await host.request({"type": "command", "action": "script", "script": {"segments": []}}, "error")
    assert bad["code"] == "script_invalid"
    await command(host, action="start")
    pinned = await host.request({"type": "command", "action": "script", "script": edited}, "error")
    assert pinned["code"] == "script_pinned"
    await host.close()
