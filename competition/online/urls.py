from django.urls import path

from competition.online import duel_views, organiser, views

app_name = "online"

urlpatterns = [
    path("", views.stage_list, name="stages"),
    path("<slug:slug>/", views.home, name="home"),
    path("<slug:slug>/privacy/", views.privacy, name="privacy"),
    path("<slug:slug>/register/", views.register, name="register"),
    path("<slug:slug>/signin/", views.signin, name="signin"),
    path("<slug:slug>/verify/", views.verify, name="verify"),
    path("<slug:slug>/signout/", views.signout, name="signout"),
    path("<slug:slug>/me/", views.me, name="me"),
    path("<slug:slug>/me/data.json", views.me_data, name="me-data"),
    path("<slug:slug>/me/delete/", views.me_delete, name="me-delete"),
    path("<slug:slug>/daily/", views.mode_start, {"mode": "daily"}, name="daily"),
    path("<slug:slug>/challenge/", views.mode_start, {"mode": "challenge"}, name="challenge"),
    path("<slug:slug>/selftest/", views.mode_start, {"mode": "selftest"}, name="selftest"),
    path("<slug:slug>/themed/", views.themed, name="themed"),
    path("<slug:slug>/themed/<slug:theme>/", views.mode_start, {"mode": "themed"}, name="themed-start"),
    path("<slug:slug>/attempts/<int:attempt_id>/", views.attempt_page, name="attempt"),
    path("<slug:slug>/attempts/<int:attempt_id>/answers/<int:position>/", views.answered, name="answered"),
    path("<slug:slug>/boards/", views.boards, name="boards"),
    path("<slug:slug>/duels/", duel_views.duel_home, name="duels"),
    path("<slug:slug>/duels/invite/", duel_views.duel_new, {"random_match": False}, name="duel-invite"),
    path("<slug:slug>/duels/match/", duel_views.duel_new, {"random_match": True}, name="duel-match"),
    path("<slug:slug>/duels/<str:code>/", duel_views.duel_page, name="duel"),
    # organisers
    path("<slug:slug>/organiser/", organiser.overview, name="organiser"),
    path("<slug:slug>/organiser/flags/<int:flag_id>/", organiser.flag_decide, name="flag-decide"),
    path("<slug:slug>/organiser/qualification/", organiser.qualification_new, name="qualification-new"),
    path(
        "<slug:slug>/organiser/qualification/<int:run_id>/",
        organiser.qualification_page,
        name="qualification",
    ),
    path("<slug:slug>/invitations/<str:token>/", views.invitation, name="invitation"),
]
