from channels.auth import AuthMiddlewareStack
from django.urls import path

from quiz import consumers

websocket_urlpatterns = [
    path("ws/play/", consumers.ContestantConsumer.as_asgi()),
    path("ws/display/<str:pin>/", consumers.DisplayConsumer.as_asgi()),
    # Only the host socket reads the session: phones and displays skip that database hop on connect.
    path("ws/host/<int:round_id>/", AuthMiddlewareStack(consumers.HostConsumer.as_asgi())),
]
