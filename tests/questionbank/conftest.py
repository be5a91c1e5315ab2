import pytest


@pytest.fixture
def english(settings):
    """For tests that read the admin's messages in English; the site's default language is zh-Hans."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
