"""Sending one-time codes by SMS through a pluggable backend.

``ONLINE["SMS_BACKEND"]`` names a class by dotted path; it is built once per process with no arguments
and its ``send(mobile, text)`` is called after the code is committed. A provider's backend raises
``SmsError`` when the provider refuses; the contestant is told to try again and the code stays unused.

- ``ConsoleBackend`` (development default): logs the message.
- ``FileBackend``: appends a JSON line per message to ``ONLINE["SMS_FILE_DIR"]/<mobile>.jsonl`` (browser
  tests read codes from there).
- ``MemoryBackend``: keeps messages in ``MemoryBackend.outbox`` (unit tests).

A provider (Aliyun SMS, Tencent Cloud SMS, ...) plugs in as a class with the same ``send``; see
docs/online-stage.md, "SMS".
"""

from __future__ import annotations

import json
import logging
from functools import cache
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The provider did not take the message."""


class SmsBackend(Protocol):
    def send(self, mobile: str, text: str) -> None: ...


class ConsoleBackend:
    def send(self, mobile: str, text: str) -> None:
        logger.warning("SMS to %s: %s", mobile, text)


class FileBackend:
    def send(self, mobile: str, text: str) -> None:
        folder = settings.ONLINE["SMS_FILE_DIR"]
        folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"mobile": mobile, "text": text, "at": timezone.now().isoformat()}, ensure_ascii=False
        )
        with open(folder / f"{mobile}.jsonl", "a", encoding="utf-8") as out:
            out.write(line + "\n")


class MemoryBackend:
    outbox: ClassVar[list[tuple[str, str]]] = []

    def send(self, mobile: str, text: str) -> None:
        self.outbox.append((mobile, text))


@cache
def _backend(path: str) -> SmsBackend:
    return import_string(path)()


def sms_backend() -> SmsBackend:
    return _backend(settings.ONLINE["SMS_BACKEND"])
