"""Every error code the server can send has a message in Simplified Chinese and in English."""

import re

import pytest
from django.utils import translation

from frontend.protocol_codes import error_codes
from frontend.ui_strings import ERRORS, catalogue

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("code", error_codes())
def test_every_error_code_the_server_can_send_has_an_english_message(code):
    assert code in ERRORS, f"add {code!r} to frontend/ui_strings.py ERRORS"
    with translation.override("en"):
        text = catalogue()[f"error.{code}"]
    assert text and not HAN.search(text)


@pytest.mark.parametrize("code", error_codes())
def test_every_error_code_the_server_can_send_has_a_chinese_message(code):
    with translation.override("en"):
        english = catalogue()[f"error.{code}"]
    with translation.override("zh-hans"):
        chinese = catalogue().get(f"error.{code}")
    assert chinese and chinese != english and HAN.search(chinese), (
        f"translate {english!r} in frontend/locale/zh_Hans/LC_MESSAGES/django.po, then `make messages`"
    )
