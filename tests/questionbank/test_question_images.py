"""Question images in the bank: what an upload may be, how it is stored, and the admin that shows it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from reversion.models import Version

from questionbank.images import MAX_IMAGE_BYTES, question_image_storage
from questionbank.models import Question
from questionbank.services import questions_load_json, taxonomy_load
from tests.questionbank.test_bank_admin import ADD_URL, change_url, form_data, logged_in, staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png(colour: str = "red", size: tuple[int, int] = (40, 30), fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt)
    return out.getvalue()


def upload(data: bytes, name: str = "diagram.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def post_with_image(client, image: SimpleUploadedFile, question: Question | None = None, **changes):
    url = change_url(question) if question else ADD_URL
    return client.post(url, {**form_data(question, **changes), "image": image})


def test_an_uploaded_image_is_stored_under_its_content_hash_with_its_description(client):
    client = logged_in(client, staff("Question editors"))
    response = post_with_image(client, upload(png()), image_alt="A red rectangle")
    assert response.status_code == 302
    question = Question.objects.get(key="photosynthesis-1")
    assert question.image.name.startswith("questions/") and question.image.name.endswith(".png")
    assert len(question.image.name.removeprefix("questions/").removesuffix(".png")) == 32
    assert question.image_alt == "A red rectangle"
    assert question_image_storage.open(question.image.name).read() == png()


def test_the_same_picture_uploaded_twice_is_one_file_and_a_new_picture_never_overwrites_an_old_one():
    first = question_image_storage.save("questions/a.png", upload(png("red")))
    again = question_image_storage.save("questions/other-name.PNG", upload(png("red")))
    second = question_image_storage.save("questions/a.png", upload(png("blue")))
    assert again == first
    assert second != first
    assert question_image_storage.open(first).read() == png("red")
    assert question_image_storage.open(second).read() == png("blue")


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (lambda: upload(b"not a picture at all", "fake.png"), "Upload a valid image"),
        (
            lambda: upload(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "a.svg", "image/svg+xml"),
            "valid image",
        ),
        (lambda: upload(png(fmt="BMP"), "bitmap.bmp", "image/bmp"), "“bmp” is not an image type"),
        (lambda: upload(png() + b"\0" * MAX_IMAGE_BYTES, "huge.png"), "the largest allowed is 2048 KB"),
        (lambda: upload(png(size=(5000, 10)), "wide.png"), "at most 4096"),
    ],
    ids=["not an image", "svg", "bmp", "over 2 MB", "over 4096 pixels"],
)
def test_the_admin_refuses_an_upload_that_is_not_a_small_enough_image_and_saves_nothing(
    client, file, message
):
    client = logged_in(client, staff("Question editors"))
    response = post_with_image(client, file(), image_alt="A picture")
    assert response.status_code == 200
    errors = " ".join(str(e) for e in response.context["adminform"].form.errors.get("image", []))
    assert message in errors
    assert not Question.objects.filter(key="photosynthesis-1").exists()


def test_an_image_needs_a_description_for_those_who_cannot_see_it(client):
    client = logged_in(client, staff("Question editors"))
    response = post_with_image(client, upload(png()))
    assert response.status_code == 200
    assert "Describe the image" in str(response.context["adminform"].form.errors["image_alt"])


def test_the_phone_preview_shows_the_image_with_its_description(client):
    client = logged_in(client, staff("Question editors"))
    post_with_image(client, upload(png()), image_alt="A red rectangle")
    question = Question.objects.get(key="photosynthesis-1")
    url = reverse("admin:questionbank_question_preview", args=[question.pk])
    html = client.get(url, {"frame": "question"}).content.decode()
    assert f'src="/media/{question.image.name}"' in html
    assert 'alt="A red rectangle"' in html


def test_the_embedded_server_serves_question_images_under_media(client):
    name = question_image_storage.save("questions/x.png", upload(png("green")))
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png("green")


def test_the_demo_bank_loads_its_drawn_pictures_once_with_descriptions_in_both_languages():
    fixtures = Path(__file__).resolve().parents[2] / "questionbank" / "fixtures"
    taxonomy_load(fixtures / "taxonomy.json")
    questions_load_json(fixtures / "demo_questions.json")
    pictured = Question.objects.exclude(image="").order_by("key")
    assert [q.key for q in pictured] == ["demo-301", "demo-301-en", "demo-302", "demo-302-en"]
    circuit, circuit_en = pictured[0], pictured[1]
    assert circuit.image.name == circuit_en.image.name
    assert circuit.image_alt.startswith("电路图") and circuit_en.image_alt.startswith("Circuit diagram")
    with question_image_storage.open(circuit.image.name) as stored:
        assert Image.open(stored).size == (800, 500)
    revisions = Version.objects.count()
    questions_load_json(fixtures / "demo_questions.json")  # loading again changes nothing
    assert Version.objects.count() == revisions
    assert len(list(Path(question_image_storage.path("questions")).iterdir())) == 2
