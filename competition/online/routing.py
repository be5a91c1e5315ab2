from channels.sessions import SessionMiddlewareStack
from django.urls import path

from competition.online.consumers import DuelConsumer

# The duel socket reads the contestant's session (signed in by mobile number and one-time code).
websocket_urlpatterns = [
    path("ws/online/duel/<str:code>/", SessionMiddlewareStack(DuelConsumer.as_asgi())),
]
