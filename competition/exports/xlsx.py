"""The exports as XLSX workbooks: a match's result sheet, a stage's standings, the leaderboards.

Text cells that a spreadsheet would read as a formula (starting with = + - @) are prefixed with an
apostrophe.
"""

from __future__ import annotations

import io
from typing import Any

from competition.exports.data import GROUP_HEAD, Section, leaderboard_sections, sheet_data, standings_data
from competition.models import Competition, Match, Stage

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value: Any) -> Any:
    """A cell value a spreadsheet shows as text: formulas in text are neutralised."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _workbook_bytes(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _write_section(ws, row: int, section: Section, bold, head_fill) -> int:
    ws.cell(row=row, column=1, value=safe(section.title)).font = bold
    row += 1
    for col, head in enumerate(section.header, start=1):
        cell = ws.cell(row=row, column=col, value=safe(head))
        cell.font = bold
        cell.fill = head_fill
    row += 1
    for values in section.rows or [["—"]]:
        for col, value in enumerate(values, start=1):
            ws.cell(row=row, column=col, value=safe(value))
        row += 1
    return row + 1


def match_sheet_xlsx(match: Match) -> bytes:
    """The official result sheet: a summary sheet, plus one sheet per table."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    data = sheet_data(match)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DCE6F4")
    wb = Workbook()
    ws = wb.active
    ws.title = "成绩单"
    ws.cell(row=1, column=1, value=safe(data.title)).font = Font(bold=True, size=14)
    row = 3
    for key, value in data.facts:
        ws.cell(row=row, column=1, value=safe(key)).font = bold
        ws.cell(row=row, column=2, value=safe(value))
        row += 1
    row += 1
    for section in data.sections[:2] + data.sections[5:]:
        row = _write_section(ws, row, section, bold, fill)
    ws.column_dimensions["A"].width = 26
    for letter in "BCDEF":
        ws.column_dimensions[letter].width = 22
    for section, name in (
        (data.sections[2], "每题得分"),
        (data.sections[3], "题目"),
        (data.sections[4], "作答"),
    ):
        sheet = wb.create_sheet(name)
        _write_section(sheet, 1, section, bold, fill)
        sheet.column_dimensions["A"].width = 20
        sheet.column_dimensions["B"].width = 24
        sheet.freeze_panes = "C3"
    return _workbook_bytes(wb)


def stage_standings_xlsx(stage: Stage) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DCE6F4")
    wb = Workbook()
    wb.remove(wb.active)
    sheets: dict[str, Any] = {}
    rows: dict[str, int] = {}
    for bracket_name, section in standings_data(stage):
        if bracket_name not in sheets:
            title = "".join(ch for ch in bracket_name if ch not in "[]:*?/\\")[:31] or "Bracket"
            ws = wb.create_sheet(title)
            ws.cell(
                row=1, column=1, value=safe(f"{stage.competition.name} · {stage.name} · {bracket_name}")
            ).font = Font(bold=True, size=14)
            ws.column_dimensions["A"].width = 14
            ws.column_dimensions["B"].width = 40
            sheets[bracket_name], rows[bracket_name] = ws, 3
        rows[bracket_name] = _write_section(sheets[bracket_name], rows[bracket_name], section, bold, fill)
    if not sheets:
        wb.create_sheet("Stage").cell(row=1, column=1, value=safe(stage.name))
    return _workbook_bytes(wb)


def leaderboards_xlsx(competition: Competition, stage: Stage | None) -> bytes:
    """One sheet per board, every row (a stage's individual board may have 100,000 of them, so the
    workbook is written row by row, in openpyxl's write-only mode)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DCE6F4")
    scope = stage.name if stage is not None else "累计 / Cumulative"
    wb = Workbook(write_only=True)
    for sheet_name, section in leaderboard_sections(competition, stage):
        ws = wb.create_sheet(sheet_name)
        ws.freeze_panes = "C4"
        for letter, width in zip("ABCDEFG", (12, 28, 24, 16, 16, 18, 18), strict=True):
            ws.column_dimensions[letter].width = width
        title = WriteOnlyCell(ws, value=safe(f"{competition.name} · {scope} · {section.title}"))
        title.font = Font(bold=True, size=14)
        ws.append([title])
        ws.append([])
        head = []
        for text in section.header:
            cell = WriteOnlyCell(ws, value=safe(text))
            cell.font, cell.fill = bold, fill
            head.append(cell)
        ws.append(head)
        percent = section.header[-1] == GROUP_HEAD[-1]
        for values in section.rows:
            row = [safe(value) for value in values]
            if percent:
                share = WriteOnlyCell(ws, value=row[-1])
                share.number_format = "0.0%"
                row[-1] = share
            ws.append(row)
    return _workbook_bytes(wb)
