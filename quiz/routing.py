from typing import Any

from channels.auth import AuthMiddlewareStack
from django.urls import path

from quiz import consumers
from quiz.finals import consumers as finals

PLAY_PATH = "/ws/play/"

websocket_urlpatterns = [
    # PLAY_PATH, the phones' socket, is routed by PhonesFirst below.
    path("ws/display/<str:pin>/", consumers.DisplayConsumer.as_asgi()),
    # Only the host sockets read the session: phones and displays skip that database hop on connect.
    path("ws/host/<int:round_id>/", AuthMiddlewareStack(consumers.HostConsumer.as_asgi())),
    # Stage finals: team phones and judges hold signed links; the host logs in; the big screen uses the PIN.
    path("ws/final/team/<str:token>/", finals.TeamConsumer.as_asgi()),
    path("ws/final/judge/<str:token>/", finals.JudgeConsumer.as_asgi()),
    path("ws/final/screen/<str:pin>/", finals.ScreenConsumer.as_asgi()),
    path("ws/final/host/<int:final_id>/", AuthMiddlewareStack(finals.FinalHostConsumer.as_asgi())),
]


class PhonesFirst:
    """ASGI: the phones' socket (``PLAY_PATH``) straight to its consumer, every other one to ``routed``.

    Phones are the sockets there are thousands of. Channels' ``URLRouter`` resolves the path on every
    connect and hands the consumer a copy of the scope, and its frame and the ``as_asgi`` wrapper's stay
    suspended for the socket's life: about 1 KB per socket (docs/performance.md). The contestant consumer
    reads nothing the router adds (``url_route``, ``path_remaining``). Put it inside the origin check."""

    def __init__(self, routed: Any) -> None:
        self.routed = routed

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket" and scope["path"] == scope.get("root_path", "") + PLAY_PATH:
            return await consumers.ContestantConsumer()(scope, receive, send)
        return await self.routed(scope, receive, send)
