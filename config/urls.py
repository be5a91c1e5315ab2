from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from config import ops

urlpatterns = [
    path("health/", ops.health, name="health"),
    path("metrics", ops.prometheus_metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("competitions/", include("competition.urls")),
    path("online/", include("competition.online.urls")),
    path("", include("frontend.urls")),
]


def media(request, path):
    """Question images for the embedded default. Behind a proxy nginx serves /media/ itself
    (docs/question-formats.md, "Images"); the names are content hashes, so they never change."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


if settings.SERVE_STATIC:
    urlpatterns.insert(0, re_path(r"^{}(?P<path>.*)$".format(settings.MEDIA_URL.lstrip("/")), media))
