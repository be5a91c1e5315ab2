"""A round's results as the host takes them away: the standings, every answer by contestant and by
question with the times that decided it and the evidence beside them, as an XLSX workbook.

Read from the record: the round's frozen questions and the append-only answer log, scored again with the
round's rule over the questions that count (``quiz.selectors.round_scores``), so the workbook says what
the standings say. Times are whole milliseconds; moments are local time to the millisecond. Text cells a
spreadsheet would run as a formula are neutralised (``questionbank.engine.formats.neutralise``).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from questionbank.engine.formats import letters, neutralise
from quiz import selectors
from quiz.engine.rounds import counted_questions
from quiz.engine.scoring import ScoringRule, rank
from quiz.models import Answer, Contestant, Round, RoundQuestion

SUMMARY_HEADER = [
    "名次",
    "选手",
    "队伍",
    "总分",
    "答对题数",
    "答对用时（毫秒）",
    "答题数",
    "时间倍数",
    "状态",
]
ANSWER_HEADER = [
    "题号",
    "选手",
    "队伍",
    "作答",
    "正确答案",
    "是否答对",
    "得分",
    "答题用时 t（毫秒）",
    "时限 T（毫秒）",
    "服务器收到时间",
    "手机点击时间",
    "手机显示时长（毫秒）",
    "往返时延（毫秒）",
    "题目状态",
]


@dataclass(frozen=True, slots=True)
class Results:
    title: str
    facts: list[tuple[str, Any]]
    summary: list[list[Any]]
    by_contestant: list[list[Any]]
    by_question: list[list[Any]]
    questions: list[list[Any]]


def key_text(q: RoundQuestion) -> str:
    """The key as the workbook shows it: choice letters, accepted answers, or a number with its tolerance."""
    if q.kind == "short":
        return "｜".join(q.accepted_answers or [])
    if q.kind == "numerical":
        value = "" if q.numeric_value is None else f"{q.numeric_value:.12g}"
        tolerance = f" ± {q.tolerance:.12g}" if q.tolerance else ""
        return f"{value}{tolerance} {q.unit}".strip()
    return letters(q.correct)


def _moment(value: datetime | None) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value)
    return local.strftime("%Y-%m-%d %H:%M:%S.") + f"{local.microsecond // 1000:03d}"


def _factor(percent: int) -> str:
    return f"×{percent // 100}" if percent % 100 == 0 else f"×{percent / 100:g}"


def round_results(round_id: int) -> Results:
    """Everything the workbook shows, as plain rows."""
    round_ = Round.objects.select_related("competition").get(pk=round_id)
    questions = list(RoundQuestion.objects.filter(round=round_).order_by("position"))
    state = selectors.round_state(round_, questions)
    counted = {q.index for q in counted_questions(state)}
    contestants = list(Contestant.objects.filter(round=round_).select_related("team").order_by("joined_at"))
    active = [c.id for c in contestants if c.kicked_at is None]
    rule = ScoringRule.from_dict(round_.scoring)
    scores = selectors.round_scores(round_, active, state=state)
    ranks = {r.score.contestant_id: r.rank for r in rank(scores.values(), rule.tie_breaks)}
    numbers, played = {}, 0
    for q in questions:
        if not q.skipped:
            played += 1
            numbers[q.position] = played

    def status(q: RoundQuestion) -> str:
        if q.skipped:
            return "跳过"
        if q.voided:
            return "作废"
        if q.opened_at is None:
            return "未出题"
        return "计分" if q.position in counted else "未揭晓"

    summary = []
    for c in sorted(contestants, key=lambda c: (ranks.get(c.id) or 10**9, c.id)):
        s = scores.get(c.id)
        summary.append(
            [
                ranks.get(c.id),
                c.nickname,
                c.team.name if c.team else "",
                s.points if s else 0,
                s.correct if s else 0,
                s.correct_time_ms if s else 0,
                s.answered if s else 0,
                _factor(c.time_factor),
                "已移出" if c.kicked_at else "",
            ]
        )

    by_id = {c.id: c for c in contestants}
    by_position = {q.id: q for q in questions}
    typed_keys = {q.id: selectors.typed_key(q) for q in questions}
    answers = Answer.objects.filter(round=round_).order_by("question__position", "received_at", "id")
    rows: list[tuple[int, int, list[Any]]] = []
    for a in answers:
        q, c = by_position[a.question_id], by_id[a.contestant_id]
        outcome = scores[c.id].outcomes.get(q.position) if c.id in scores else None
        key = typed_keys[q.id]
        if key is None:
            given, right = letters(sorted(a.choices)), sorted(a.choices) == sorted(q.correct)
        else:  # a typed answer as typed, judged by the round's key as the scores judge it
            given, right = a.text, bool(a.text) and key.matches(a.text)
        rows.append(
            (
                c.id,
                q.position,
                [
                    numbers.get(q.position, ""),
                    c.nickname,
                    c.team.name if c.team else "",
                    given,
                    key_text(q),
                    "是" if right else "否",
                    outcome.points if outcome else "",
                    a.elapsed_ms,
                    a.time_limit_ms if a.time_limit_ms is not None else q.duration_ms,
                    _moment(a.received_at),
                    _moment(a.tapped_at),
                    a.client_elapsed_ms if a.client_elapsed_ms is not None else "",
                    a.rtt_ms if a.rtt_ms is not None else "",
                    status(q),
                ],
            )
        )
    order = {c.id: i for i, c in enumerate(contestants)}
    by_contestant = [row for _, _, row in sorted(rows, key=lambda r: (order[r[0]], r[1]))]
    by_question = [row for _, _, row in rows]
    question_rows = [
        [
            numbers.get(q.position, ""),
            q.stem,
            "；".join(f"{letters([i])}. {text}" for i, text in enumerate(q.choices)),
            key_text(q),
            q.duration_ms,
            _moment(q.opened_at),
            _moment(q.closed_at),
            sum(end - start for start, end in q.pauses or ()),
            sum(1 for _, position, _ in rows if position == q.position),
            status(q),
        ]
        for q in questions
    ]
    facts = [
        ("比赛", round_.competition.name),
        ("场次", round_.title),
        ("PIN", round_.pin),
        ("状态", round_.phase),
        ("导出时间", _moment(timezone.now())),
        ("计分规则", ", ".join(f"{k}={v}" for k, v in rule.to_dict().items())),
        (
            "说明",
            "t 为服务器收到答案的时间减去出题时间（不含暂停），T 为题目时限乘以选手的时间倍数；"
            "手机点击时间、显示时长和往返时延仅作争议证据，不参与计分。",
        ),
    ]
    return Results(round_.title, facts, summary, by_contestant, by_question, question_rows)


QUESTION_HEADER = [
    "题号",
    "题干",
    "选项",
    "正确答案",
    "时限（毫秒）",
    "出题时间",
    "截止时间",
    "暂停（毫秒）",
    "答案数",
    "题目状态",
]


def results_xlsx(round_id: int) -> bytes:
    """The round's results workbook: 汇总 (standings), 按选手 and 按题目 (every answer), 题目."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    data = round_results(round_id)
    bold = Font(bold=True)
    wb = Workbook()
    summary = wb.active
    summary.title = "汇总"
    summary.append([neutralise(data.title)])
    summary["A1"].font = Font(bold=True, size=14)
    for key, value in data.facts:
        summary.append([key, neutralise(value)])
    summary.append([])
    _table(summary, SUMMARY_HEADER, data.summary, bold)
    _table(wb.create_sheet("按选手"), ANSWER_HEADER, data.by_contestant, bold)
    _table(wb.create_sheet("按题目"), ANSWER_HEADER, data.by_question, bold)
    _table(wb.create_sheet("题目"), QUESTION_HEADER, data.questions, bold)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _table(ws, header: list[str], rows: list[list[Any]], bold) -> None:
    ws.append(header)
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = bold
    for row in rows:
        ws.append([neutralise(value) for value in row])
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)  # the header stays in view
