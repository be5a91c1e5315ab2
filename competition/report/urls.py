from django.urls import path

from competition.report import views

urlpatterns = [
    path("", views.report_page, name="report"),
    path("tables/<slug:table>.csv", views.report_csv, name="report-csv"),
    path("report.xlsx", views.report_xlsx, name="report-xlsx"),
    path("report.pdf", views.report_pdf, name="report-pdf"),
]
