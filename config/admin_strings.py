"""Texts of Django's own admin templates that its zh-Hans catalogue lacks (the app list's column headers,
read by screen readers). Marked here so ``make messages`` keeps them in our catalogue, which Django reads
before its own (``LOCALE_PATHS``)."""

from django.utils.translation import gettext_noop

DJANGO_ADMIN_STRINGS = [
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
]
