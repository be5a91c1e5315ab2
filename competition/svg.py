"""A bracket drawn as SVG on the server (no script): the host console and the projector show it.

``render(bracket, team_names, unfit)`` takes an engine ``Bracket`` (``competition.engine``), the team
names by id and the match ids whose stored result no longer fits (``BracketView.unfit``):

- elimination formats: one lane per section family (winners with the final and 3rd-place match,
  losers, grand final), a column per round, lines from each match to the one its winner goes to;
- round-robin groups: a table per group (matchday, teams, score);
- heats: a row of heat boxes per round.

Every match box shows its id, the teams ("待定 / TBD" until known), the scores, the winner highlighted
(class ``winner``) and a review flag (class ``review``) for a match that needs review. All text is
escaped. The drawing uses a ``viewBox`` so it scales to the page; sizes suit a 1920×1080 projector.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from xml.sax.saxutils import escape, quoteattr

from competition.engine import Bracket, FromMatch, Match
from competition.engine.rules import match_order

TBD = "待定 / TBD"
FONT = "'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',system-ui,sans-serif"

BOX_W = 320
HEAD_H = 26
LINE_H = 38
COL_GAP = 70
ROW_GAP = 22
PAD = 16
TITLE_H = 44

SECTION_TITLES = {
    "main": "胜者组 / Winners",
    "losers": "败者组 / Losers",
    "grand": "总决赛 / Grand final",
    "heats": "分组赛 / Heats",
}
STATUS = {
    "played": "已赛 / played",
    "ready": "待赛 / ready",
    "waiting": "待定 / waiting",
    "skipped": "无需 / not needed",
    "review": "⚠ 需复核 / review",
}
ID_RE = re.compile(r"^[A-Z]+(\d+)-(\d+)$")


def _name(team, names: Mapping[int, str]) -> str:
    if team is None:
        return TBD
    return names.get(team) or names.get(str(team)) or f"#{team}"


def _tiers(bracket: Bracket, m: Match) -> list[list]:
    if m.result is None or m.skipped:
        return []
    tie_breaks = bracket.options.get("match_tie_breaks", ("correct_time",))
    try:
        return match_order([p for p in m.participants if p is not None], m.result, tie_breaks)
    except (KeyError, TypeError):
        return []


def winner_of(bracket: Bracket, m: Match):
    """The match winner (alone in first place), or None (unplayed, or a draw)."""
    tiers = _tiers(bracket, m)
    return tiers[0][0] if tiers and len(tiers[0]) == 1 else None


def status_of(m: Match, unfit: set[str] | frozenset[str] | tuple = ()) -> str:
    if m.needs_review or m.id in unfit:
        return "review"
    if m.skipped:
        return "skipped"
    if m.result is not None:
        return "played"
    return "ready" if m.ready else "waiting"


def _fmt(score) -> str:
    if isinstance(score, float) and score.is_integer():
        score = int(score)
    return str(score)


def _text(x: float, y: float, text: str, *, cls: str, anchor: str = "start") -> str:
    return f'<text x="{x:.0f}" y="{y:.0f}" class="{cls}" text-anchor="{anchor}">{escape(text)}</text>'


def _box(bracket: Bracket, m: Match, x: float, y: float, names, unfit, advance: int = 0) -> str:
    """A match box at (x, y): header (id, status), one line per team with its score."""
    status = status_of(m, unfit)
    winner = winner_of(bracket, m)
    places: dict = {}
    for i, tier in enumerate(_tiers(bracket, m)):
        for team in tier:
            places[team] = sum(len(t) for t in _tiers(bracket, m)[:i]) + 1
    h = HEAD_H + LINE_H * max(1, len(m.participants))
    out = [
        f'<g class="match status-{status}" id={quoteattr("match-" + m.id)} data-match={quoteattr(m.id)}'
        f' transform="translate({x:.0f},{y:.0f})">',
        f'<rect class="box" width="{BOX_W}" height="{h}" rx="8"/>',
        _text(10, 19, m.id, cls="mid"),
        _text(BOX_W - 10, 19, STATUS[status], cls=f"mstatus {status}", anchor="end"),
    ]
    for i, team in enumerate(m.participants):
        ty = HEAD_H + i * LINE_H
        classes = ["team"]
        if team is None:
            classes.append("tbd")
        if team is not None and team == winner:
            classes.append("winner")
        elif advance and team in places and places[team] <= advance:
            classes.append("advance")
        attrs = f' data-team="{team}"' if team is not None else ""
        if "winner" in classes:
            attrs += ' data-winner="true"'
        out.append(f'<g class="{" ".join(classes)}"{attrs} transform="translate(0,{ty})">')
        out.append(f'<rect class="line" x="2" y="1" width="{BOX_W - 4}" height="{LINE_H - 2}" rx="5"/>')
        label = _name(team, names)
        if len(label) > 14:
            label = label[:13] + "…"
        mark = "★ " if "winner" in classes else ""
        out.append(_text(12, 27, mark + label, cls="tname"))
        if m.result is not None and team in m.result.scores:
            out.append(_text(BOX_W - 12, 27, _fmt(m.result.scores[team].score), cls="tscore", anchor="end"))
        out.append("</g>")
    out.append("</g>")
    return "".join(out)


def _box_h(m: Match) -> int:
    return HEAD_H + LINE_H * max(1, len(m.participants))


def _lane(
    bracket: Bracket, matches: list[Match], title: str, top: float, names, unfit
) -> tuple[list[str], float, float]:
    """Columns per round. Winners-bracket ids ``W{round}-{position}`` are placed by position so the
    bracket lines up; other matches are spread evenly in their column."""
    rounds = sorted({m.round for m in matches})
    col = {r: i for i, r in enumerate(rounds)}
    box_h = max(_box_h(m) for m in matches)
    slot = box_h + ROW_GAP
    by_round: dict[int, list[Match]] = {}
    for m in matches:
        by_round.setdefault(m.round, []).append(m)
    extra = [m for m in matches if m.section == "third_place"]
    main = {r: [m for m in ms if m.section != "third_place"] for r, ms in by_round.items()}
    parsed = {m.id: ID_RE.match(m.id) for m in matches}
    positional = all(parsed[m.id] for ms in main.values() for m in ms)
    last = max(rounds)
    deepest = 2 ** (last - rounds[0]) if positional else max(len(ms) for ms in main.values())
    height = slot * deepest
    placed: list[tuple[Match, float, float]] = []  # match, x, centre y (before trimming)
    for r, ms in main.items():
        x = PAD + col[r] * (BOX_W + COL_GAP)
        for i, m in enumerate(ms):
            if positional:
                pos = int(parsed[m.id].group(2))
                cy = (pos - 0.5) / 2 ** (last - r) * height
            else:
                cy = (i + 0.5) / len(ms) * height
            placed.append((m, x, cy))
    # Byes leave empty bands at the top and bottom: trim them.
    low = min(cy - _box_h(m) / 2 for m, _x, cy in placed)
    high = max(cy + _box_h(m) / 2 for m, _x, cy in placed)
    height = high - low
    body_top = top + TITLE_H
    centers: dict[str, tuple[float, float]] = {}
    out = [_text(PAD, top + 30, title, cls="lane-title")]
    for m, x, cy in placed:
        cy = cy - low
        centers[m.id] = (x, body_top + cy)
        out.append(_box(bracket, m, x, body_top + cy - _box_h(m) / 2, names, unfit))
    for j, m in enumerate(extra):
        x = PAD + col[m.round] * (BOX_W + COL_GAP)
        y = body_top + height + ROW_GAP + j * slot
        centers[m.id] = (x, y + _box_h(m) / 2)
        out.append(_box(bracket, m, x, y, names, unfit))
    height += (len(extra) * slot + ROW_GAP) if extra else 0
    lines = []
    for m in matches:
        if m.section == "third_place":
            continue
        for src in m.sources:
            if isinstance(src, FromMatch) and src.place == 1 and src.match_id in centers:
                sx, sy = centers[src.match_id]
                tx, ty = centers[m.id]
                if tx <= sx:
                    continue
                x1, x2 = sx + BOX_W, tx
                mid = x1 + COL_GAP / 2
                lines.append(f'<path class="wire" d="M{x1:.0f},{sy:.0f} H{mid:.0f} V{ty:.0f} H{x2:.0f}"/>')
    width = PAD * 2 + len(rounds) * BOX_W + (len(rounds) - 1) * COL_GAP
    return lines + out, width, TITLE_H + height + ROW_GAP


GROUP_COLS = (90, 300, 130, 300)  # matchday, team, score, team


def _group_table(bracket: Bracket, group: str, matches: list[Match], top: float, names, unfit):
    row_h = LINE_H
    width = sum(GROUP_COLS) + PAD
    out = [_text(PAD, top + 30, f"{group} 组 / Group {group}", cls="lane-title")]
    y = top + TITLE_H
    heads = ("轮 / Day", "队伍 / Team", "比分 / Score", "队伍 / Team")
    x = PAD
    for w, head in zip(GROUP_COLS, heads, strict=True):
        anchor = "middle" if head.startswith("比分") else "start"
        out.append(_text(x + (w / 2 if anchor == "middle" else 8), y + 26, head, cls="th", anchor=anchor))
        x += w
    y += row_h
    for m in matches:
        status = status_of(m, unfit)
        winner = winner_of(bracket, m)
        a, b = (*m.participants, None, None)[:2]
        out.append(
            f'<g class="match row status-{status}" id={quoteattr("match-" + m.id)}'
            f" data-match={quoteattr(m.id)}"
            f' transform="translate({PAD},{y:.0f})">'
        )
        out.append(f'<rect class="box" width="{sum(GROUP_COLS)}" height="{row_h - 4}" rx="5"/>')
        flag = " ⚠" if status == "review" else ""
        out.append(_text(8, 26, f"{m.round} · {m.id}{flag}", cls="mid"))
        x = GROUP_COLS[0]
        for team, cx in ((a, x), (b, x + GROUP_COLS[1] + GROUP_COLS[2])):
            cls = "tname" + (" winner" if team is not None and team == winner else "")
            attrs = ' data-winner="true"' if "winner" in cls else ""
            label = ("★ " if "winner" in cls else "") + _name(team, names)
            out.append(f'<g class="team{" winner" if "winner" in cls else ""}"{attrs}>')
            out.append(_text(cx + 8, 26, label, cls="tname"))
            out.append("</g>")
        if m.result is not None and a in m.result.scores and b in m.result.scores:
            score = f"{_fmt(m.result.scores[a].score)} : {_fmt(m.result.scores[b].score)}"
        else:
            score = "– : –"
        out.append(_text(x + GROUP_COLS[1] + GROUP_COLS[2] / 2, 26, score, cls="tscore", anchor="middle"))
        out.append("</g>")
        y += row_h
    return out, width + PAD, y - top + ROW_GAP


def _heat_rows(bracket: Bracket, matches: list[Match], top: float, names, unfit):
    advance = int(bracket.options.get("advance", 0) or 0)
    out = []
    y = top
    width = 0.0
    for r in sorted({m.round for m in matches}):
        row = [m for m in matches if m.round == r]
        final = any(m.section == "final" for m in row)
        title = "决赛 / Final" if final else f"第 {r} 轮 / Round {r}"
        out.append(_text(PAD, y + 30, title, cls="lane-title"))
        y += TITLE_H
        for i, m in enumerate(row):
            x = PAD + i * (BOX_W + COL_GAP / 2)
            out.append(_box(bracket, m, x, y, names, unfit, advance=0 if final else advance))
            width = max(width, x + BOX_W + PAD)
        y += max(_box_h(m) for m in row) + ROW_GAP
    return out, width, y - top


STYLE = (
    "<style>"
    f"text{{font-family:{FONT};font-size:20px;fill:#0f172a}}"
    ".lane-title{font-size:24px;font-weight:700;fill:currentColor}"
    ".box{fill:#ffffff;stroke:#94a3b8;stroke-width:2}"
    ".status-ready .box{stroke:#0b3a82;stroke-width:3}"
    ".status-review .box{stroke:#b91c1c;stroke-width:4;stroke-dasharray:8 4}"
    ".status-skipped{opacity:.45}"
    ".mid{font-size:15px;font-weight:700;fill:#475569}"
    ".mstatus{font-size:15px;fill:#475569}.mstatus.review{fill:#b91c1c;font-weight:700}"
    ".mstatus.ready{fill:#0b3a82;font-weight:700}"
    ".line{fill:transparent}.team.winner .line{fill:#fde68a}.team.advance .line{fill:#dcfce7}"
    ".team.winner text{font-weight:800}.tbd .tname{fill:#64748b;font-style:italic}"
    ".tscore{font-weight:800;font-variant-numeric:tabular-nums}"
    ".th{font-size:16px;font-weight:700;fill:currentColor}"
    ".wire{fill:none;stroke:#94a3b8;stroke-width:3}"
    "</style>"
)


def render(
    bracket: Bracket, team_names: Mapping[int, str], unfit: set[str] | frozenset[str] | tuple = ()
) -> str:
    """The bracket as an SVG document (text)."""
    unfit = set(unfit)
    matches = list(bracket.matches.values())
    parts: list[str] = []
    top = 0.0
    width = 400.0
    if bracket.format == "heats":
        body, w, h = _heat_rows(bracket, matches, top, team_names, unfit)
        parts += body
        width, top = max(width, w), top + h
    else:
        groups: dict[str, list[Match]] = {}
        for m in matches:
            if m.section == "group":
                groups.setdefault(m.group or "A", []).append(m)
        for group, ms in groups.items():
            body, w, h = _group_table(bracket, group, ms, top, team_names, unfit)
            parts += body
            width, top = max(width, w), top + h
        lanes = (
            ("main", ("winners", "final", "third_place")),
            ("losers", ("losers",)),
            ("grand", ("grand_final", "grand_final_reset")),
        )
        for key, sections in lanes:
            ms = [m for m in matches if m.section in sections]
            if not ms:
                continue
            title = SECTION_TITLES[key]
            if key == "main" and not any(m.section == "losers" for m in matches):
                title = "淘汰赛 / Knockout"
            body, w, h = _lane(bracket, ms, title, top, team_names, unfit)
            parts += body
            width, top = max(width, w), top + h
        other = [
            m for m in matches if m.section not in ("group", "winners", "final", "third_place", "losers")
        ]
        other = [m for m in other if m.section not in ("grand_final", "grand_final_reset")]
        if other:
            body, w, h = _heat_rows(bracket, other, top, team_names, unfit)
            parts += body
            width, top = max(width, w), top + h
    height = max(top, 60.0)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bracket-svg" viewBox="0 0 {width:.0f} {height:.0f}"'
        f' width="{width:.0f}" height="{height:.0f}" role="img" aria-label="bracket">'
        + STYLE
        + "".join(parts)
        + "</svg>"
    )
