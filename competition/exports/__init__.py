"""Official exports: a match's result sheet (XLSX, PDF), a stage's standings (XLSX) and the
leaderboards of a stage or of the whole competition (XLSX).

``data`` says what each export contains, as titled tables of plain values; ``xlsx`` and ``pdf``
render those tables.
"""

from competition.exports.data import Section, Sheet, leaderboard_sections, sheet_data, standings_data
from competition.exports.pdf import match_sheet_pdf, pdf_font
from competition.exports.xlsx import leaderboards_xlsx, match_sheet_xlsx, safe, stage_standings_xlsx

__all__ = [
    "Section",
    "Sheet",
    "leaderboard_sections",
    "leaderboards_xlsx",
    "match_sheet_pdf",
    "match_sheet_xlsx",
    "pdf_font",
    "safe",
    "sheet_data",
    "stage_standings_xlsx",
    "standings_data",
]
