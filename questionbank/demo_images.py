"""Pictures for the demo bank, drawn here so they are exact and ours. No text in them: the stem says
what to look at, and the description (alt text) says what they show."""

from __future__ import annotations

import io
from collections.abc import Callable

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

from questionbank.images import question_image_storage

INK = "#1f2937"


def series_circuit() -> Image.Image:
    """A battery and two bulbs in one loop: a series circuit."""
    picture = Image.new("RGB", (800, 500), "white")
    draw = ImageDraw.Draw(picture)
    left, top, right, bottom = 120, 110, 680, 390
    draw.line([(left, top), (right, top), (right, bottom), (left, bottom)], fill=INK, width=6)
    draw.line([(left, top), (left, 215)], fill=INK, width=6)
    draw.line([(left, 285), (left, bottom)], fill=INK, width=6)
    # The battery: the long thin plate is the positive terminal, the short thick one the negative.
    draw.line([(left - 50, 225), (left + 50, 225)], fill=INK, width=6)
    draw.line([(left - 25, 270), (left + 25, 270)], fill=INK, width=16)
    for x in (330, 500):  # two bulbs on the top wire, one after the other
        r = 48
        draw.ellipse([(x - r, top - r), (x + r, top + r)], fill="#fef9c3", outline=INK, width=6)
        d = int(r * 0.7)
        draw.line([(x - d, top - d), (x + d, top + d)], fill=INK, width=5)
        draw.line([(x - d, top + d), (x + d, top - d)], fill=INK, width=5)
    return picture


def first_quarter_moon() -> Image.Image:
    """The Moon with its right half lit, as a first-quarter Moon looks from the Northern Hemisphere."""
    picture = Image.new("RGB", (600, 600), "#0b1733")
    draw = ImageDraw.Draw(picture)
    for x, y in ((60, 80), (520, 60), (90, 500), (540, 470), (300, 40), (40, 300), (560, 300)):
        draw.ellipse([(x - 3, y - 3), (x + 3, y + 3)], fill="#e5e7eb")
    box = [(80, 80), (520, 520)]
    draw.ellipse(box, fill="#374151")
    draw.pieslice(box, start=-90, end=90, fill="#fdf6d8")
    return picture


DRAWINGS: dict[str, Callable[[], Image.Image]] = {
    "series-circuit": series_circuit,
    "first-quarter-moon": first_quarter_moon,
}


def demo_image_save(drawing: str) -> str:
    """Draw ``drawing`` and store it; returns the stored name (the same every time: it is its hash)."""
    if drawing not in DRAWINGS:
        raise ValueError(f"no demo drawing called {drawing!r}; there are: {', '.join(DRAWINGS)}")
    out = io.BytesIO()
    DRAWINGS[drawing]().save(out, "PNG", optimize=True)
    return question_image_storage.save(f"questions/{drawing}.png", ContentFile(out.getvalue()))
