from django.contrib.auth import views as auth_views
from django.urls import path

from frontend import views

urlpatterns = [
    path("", views.home, name="home"),
    path("play/", views.play, name="play"),
    path("display/<str:pin>/", views.display, name="display"),
    path("host/", views.host_rounds, name="host-rounds"),
    path("host/rounds/<int:round_id>/", views.host_console, name="host-console"),
    path("host/rounds/<int:round_id>/results.xlsx", views.host_results_xlsx, name="host-results-xlsx"),
    path("finals/<int:final_id>/host/", views.final_host, name="final-host"),
    path("finals/<int:final_id>/script/", views.final_script, name="final-script"),
    path("finals/screen/<str:pin>/", views.final_screen, name="final-screen"),
    path("finals/team/<str:token>/", views.final_team, name="final-team"),
    path("finals/judge/<str:token>/", views.final_judge, name="final-judge"),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="frontend/login.html"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
