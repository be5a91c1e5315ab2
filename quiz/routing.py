from channels.auth import AuthMiddlewareStack
from django.urls import path

from quiz import consumers
from quiz.finals import consumers as finals

websocket_urlpatterns = [
    path("ws/play/", consumers.ContestantConsumer.as_asgi()),
    path("ws/display/<str:pin>/", consumers.DisplayConsumer.as_asgi()),
    # Only the host sockets read the session: phones and displays skip that database hop on connect.
    path("ws/host/<int:round_id>/", AuthMiddlewareStack(consumers.HostConsumer.as_asgi())),
    # Stage finals: team phones and judges hold signed links; the host logs in; the big screen uses the PIN.
    path("ws/final/team/<str:token>/", finals.TeamConsumer.as_asgi()),
    path("ws/final/judge/<str:token>/", finals.JudgeConsumer.as_asgi()),
    path("ws/final/screen/<str:pin>/", finals.ScreenConsumer.as_asgi()),
    path("ws/final/host/<int:final_id>/", AuthMiddlewareStack(finals.FinalHostConsumer.as_asgi())),
]
