from django.urls import path

from competition import views

urlpatterns = [
    path("<slug:slug>/codes/", views.join_codes, name="competition-codes"),
]
