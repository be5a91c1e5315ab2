"""A question's image travels to every audience, and a round keeps the picture it was created with.

The round copies the bank image's stored name; images are content-addressed, so when an editor later
gives the bank question a new picture, the past round's frames still point at the old file, which is
still there.
"""

from __future__ import annotations

import gc
import io
import weakref

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from jsonschema import Draft202012Validator
from PIL import Image

from questionbank import services
from questionbank.images import question_image_storage
from questionbank.models import Question
from quiz.frames import question_image
from quiz.models import RoundQuestion
from quiz.schemas import SERVER_FRAME_SCHEMAS
from quiz.services.rounds import round_create
from tests.factories import HostRoleFactory, QuestionFactory
from tests.live import contestant, display, host

pytestmark = pytest.mark.django_db(transaction=True)

STATE = Draft202012Validator(SERVER_FRAME_SCHEMAS["state"])


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), colour).save(out, "PNG")
    return out.getvalue()


def give_image(question: Question, colour: str, alt: str) -> None:
    """What the admin does with an upload: the file is stored, the question saved as a new revision."""
    question.image.save("diagram.png", SimpleUploadedFile("diagram.png", png(colour)), save=False)
    question.image_alt = alt
    services.question_save(question, comment="new image")


@sync_to_async
def make_round():
    role = HostRoleFactory()
    pictured = QuestionFactory(correct=[0])
    give_image(pictured, "red", "红色的长方形")
    plain = QuestionFactory(correct=[1])
    round_ = round_create(competition=role.competition, title="Pictures", questions=[pictured, plain])
    return round_, role.user, pictured


@sync_to_async
def replace_bank_image(question: Question) -> str:
    question.refresh_from_db()
    old = question.image.name
    give_image(question, "blue", "蓝色的长方形")
    assert question.image.name != old
    return old


def served(url: str) -> bytes:
    response = Client().get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


async def test_every_audience_gets_the_image_when_the_question_opens_and_keeps_it_after_a_bank_edit():
    round_, user, pictured = await make_round()
    console, _ = await host(round_.id, user)
    screen, _ = await display(round_.pin)
    player, _ = await contestant(round_.pin, "Alice")

    await console.request({"type": "open", "question": 0}, "command")
    opened = [
        await sock.expect("state", event="question.opened", index=0) for sock in (console, screen, player)
    ]
    for frame in opened:
        STATE.validate(frame)
    images = [frame["round"]["question"]["image"] for frame in opened]
    assert images[0] == images[1] == images[2]
    assert images[0]["alt"] == "红色的长方形"
    assert images[0]["url"].startswith("/media/questions/")
    assert await sync_to_async(served)(images[0]["url"]) == png("red")

    # An editor gives the bank question a new picture while the round is live.
    old_name = await replace_bank_image(pictured)
    await console.request({"type": "reveal", "question": 0}, "command")
    revealed = await player.expect("state", event="answer.revealed", index=0)
    assert revealed["round"]["question"]["image"] == images[0]
    assert images[0]["url"] == f"/media/{old_name}"
    assert await sync_to_async(served)(images[0]["url"]) == png("red")

    # A latecomer's welcome shows the round's picture too; a question without one has null.
    late, welcome = await contestant(round_.pin, "Bob")
    assert welcome["round"]["question"]["image"] == images[0]
    await console.request({"type": "open", "question": 1}, "command")
    plain = await late.expect("state", event="question.opened", index=1)
    assert plain["round"]["question"]["image"] is None
    STATE.validate(plain)
    for sock in (console, screen, player, late):
        await sock.close()


async def test_a_round_created_after_the_edit_shows_the_new_picture_and_the_old_file_stays():
    round_, _, pictured = await make_round()
    old_name = await replace_bank_image(pictured)

    @sync_to_async
    def names():
        new_round = round_create(competition=round_.competition, title="Later", questions=[pictured])
        first, later = round_.questions.get(position=0), new_round.questions.get()
        return first.image.name, first.image_alt, later.image.name, later.image_alt

    first_name, first_alt, later_name, later_alt = await names()
    assert (first_name, first_alt) == (old_name, "红色的长方形")
    assert later_name != old_name and later_alt == "蓝色的长方形"
    assert await sync_to_async(question_image_storage.exists)(old_name)


def test_a_question_read_for_its_image_is_freed_without_the_cycle_collector():
    """Rounds load their questions on every command and welcome: none may wait for a GC pass to go."""
    role = HostRoleFactory()
    pictured = QuestionFactory(correct=[0])
    give_image(pictured, "blue", "蓝色的长方形")
    round_ = round_create(competition=role.competition, title="Freed", questions=[pictured])
    gc.collect()
    gc.disable()
    try:
        q = RoundQuestion.objects.get(round=round_)
        freed = weakref.ref(q)

        image = question_image(q)
        del q

        assert image is not None and image["alt"] == "蓝色的长方形"
        assert image["url"].startswith("/media/questions/")
        assert freed() is None
    finally:
        gc.enable()
