"""The finals' protocol contract: every frame the finals' sockets receive matches its schema
(``quiz.finals.protocol.FINAL_FRAME_SCHEMAS``, with ``pong`` and ``error`` from ``quiz.protocol``), and
every finals schema is used."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from quiz.finals.protocol import FINAL_FRAME_SCHEMAS
from quiz.schemas import SERVER_FRAME_SCHEMAS
from tests.finals.test_live_final import answer_probes, command, open_host, open_team
from tests.live import Socket

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMAS = {
    **FINAL_FRAME_SCHEMAS,
    "pong": SERVER_FRAME_SCHEMAS["pong"],
    "error": SERVER_FRAME_SCHEMAS["error"],
}
VALIDATORS = {kind: Draft202012Validator(schema) for kind, schema in SCHEMAS.items()}
SCRIPT = {
    "segments": [
        {"kind": "compulsory"},
        {"kind": "buzzer", "rules": {"questions": 2}},
        {"kind": "wager"},
        {"kind": "judged"},
        {"kind": "comeback", "rules": {"last_n": 2}},
    ]
}


async def drain(sock: Socket) -> None:
    while not await sock.quiet(0.2):
        sock.unread.clear()
        if (await sock.next())["type"] == "_closed":
            return


async def test_every_frame_of_a_final_matches_its_schema_and_every_schema_is_used(make_final):
    made = await make_final(script=SCRIPT, teams=3)
    host, _ = await open_host(made["final"], made["user"])
    captains = [(await open_team(link))[0] for link in made["captains"]]
    member, _ = await open_team(made["members"][0])
    judge = Socket(f"/ws/final/judge/{made['judge_links'][1]}/")
    assert await judge.connect()
    screen = Socket(f"/ws/final/screen/{made['final'].round.pin}/")
    assert await screen.connect()
    await answer_probes(captains[0], count=1)
    await host.request({"type": "ping", "t": 1}, "pong")
    await member.request({"type": "buzz"}, "error")
    await command(host, action="start")
    for turn in range(3):  # 必答
        if turn:
            await command(host, action="next_question", index=turn)
        await command(host, action="cue")
        await captains[turn].request({"type": "answer", "choice": 1}, "final.reply")
        if turn:
            await command(host, action="mark", result="right", index=turn)
        else:  # a judge marks the first turn
            await judge.request({"type": "mark", "result": "wrong", "index": 0}, "final.reply", ref="mark")
    await command(host, action="next_segment", index=1)  # 抢答
    await command(host, action="cue")
    await captains[1].request({"type": "buzz"}, "buzz.ack")
    await host.expect("final", 3, events=["buzz.winner"])
    await command(host, action="mark", result="right", index=1)
    await command(host, action="next_segment", index=2)  # 风险
    order = (await host.expect("final", 3, events=["segment.started"]))["final"]["play"]["order"]
    links = dict(zip(made["teams"], captains, strict=True))
    for team in order:
        await links[team].request({"type": "wager", "tier": 10}, "final.reply")
    await command(host, action="next_segment", index=3)  # 科普讲解
    await judge.request({"type": "score", "team": made["teams"][0], "value": 8}, "final.reply")
    await command(host, action="undo", index=1, text="marked wrong by mistake")
    await command(host, action="hold", text="appeal")
    await command(host, action="release", text="upheld")
    await command(host, action="next_segment", index=4)  # 力挽狂澜
    await command(host, action="close")
    await command(host, action="sudden_death", teams=made["teams"][:2])
    await command(host, action="finish")
    sockets = [host, *captains, member, judge, screen]
    for sock in sockets:
        await drain(sock)
    seen = set()
    for sock in sockets:
        for frame in sock.frames:
            assert frame["type"] in VALIDATORS, frame
            errors = sorted(VALIDATORS[frame["type"]].iter_errors(frame), key=str)
            assert not errors, f"{frame['type']}: {errors[0].message}"
            seen.add(frame["type"])
    assert set(FINAL_FRAME_SCHEMAS) <= seen
    finished = [f for f in screen.frames if f["type"] == "final"][-1]
    assert finished["final"]["finished"] and len(finished["final"]["ranking"]) == 3
    for sock in sockets:
        await sock.close()
