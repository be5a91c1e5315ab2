"""Question images: what an upload may be, and where it is kept.

Images are stored under a name made from their content (SHA-256), so a file is never overwritten:
an editor who replaces a question's image uploads a new file under a new name, and the rounds that
copied the old name (``quiz.RoundQuestion.image``) keep showing the old picture. Nothing deletes
image files when a question changes.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.validators import FileExtensionValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

IMAGE_EXTENSIONS = ["png", "jpg", "jpeg", "gif", "webp"]
MAX_IMAGE_BYTES = 2 * 1024 * 1024
# Large enough for a sharp projector picture, small enough to decode quickly on a phone.
MAX_IMAGE_SIDE = 4096

image_extension_valid = FileExtensionValidator(
    IMAGE_EXTENSIONS,
    message=_(
        "“%(extension)s” is not an image type the live pages show. Use one of: %(allowed_extensions)s."
    ),
)


def _new_upload(file) -> bool:
    # Stored files were checked when they were uploaded (and may live on another machine's disk).
    return not getattr(file, "_committed", False)


def image_size_valid(file) -> None:
    if _new_upload(file) and file.size > MAX_IMAGE_BYTES:
        raise ValidationError(
            _(
                "The image is %(size)s KB; the largest allowed is %(max)s KB. "
                "Save it smaller and upload again."
            ),
            code="image_too_large",
            params={"size": (file.size + 1023) // 1024, "max": MAX_IMAGE_BYTES // 1024},
        )


def image_dimensions_valid(file) -> None:
    """Refuse pictures too large to decode on a phone (also stops decompression bombs)."""
    if not _new_upload(file):
        return
    width, height = getattr(file, "width", None), getattr(file, "height", None)
    if width is None or height is None:
        return
    if max(width, height) > MAX_IMAGE_SIDE:
        raise ValidationError(
            _("The image is %(width)s × %(height)s pixels; the longer side may be at most %(max)s."),
            code="image_too_wide",
            params={"width": width, "height": height, "max": MAX_IMAGE_SIDE},
        )


def content_name(directory: str, original: str, content) -> str:
    """``directory/<first 32 hex digits of the SHA-256 of content>.<lower-case extension>``."""
    digest = hashlib.sha256()
    if hasattr(content, "seek"):
        content.seek(0)
    for chunk in content.chunks() if hasattr(content, "chunks") else [content.read()]:
        digest.update(chunk)
    if hasattr(content, "seek"):
        content.seek(0)
    suffix = PurePosixPath(original).suffix.lower()
    return str(PurePosixPath(directory) / f"{digest.hexdigest()[:32]}{suffix}")


@deconstructible
class ContentAddressedStorage(FileSystemStorage):
    """Saves each file under the hash of its content; saving the same content again reuses the file."""

    def save(self, name, content, max_length=None):
        if name is None:
            name = content.name
        directory = str(PurePosixPath(name).parent)
        name = content_name(directory if directory != "." else "", name, content)
        if self.exists(name):
            return name
        return super().save(name, content, max_length=max_length)


question_image_storage = ContentAddressedStorage()


def image_storage() -> ContentAddressedStorage:
    """The storage of question images (a callable, so migrations do not pin its settings)."""
    return question_image_storage


def image_bytes_problem(data: bytes) -> str:
    """Why a picture read from an import file cannot be a question image ('' if it can): the same limits
    as an upload (type, size, pixels), checked with Pillow."""
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_IMAGE_BYTES:
        return f"it is {(len(data) + 1023) // 1024} KB; the largest allowed is {MAX_IMAGE_BYTES // 1024} KB"
    try:
        with Image.open(BytesIO(data)) as picture:
            kind, (width, height) = picture.format, picture.size
            picture.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return "it is not a picture the live pages can show"
    if (kind or "").lower() not in {"png", "jpeg", "gif", "webp"}:
        return f"{kind} is not an image type the live pages show"
    if max(width, height) > MAX_IMAGE_SIDE:
        return f"it is {width} × {height} pixels; the longer side may be at most {MAX_IMAGE_SIDE}"
    return ""


def image_content_name(original: str, data: bytes) -> str:
    """The name a picture is stored under (``questions/<hash>.<extension>``)."""
    from django.core.files.base import ContentFile

    return content_name("questions", original, ContentFile(data))


def question_image_save(original: str, data: bytes) -> str:
    """Store a picture read from an import file; returns its name (the same content reuses its file)."""
    from django.core.files.base import ContentFile

    return question_image_storage.save(f"questions/{PurePosixPath(original).name}", ContentFile(data))
