"""ASGI entry point: HTTP through Django, WebSockets through the quiz consumers."""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.conf import settings
from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()  # set up Django before importing consumers and models

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from competition.online.routing import websocket_urlpatterns as online_websockets  # noqa: E402
from quiz.routing import PhonesFirst, websocket_urlpatterns  # noqa: E402
from quiz.transport import defer_autobahn_log_arguments  # noqa: E402


def _tune_garbage_collector(gen0_threshold: int) -> None:
    """Keep the cyclic garbage collector off the live path (docs/performance.md, "Findings").

    A process serving thousands of sockets holds a large heap of long-lived objects, and every full
    collection walks all of it; answer batches and reveals allocate fast enough to trigger one after
    another. Freezing what start-up built moves it out of the collector's view, and a higher first
    threshold makes collections rarer. 0 keeps Python's defaults."""
    if gen0_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)


application = ProtocolTypeRouter(
    {
        # Static files are answered by whitenoise in the middleware (SERVE_STATIC; docs/deploy.md).
        "http": django_asgi_app,
        # Cross-site handshakes are refused: the Origin must be one of ALLOWED_HOSTS.
        # Phones' sockets skip the URL router (quiz.routing.PhonesFirst), never the origin check.
        "websocket": AllowedHostsOriginValidator(
            PhonesFirst(URLRouter(websocket_urlpatterns + online_websockets))
        ),
    }
)

defer_autobahn_log_arguments()
_tune_garbage_collector(settings.QUIZ["GC_THRESHOLD"])
