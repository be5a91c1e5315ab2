"""The scripts' close codes and error codes come from the server's definitions, so they cannot drift."""

import io

import pytest
from django.core.management import CommandError, call_command

from frontend import protocol_codes
from frontend.protocol_codes import CODES_JS, render_codes_js
from quiz import protocol


def test_codes_js_is_what_js_codes_writes_from_the_current_definitions():
    assert CODES_JS.read_text(encoding="utf-8") == render_codes_js(), (
        "frontend/static/frontend/codes.js is out of date: run `.venv/bin/python manage.py js_codes`"
    )


def test_close_codes_are_the_close_constants_of_the_protocol():
    assert protocol_codes.close_codes() == {
        "UNAUTHENTICATED": protocol.CLOSE_UNAUTHENTICATED,
        "FORBIDDEN": protocol.CLOSE_FORBIDDEN,
        "NOT_FOUND": protocol.CLOSE_NOT_FOUND,
        "FLOODING": protocol.CLOSE_FLOODING,
        "TOO_SLOW": protocol.CLOSE_TOO_SLOW,
    }


def test_only_the_closes_that_end_the_session_are_final():
    text = render_codes_js()
    assert "FINAL_CLOSE_CODES = new Set([CLOSE.UNAUTHENTICATED, CLOSE.FORBIDDEN, CLOSE.NOT_FOUND]);" in text


def test_error_codes_hold_every_documented_code_and_the_codes_the_quiz_raises():
    codes = set(protocol_codes.error_codes())
    assert set(protocol_codes.documented_error_codes()) <= codes
    # raised in quiz.protocol, the round engine, the services and the nickname rules
    assert {"malformed_json", "round_finished", "wrong_pin", "nickname_offensive", "not_in_match"} <= codes
    # the competition's own refusals are answered over HTTP, not in error frames
    assert "team_not_in_match" not in codes


def test_the_documented_codes_are_read_from_the_error_table_only():
    text = (
        "## 7. Answers\n| `ack` | not a code |\n"
        "## 8. Error codes\n| Code | Sent to |\n| --- | --- |\n| `too_late` | contestant |\n"
        "| `busy` | host |\n\n## 9. Limits\n| `question` | 0-999 |\n"
    )
    assert protocol_codes.documented_error_codes(text) == ("too_late", "busy")


def test_a_refusal_is_a_quiz_exception_whose_init_takes_the_code_first():
    assert {"ProtocolError", "QuizError", "IllegalTransition"} <= protocol_codes.refusal_classes(
        protocol_codes._sources()
    )


def test_js_codes_check_fails_when_the_file_is_stale(tmp_path, monkeypatch):
    stale = tmp_path / "codes.js"
    stale.write_text("// an old copy\n", encoding="utf-8")
    monkeypatch.setattr("frontend.management.commands.js_codes.CODES_JS", stale)
    with pytest.raises(CommandError, match="out of date"):
        call_command("js_codes", "--check", stdout=io.StringIO())
    call_command("js_codes", stdout=io.StringIO())
    assert stale.read_text(encoding="utf-8") == render_codes_js()
    call_command("js_codes", "--check", stdout=io.StringIO())
