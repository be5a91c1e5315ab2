"""A match's result sheet as an A4 landscape PDF, with a CJK font for the Chinese."""

from __future__ import annotations

import io
import os

from competition.exports.data import sheet_data
from competition.models import Match

NOTO_CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
NOTO_CJK_SC_INDEX = 2  # Regular.ttc: JP, KR, SC, TC, HK


_FONT: str | None = None


def pdf_font() -> str:
    """Noto Sans CJK SC when installed (fonts-noto-cjk) and loadable, else reportlab's built-in CID font
    STSong-Light (no embedding needed; every PDF reader has it). reportlab's TTFont reads TrueType
    outlines only, so the CFF-based Noto CJK .ttc of Debian falls back to STSong-Light."""
    global _FONT
    if _FONT:
        return _FONT
    from reportlab.pdfbase import pdfmetrics

    if os.path.exists(NOTO_CJK):
        from reportlab.pdfbase.ttfonts import TTFont

        try:
            pdfmetrics.registerFont(TTFont("NotoSansCJKsc", NOTO_CJK, subfontIndex=NOTO_CJK_SC_INDEX))
            _FONT = "NotoSansCJKsc"
            return _FONT
        except Exception:  # a broken or unexpected font file: fall back to the CID font
            pass
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    _FONT = "STSong-Light"
    return _FONT


def match_sheet_pdf(match: Match) -> bytes:
    """The result sheet as an A4 landscape PDF (Chinese shown with a CJK font)."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    data = sheet_data(match)
    font = pdf_font()
    title = ParagraphStyle("t", fontName=font, fontSize=15, leading=20, spaceAfter=6)
    h2 = ParagraphStyle("h", fontName=font, fontSize=11.5, leading=15, spaceBefore=8, spaceAfter=4)
    cell = ParagraphStyle("c", fontName=font, fontSize=8, leading=10)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=data.title,
        author="Jingjinji Quiz",
    )
    width = doc.width

    def para(value) -> Paragraph:
        return Paragraph(escape("" if value is None else str(value)), cell)

    def table(header, rows, col_widths=None) -> Table:
        t = Table(
            [[para(h) for h in header]] + [[para(v) for v in r] for r in rows or [["—"]]],
            colWidths=col_widths,
            repeatRows=1,
        )
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#94a3b8")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dce6f4")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        return t

    story: list = [Paragraph(escape(data.title.replace("·", "|")), title)]  # no middle dot in STSong
    story.append(
        table(["项目 / Item", "内容 / Value"], [[k, v] for k, v in data.facts], [width * 0.25, width * 0.75])
    )
    for section in data.sections:
        story.append(Paragraph(escape(section.title), h2))
        n = len(section.header)
        if section.title.startswith("每题得分") and n > 16:
            # Wide grids: split the question columns into chunks that fit the page.
            fixed, qs, tail = section.header[:2], section.header[2:-4], section.header[-4:]
            step = 14
            for start in range(0, len(qs), step):
                idx = list(range(2 + start, 2 + min(start + step, len(qs))))
                last = start + step >= len(qs)
                header = fixed + [section.header[i] for i in idx] + (tail if last else [])
                rows = [r[:2] + [r[i] for i in idx] + (r[-4:] if last else []) for r in section.rows]
                story.append(table(header, rows, [width / len(header)] * len(header)))
                story.append(Spacer(1, 4))
            continue
        widths = [width / n] * n
        if n >= 2 and section.title.startswith(("题目", "成绩更正")):
            widths = [width * 0.1] + [width * 0.9 / (n - 1)] * (n - 1)
            if section.title.startswith("题目"):
                widths = [width * 0.06, width * 0.4] + [width * 0.54 / (n - 2)] * (n - 2)
        story.append(table(section.header, section.rows, widths))
    doc.build(story)
    return buffer.getvalue()
