from django.urls import include, path

from competition import views

urlpatterns = [
    path("report/", include("competition.report.urls")),
    path("<slug:slug>/codes/", views.join_codes, name="competition-codes"),
    path("<slug:slug>/standings/", views.standings_page, name="competition-standings"),
    path("<slug:slug>/standings/display/", views.standings_display, name="competition-standings-display"),
    path(
        "<slug:slug>/standings/display/fragment/",
        views.standings_display_fragment,
        name="competition-standings-display-fragment",
    ),
    path("<slug:slug>/standings.xlsx", views.standings_xlsx, name="competition-standings-xlsx"),
    path("<slug:slug>/stages/<int:stage_id>/", views.stage_page, name="competition-stage"),
    path("<slug:slug>/stages/<int:stage_id>/display/", views.stage_display, name="competition-stage-display"),
    path(
        "<slug:slug>/stages/<int:stage_id>/display/fragment/",
        views.stage_display_fragment,
        name="competition-stage-display-fragment",
    ),
    path(
        "<slug:slug>/stages/<int:stage_id>/standings.xlsx",
        views.stage_standings_xlsx,
        name="competition-stage-standings-xlsx",
    ),
    path(
        "<slug:slug>/matches/<int:match_id>/sheet.xlsx", views.match_sheet_xlsx, name="competition-match-xlsx"
    ),
    path("<slug:slug>/matches/<int:match_id>/sheet.pdf", views.match_sheet_pdf, name="competition-match-pdf"),
]
