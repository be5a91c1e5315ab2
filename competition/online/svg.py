"""The self-test profile as a small inline SVG bar chart (no script, no library, readable on any phone)."""

from __future__ import annotations

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

LABELS = {
    "knowledge": _("Scientific knowledge"),
    "method": _("Scientific method"),
    "spirit": _("Scientific spirit and thought"),
    "application": _("Applying science"),
}


def profile_chart(result: dict[str, Any], *, width: int = 320) -> SafeString:
    """One bar per dimension: its score as a share of its weight, with ``score/weight`` written beside it."""
    dims = result.get("dimensions", [])
    row, label_w, bar_w = 44, 0, width - 70
    height = row * len(dims) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(str(_("Self-test profile")))}" class="profile-chart">'
    ]
    for n, d in enumerate(dims):
        y = 8 + n * row
        share = (d["score"] / d["weight"]) if d["weight"] else 0
        label = escape(str(LABELS.get(d["name"], d["name"])))
        parts.append(f'<text x="{label_w}" y="{y + 12}" font-size="13" fill="#1f2937">{label}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 18}" width="{bar_w}" height="14" rx="7" fill="#e5e7eb"/>')
        filled = round(bar_w * share, 1)
        parts.append(f'<rect x="{label_w}" y="{y + 18}" width="{filled}" height="14" rx="7" fill="#0b3a82"/>')
        parts.append(
            f'<text x="{width - 4}" y="{y + 30}" font-size="13" text-anchor="end" fill="#1f2937">'
            f"{d['score']:g}/{d['weight']}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
