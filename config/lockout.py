"""The page a locked-out login gets (django-axes calls it; ``AXES_LOCKOUT_CALLABLE`` in the settings).

Both logins, the host console's and the admin's, show the same page in the visitor's language: how many
wrong passwords caused it and how many minutes until this device may try again.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_page(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    return render(request, "config/lockout.html", context, status=429)
