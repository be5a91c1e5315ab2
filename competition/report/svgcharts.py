"""The report's charts drawn as SVG on the server, for the PDF (the page draws the same data with
ECharts). Okabe-Ito colours and a viridis ramp, both colour-blind-safe; cells too few to read are grey
and hatched so they differ without colour too. All text is escaped.
"""

from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape

FONT = "'Noto Sans CJK SC','Noto Sans CJK','WenQuanYi Zen Hei',sans-serif"
BLUE, ORANGE, GREY = "#0072B2", "#E69F00", "#d4d4d8"
VIRIDIS = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]


def ramp(share: float) -> str:
    """A viridis colour for a share 0..1."""
    x = min(max(share, 0.0), 1.0) * (len(VIRIDIS) - 1)
    i = min(int(x), len(VIRIDIS) - 2)
    f = x - i
    a, b = VIRIDIS[i], VIRIDIS[i + 1]
    return "#" + "".join(f"{round(a[k] + (b[k] - a[k]) * f):02x}" for k in range(3))


def _text(x, y, s, *, size=11, anchor="start", fill="#111", rotate=None) -> str:
    transform = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate is not None else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{transform}>'
        f"{escape(str(s))}</text>"
    )


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    # Each chart's hatch pattern gets its own id: the PDF holds several charts in one document.
    # The id comes from the chart itself, so the same report draws the same document every time.
    hatch = "few-" + hashlib.blake2s((title + "".join(body)).encode(), digest_size=6).hexdigest()
    body = [part.replace("url(#few)", f"url(#{hatch})") for part in body]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="{FONT}" role="img"><title>{escape(title)}</title>'
        f'<defs><pattern id="{hatch}" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="{GREY}"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#999" stroke-width="2"/>'
        "</pattern></defs>" + "".join(body) + "</svg>"
    )


def bars(title: str, data: dict, width: int = 680, height: int = 260) -> str:
    """Vertical bars; with ``low``/``high`` (percent) each bar gets its 95% interval as a whisker."""
    labels, values = data.get("labels", []), data.get("values", [])
    percent = data.get("percent", False)
    top = 100.0 if percent else max([v for v in values if v is not None] or [1]) * 1.1
    left, bottom, right, head = 44, 70, 10, 10
    plot_w, plot_h = width - left - right, height - bottom - head
    n = max(len(labels), 1)
    step = plot_w / n
    body = [
        f'<line x1="{left}" y1="{head + plot_h}" x2="{width - right}" y2="{head + plot_h}" stroke="#444"/>'
    ]
    for tick in range(5):
        value = top * tick / 4
        y = head + plot_h - plot_h * tick / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        body.append(_text(left - 4, y + 4, f"{value:.0f}{'%' if percent else ''}", size=10, anchor="end"))
    for i, label in enumerate(labels):
        x = left + i * step
        v = values[i] if i < len(values) else None
        if v is None:
            body.append(
                f'<rect x="{x + step * 0.15:.1f}" y="{head + plot_h - 12}" width="{step * 0.7:.1f}" '
                'height="12" fill="url(#few)"/>'
            )
        else:
            h = plot_h * v / top if top else 0
            body.append(
                f'<rect x="{x + step * 0.15:.1f}" y="{head + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
                f'height="{h:.1f}" fill="{BLUE}"/>'
            )
            if n <= 16:
                body.append(_text(x + step / 2, head + plot_h - h - 3, f"{v:g}", size=9, anchor="middle"))
            lows, highs = data.get("low"), data.get("high")
            if lows and highs and lows[i] is not None:
                y1 = head + plot_h - plot_h * lows[i] / top
                y2 = head + plot_h - plot_h * highs[i] / top
                cx = x + step / 2
                body.append(
                    f'<path d="M{cx:.1f} {y1:.1f}V{y2:.1f}M{cx - 4:.1f} {y1:.1f}h8M{cx - 4:.1f} {y2:.1f}h8" '
                    'stroke="#000" stroke-width="1.2"/>'
                )
        body.append(
            _text(
                x + step / 2, head + plot_h + 14, label, size=9, anchor="end", rotate=-40 if n > 8 else None
            )
            if n > 8
            else _text(x + step / 2, head + plot_h + 14, label, size=10, anchor="middle")
        )
    return _svg(width, height, body, title)


def hbars(title: str, data: dict, width: int = 680) -> str:
    """Horizontal bars (the funnel), each labelled with its count."""
    labels, values = data.get("labels", []), data.get("values", [])
    row, left = 28, 120
    height = row * len(labels) + 10
    top = max(values or [1]) or 1
    body = []
    for i, (label, v) in enumerate(zip(labels, values, strict=False)):
        y = 5 + i * row
        w = (width - left - 80) * v / top
        body.append(_text(left - 6, y + 17, label, anchor="end"))
        body.append(f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" fill="{BLUE}"/>')
        body.append(_text(left + w + 4, y + 17, v))
    return _svg(width, height, body, title)


def weeks(title: str, data: dict, width: int = 680, height: int = 240) -> str:
    series = data.get("series", [])
    flat = {
        "labels": data.get("labels", []),
        "values": series[0]["values"] if series else [],
        "percent": False,
    }
    return bars(title, flat, width, height)


def heatmap(title: str, data: dict, width: int = 680) -> str:
    """Rows by columns, each cell coloured by its share (percent) and labelled; too few: hatched grey."""
    rows, columns = data.get("rows", []), data.get("columns", [])
    left, head, cell_h = 96, 54, 20
    cell_w = (width - left - 6) / max(len(columns), 1)
    height = head + cell_h * len(rows) + 24
    body = []
    for j, c in enumerate(columns):
        body.append(_text(left + cell_w * (j + 0.5), head - 6, c, size=9, anchor="start", rotate=-50))
    for i, r in enumerate(rows):
        body.append(_text(left - 4, head + cell_h * i + 14, r, size=10, anchor="end"))
    for x, y, v in data.get("values", []):
        px, py = left + cell_w * x, head + cell_h * y
        fill = "url(#few)" if v is None else ramp(v / 100)
        body.append(
            f'<rect x="{px:.1f}" y="{py:.1f}" width="{cell_w - 1:.1f}" height="{cell_h - 1}" fill="{fill}"/>'
        )
        if v is not None and cell_w >= 22:
            ink = "#000" if v >= 60 else "#fff"
            body.append(_text(px + cell_w / 2, py + 14, f"{v:.0f}", size=9, anchor="middle", fill=ink))
    legend_y = head + cell_h * len(rows) + 8
    for k in range(11):
        body.append(
            f'<rect x="{left + k * 24}" y="{legend_y}" width="24" height="10" fill="{ramp(k / 10)}"/>'
        )
    body.append(_text(left + 11 * 24 + 6, legend_y + 9, "0–100%", size=9))
    return _svg(width, height, body, title)


DRAW = {"bar": bars, "funnel": hbars, "weeks": weeks, "heatmap": heatmap}


def chart_svg(kind: str, title: str, data: dict) -> str:
    return DRAW[kind](title, data)
