"""The page policy's socket sources, named for the host the page was served from.

CSP level 3 lets ``connect-src 'self'`` cover ``ws:``/``wss:`` to the page's own host, but older WebKit
(the Safari of older iPhones, which many contestants carry) reads ``'self'`` as http(s) only and would
refuse the live socket. Naming ``wss://<host>`` (and ``ws://`` for plain-HTTP venues) works in every
browser. The host is the request's, already checked against ALLOWED_HOSTS, so no other site is allowed.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase


class SocketSourcesMiddleware:
    """Adds the page's own ``ws://`` and ``wss://`` origin to ``connect-src``; sits after CSPMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if "html" not in response.get("Content-Type", ""):
            return response
        host = request.get_host()
        update = dict(getattr(response, "_csp_update", None) or {})
        update["connect-src"] = [*update.get("connect-src", []), f"wss://{host}", f"ws://{host}"]
        response._csp_update = update
        return response
