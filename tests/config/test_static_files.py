"""Static files: whitenoise serves what ``collectstatic`` wrote, under hashed names, compressed, cached.

The module collects once into a directory of its own with the production storage (hashed names plus gzip
and brotli copies); each test asks a fresh client, whose whitenoise reads that directory when it starts.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import Resolver404, resolve

ONE_YEAR = 365 * 24 * 3600


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    static_root = tmp_path_factory.mktemp("static-production")
    with override_settings(STATIC_ROOT=static_root):
        call_command("collectstatic", "--noinput", verbosity=0)
        yield static_root


def hashed_url(client: Client, name: str) -> str:
    """The URL the home page links for ``name`` (``frontend/app.css``: ``/static/frontend/app.<hash>.css``)"""
    page = client.get("/").content.decode()
    stem, _, suffix = name.rpartition(".")
    match = re.search(rf'"(/static/{re.escape(stem)}\.[0-9a-f]{{12}}\.{suffix})"', page)
    assert match, f"the home page does not link a hashed {name}"
    return match.group(1)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
def test_pages_link_static_files_by_their_content_hashed_names(collected):
    url = hashed_url(Client(), "frontend/app.css")
    assert (collected / url.removeprefix("/static/")).is_file()


@pytest.mark.django_db
def test_a_hashed_static_file_may_be_kept_by_browsers_for_a_year(collected):
    client = Client()
    response = client.get(hashed_url(client, "frontend/app.css"))
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    max_age = int(re.search(r"max-age=(\d+)", cache_control).group(1))
    assert max_age >= ONE_YEAR and "immutable" in cache_control and "public" in cache_control


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_a_static_file_is_sent_compressed_to_a_browser_that_asks(collected, encoding):
    client = Client()
    url = hashed_url(client, "frontend/app.css")
    plain = (collected / url.removeprefix("/static/")).read_bytes()
    response = client.get(url, headers={"Accept-Encoding": encoding})
    assert response["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response["Vary"]
    assert len(body(response)) < len(plain)


@pytest.mark.django_db
def test_a_browser_that_does_not_ask_for_compression_gets_the_plain_file(collected):
    client = Client()
    url = hashed_url(client, "frontend/app.css")
    response = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in response
    assert body(response) == (collected / url.removeprefix("/static/")).read_bytes()


def test_no_django_view_serves_static_files():
    """whitenoise answers /static/ before any view; the URL configuration has no route for it."""
    with pytest.raises(Resolver404):
        resolve("/static/frontend/app.css")


def test_the_page_modules_import_each_other_by_hashed_names(collected):
    """A hashed play.js must not import an unhashed socket.js: that one is cached for a minute only,
    and a page would load the module twice (the preloaded hashed copy and the imported plain one)."""
    scripts = [
        path
        for path in (collected / "frontend").glob("*.js")
        if re.fullmatch(r"[a-z_]+\.[0-9a-f]{12}\.js", path.name)
    ]
    imports = [
        (path.name, url)
        for path in scripts
        for url in re.findall(r"""from\s*["'](\./[^"']+)["']""", path.read_text())
    ]
    assert imports, "the page scripts import nothing: is the pattern out of date?"
    unhashed = [(name, url) for name, url in imports if not re.search(r"\.[0-9a-f]{12}\.js$", url)]
    assert unhashed == []
