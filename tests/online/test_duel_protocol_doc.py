"""docs/online-stage.md's duel protocol matches what the server sends: the documented frames' fields are
the fields of the frames the services build, and the documented error codes are the ones raised."""

import json
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from competition.online.messages import ERRORS
from competition.online.services import duels
from frontend.protocol_codes import error_codes
from tests.online.conftest import make_contestant

DOC = (Path(__file__).resolve().parents[2] / "docs" / "online-stage.md").read_text(encoding="utf-8")


def documented(kind: str) -> dict:
    for block in re.findall(r"```json\n(.*?)```", DOC, re.S):
        for line in re.split(r"\n(?=\{)", block.strip()):
            text = line.replace("…", "x").replace('"3f1c…uuid"', '"x"')
            try:
                frame = json.loads(text)
            except ValueError:
                continue
            if frame.get("type") == kind:
                return frame
    raise LookupError(kind)


@pytest.mark.django_db(transaction=True)
def test_the_documented_duel_frame_has_the_fields_the_server_sends(bank, stage):
    a, b = make_contestant(stage, 1), make_contestant(stage, 2)
    now = timezone.now()
    duel = duels.duel_create(contestant=a, now=now)
    duels.duel_join(contestant=b, code=duel.code, now=now)
    frame = duels.duel_frame(contestant_id=a.pk, code=duel.code, now=now + timedelta(seconds=4))
    assert set(frame) == set(documented("duel"))
    ack = duels.duel_answer(
        contestant_id=a.pk,
        code=duel.code,
        position=0,
        choices=[0],
        submission=uuid.uuid4(),
        now=now + timedelta(seconds=4),
    )
    assert set(ack) == set(documented("ack"))


def test_every_online_error_code_is_documented_and_translated():
    codes = set(re.findall(r"`([a-z_]+)`", DOC.split("## Error codes of the pages", 1)[1]))
    assert set(ERRORS) <= codes
    assert set(ERRORS) <= set(error_codes())
