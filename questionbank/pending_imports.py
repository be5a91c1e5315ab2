"""Import uploads kept between their preview and their commit, in Django storage.

The admin's import is two requests: the upload is previewed, then committed (or abandoned). Any server
process may answer the second request, so the file is kept in storage that every process sees: the
``question_imports`` entry of ``STORAGES``. It must be private: never the default storage, whose
MEDIA_ROOT the web server publishes (a site without the entry is refused with ImproperlyConfigured
rather than falling back to it). Each upload is two files named by a random
token (``secrets.token_urlsafe(24)``: 192 bits, unguessable): the bytes, and a small JSON record of who
uploaded it, when, and the choices made with it (file name, format, near-duplicates allowed).

A token is honoured only for the user who uploaded it and only for ``MAX_AGE`` after the upload; the files
are deleted at commit or abandon, and uploads older than ``MAX_AGE`` are swept whenever a new one is kept.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import InvalidStorageError, Storage, storages

DIRECTORY = "question-imports"
MAX_AGE = timedelta(hours=6)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass(frozen=True, slots=True)
class PendingImport:
    token: str
    user_id: int
    filename: str
    format: str
    allow_duplicates: bool
    uploaded_at: float  # seconds since the epoch

    def expired(self, now: datetime) -> bool:
        return now.timestamp() - self.uploaded_at > MAX_AGE.total_seconds()


def import_storage() -> Storage:
    """The private storage of pending uploads (``STORAGES["question_imports"]``)."""
    try:
        return storages["question_imports"]
    except InvalidStorageError as missing:
        raise ImproperlyConfigured(
            'STORAGES has no "question_imports" entry: pending question imports need a private storage '
            "that every server process shares (see config/settings.py)"
        ) from missing


def _save(storage: Storage, name: str, data: bytes) -> None:
    """Save under exactly ``name``: the token is the only way back to the file."""
    saved = storage.save(name, ContentFile(data))
    if saved != name:
        storage.delete(saved)
        raise ImproperlyConfigured(
            f"the question_imports storage renamed {name} to {saved}; it must keep names"
        )


def _data_name(token: str) -> str:
    return f"{DIRECTORY}/{token}.upload"


def _record_name(token: str) -> str:
    return f"{DIRECTORY}/{token}.json"


def pending_import_keep(
    data: bytes, *, user, filename: str, fmt: str, allow_duplicates: bool, now: datetime
) -> PendingImport:
    """Keep an upload for its commit; returns its record (with the token to give back to the user)."""
    pending_imports_sweep(now=now)
    storage = import_storage()
    pending = PendingImport(
        token=secrets.token_urlsafe(24),
        user_id=user.pk,
        filename=filename,
        format=fmt,
        allow_duplicates=allow_duplicates,
        uploaded_at=now.timestamp(),
    )
    _save(storage, _data_name(pending.token), data)
    _save(storage, _record_name(pending.token), json.dumps(asdict(pending)).encode())
    return pending


def _record(token: str) -> PendingImport | None:
    storage = import_storage()
    name = _record_name(token)
    if not storage.exists(name):
        return None
    with storage.open(name, "rb") as file:
        return PendingImport(**json.loads(file.read()))


def pending_import_read(token: str, *, user, now: datetime) -> tuple[PendingImport, bytes] | None:
    """The upload and its record, or None when the token is unknown, expired or someone else's."""
    if not _TOKEN.match(token or ""):
        return None
    pending = _record(token)
    if pending is None or pending.user_id != user.pk or pending.expired(now):
        return None
    storage = import_storage()
    if not storage.exists(_data_name(token)):
        return None
    with storage.open(_data_name(token), "rb") as file:
        return pending, file.read()


def pending_import_forget(token: str) -> None:
    storage = import_storage()
    for name in (_data_name(token), _record_name(token)):
        storage.delete(name)


def pending_imports_sweep(*, now: datetime) -> int:
    """Delete the uploads older than ``MAX_AGE`` (abandoned previews); returns how many."""
    storage = import_storage()
    try:
        _dirs, files = storage.listdir(DIRECTORY)
    except FileNotFoundError:
        return 0
    swept = 0
    for name in files:
        token, _dot, suffix = name.rpartition(".")
        if suffix != "json" or not _TOKEN.match(token):
            continue
        try:
            pending = _record(token)
        except (ValueError, TypeError):
            pending = None
        if pending is None or pending.expired(now):
            pending_import_forget(token)
            swept += 1
    return swept
