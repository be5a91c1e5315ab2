"""The nginx files in docs/examples/nginx, run as written in front of real daphne processes.

Only what cannot work on a test machine is changed: ports, the certificate (self-signed, made here), the
server name, file locations and the upstream ports. Two daphne processes on PostgreSQL + Redis; one on the
embedded default (its in-process layer cannot carry broadcasts between processes).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import ssl
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import websockets
from django.conf import settings

from tests.factories import UserFactory
from tests.live import session_cookie_for
from tests.servers import ROOT, daphne_fleet, free_port, wait_for_port

pytestmark = [pytest.mark.django_db(transaction=True)]

EXAMPLES = ROOT / "docs" / "examples" / "nginx"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def rewritten(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert old in text, f"the example no longer has {old!r}: update this test with it"
        text = text.replace(old, new)
    return text


@contextlib.contextmanager
def nginx_in_front_of(daphne_ports: list[int], media: Path, work: Path):
    """nginx with the example files on free ports; yields (http_port, https_port)."""
    if not Path(NGINX).exists():
        pytest.fail("nginx is not installed: `make browser` (and .ci/run) install Debian's nginx-light")
    http_port, https_port = free_port(), free_port()
    subprocess.run(
        [
            *(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
            ),
            *("-keyout", str(work / "key.pem"), "-out", str(work / "cert.pem")),
        ],
        check=True,
        capture_output=True,
    )
    for temp in ("body", "proxy"):
        (work / temp).mkdir()
    upstream = "".join(f"    server 127.0.0.1:{port} max_fails=0;\n" for port in daphne_ports)
    site = rewritten(
        (EXAMPLES / "jjjquiz.conf").read_text(),
        {
            "    server 127.0.0.1:8001 max_fails=0;\n    server 127.0.0.1:8002 max_fails=0;\n": upstream,
            "    listen 80;\n    listen [::]:80;\n": f"    listen 127.0.0.1:{http_port};\n",
            "    listen 443 ssl http2;\n    listen [::]:443 ssl http2;\n": (
                f"    listen 127.0.0.1:{https_port} ssl http2;\n"
            ),
            "server_name quiz.example.org;": "server_name localhost;",
            "/etc/letsencrypt/live/quiz.example.org/fullchain.pem": str(work / "cert.pem"),
            "/etc/letsencrypt/live/quiz.example.org/privkey.pem": str(work / "key.pem"),
            "/srv/jjjquiz/var/static/": f"{ROOT / 'frontend' / 'static'}/",
            "/srv/jjjquiz/var/media/": f"{media}/",
        },
    )
    (work / "site.conf").write_text(site)
    main = rewritten(
        (EXAMPLES / "nginx.conf").read_text(),
        {
            "user www-data;\n": "user root;\n" if os.geteuid() == 0 else "",
            "pid /run/nginx.pid;": f"pid {work / 'nginx.pid'};",
            "/var/log/nginx/error.log": str(work / "error.log"),
            "/var/log/nginx/access.log": str(work / "access.log"),
            "include /etc/nginx/sites-enabled/*;": (
                f"client_body_temp_path {work / 'body'}; proxy_temp_path {work / 'proxy'};\n"
                f"    include {work / 'site.conf'};"
            ),
        },
    )
    (work / "nginx.conf").write_text(main)
    command = [NGINX, "-p", str(work), "-c", str(work / "nginx.conf"), "-e", str(work / "error.log")]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(https_port, proc, lambda: (work / "error.log").read_text())
        yield http_port, https_port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def insecure_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=insecure_tls()), NoRedirect())
    try:
        with opener.open(urllib.request.Request(url, headers={"Host": "localhost"}), timeout=10) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


async def read_until(ws, predicate, timeout: float = 10) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if predicate(frame):
                return frame


async def test_the_example_nginx_config_serves_pages_files_and_live_sockets_over_tls(make_round, tmp_path):
    round_, user = await make_round(questions=1, time_limit=30)
    cookie = await session_cookie_for(user)
    media = tmp_path / "media"
    (media / "questions").mkdir(parents=True)
    (media / "questions" / "diagram.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    processes = 2 if os.environ.get("REDIS_URL") else 1
    production = {
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,  # the host's session cookie is signed with it
        "ALLOWED_HOSTS": "localhost",
        "SERVE_STATIC": "false",
    }
    with (
        daphne_fleet(processes, env=production) as fleet,
        nginx_in_front_of(fleet.ports, media, tmp_path) as (http_port, https_port),
    ):
        base = f"https://localhost:{https_port}"

        # Plain HTTP is sent to HTTPS by nginx.
        status, headers, _ = await asyncio.to_thread(fetch, f"http://127.0.0.1:{http_port}/")
        assert status == 301 and headers["Location"].startswith("https://localhost/")

        # Pages come from daphne through nginx; Django sees HTTPS (X-Forwarded-Proto) so it does not
        # redirect again, and sends HSTS.
        status, headers, body = await asyncio.to_thread(fetch, f"https://127.0.0.1:{https_port}/")
        assert status == 200, body[:300]
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        assert headers["Server"] == "nginx"

        # Static and media files come from disk: daphne does not serve them with SERVE_STATIC off.
        status, headers, body = await asyncio.to_thread(
            fetch, f"https://127.0.0.1:{https_port}/static/frontend/app.css"
        )
        assert status == 200 and body == (ROOT / "frontend/static/frontend/app.css").read_bytes()
        direct, _, _ = await asyncio.to_thread(
            fetch, f"http://127.0.0.1:{fleet.ports[0]}/static/frontend/app.css"
        )
        assert direct != 200
        status, headers, _ = await asyncio.to_thread(
            fetch, f"https://127.0.0.1:{https_port}/media/questions/diagram.svg"
        )
        assert status == 200 and headers["X-Content-Type-Options"] == "nosniff"

        # Live sockets: phones spread over the processes by nginx all get the question the host opens.
        tls = insecure_tls()
        origin = {"Origin": base}
        wss = f"wss://127.0.0.1:{https_port}/ws"
        phones = []
        for i in range(4):
            ws = await websockets.connect(f"{wss}/play/", ssl=tls, additional_headers=origin)
            await ws.send(json.dumps({"type": "join", "pin": round_.pin, "nickname": f"P{i}"}))
            await read_until(ws, lambda f: f["type"] == "welcome")
            phones.append(ws)
        console = await websockets.connect(
            f"{wss}/host/{round_.id}/", ssl=tls, additional_headers={**origin, "Cookie": cookie}
        )
        await read_until(console, lambda f: f["type"] == "snapshot")
        await console.send(json.dumps({"type": "open", "question": 0}))
        for ws in phones:
            opened = await read_until(ws, lambda f: f["type"] == "state" and f["event"] == "question.opened")
            assert opened["round"]["question"]["index"] == 0
            await ws.send(json.dumps({"type": "answer", "question": 0, "choices": [0]}))
            assert (await read_until(ws, lambda f: f["type"] in ("ack", "error")))["type"] == "ack"
            await ws.close()
        await console.close()

        # A page on another site cannot open a socket through nginx either.
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(
                f"{wss}/play/", ssl=tls, additional_headers={"Origin": "https://evil.example"}
            )
        assert refused.value.response.status_code == 403


def test_behind_the_example_nginx_a_forged_forwarded_address_does_not_escape_login_throttling(tmp_path):
    """daphne runs with --proxy-headers (the systemd unit) and takes the first X-Forwarded-For address; the
    example nginx replaces whatever the client sent, so a guesser cannot name a new address for each try."""
    UserFactory(username="host-under-attack")
    production = {
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "localhost",
        "SERVE_STATIC": "false",
    }
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=insecure_tls()),
        urllib.request.HTTPCookieProcessor(jar),
        NoRedirect(),
    )

    def post_wrong_password(url: str, forged: str) -> int:
        with opener.open(urllib.request.Request(url, headers={"Host": "localhost"}), timeout=10) as page:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())[1]
        form = {"username": "host-under-attack", "password": "guess", "csrfmiddlewaretoken": token}
        request = urllib.request.Request(
            url,
            data=urllib.parse.urlencode(form).encode(),
            headers={
                "Host": "localhost",
                "Referer": "https://localhost/accounts/login/",
                "X-Forwarded-For": forged,
            },
        )
        try:
            with opener.open(request, timeout=10) as reply:
                return reply.status
        except urllib.error.HTTPError as error:
            return error.code

    with (
        daphne_fleet(1, env=production, args=("--proxy-headers",)) as fleet,
        nginx_in_front_of(fleet.ports, tmp_path / "media", tmp_path) as (_, https_port),
    ):
        login = f"https://127.0.0.1:{https_port}/accounts/login/"
        limit = settings.AXES_FAILURE_LIMIT
        tries = [post_wrong_password(login, forged=f"198.51.100.{i}") for i in range(limit)]
        # The form again with its error, until the limit's failure locks the pair: each try came from
        # 127.0.0.1, whatever the client wrote in its header.
        assert tries == [200] * (limit - 1) + [429]
        assert post_wrong_password(login, forged="198.51.100.250") == 429
