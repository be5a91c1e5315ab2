"""What the official exports contain, as plain titled tables of values (no file format here).

A match's result sheet is rebuilt from the record (the round's frozen questions and append-only
answers, scored again with the round's rule over the counted questions, like
``competition.matches.team_results``), plus the stored match result, the corrections (who, when, why)
and the substitutions. A stage's standings are its brackets' group tables, final rankings and
matches; the leaderboards are the four boards of ``competition.leaderboards``, whole.
The renderers (``xlsx``, ``pdf``) lay these tables out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from competition import engine, leaderboards
from competition.engine.rules import match_order, places
from competition.matches import bracket_view
from competition.models import Competition, Match, Registration, Stage, Team
from quiz import selectors
from quiz.engine.rounds import counted_questions
from quiz.finals.models import FinalScoreEvent
from quiz.models import Answer, Contestant, RoundQuestion


def _when(value) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Section:
    title: str
    header: list[str]
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class Sheet:
    title: str
    facts: list[tuple[str, Any]]
    sections: list[Section]


def _scores(match: Match) -> tuple[list, list, dict, dict]:
    """(questions, contestants, outcomes by contestant, answers by (contestant, position))."""
    round_ = match.round
    if round_ is None:
        return [], [], {}, {}
    questions = list(RoundQuestion.objects.filter(round=round_).order_by("position"))
    counted = {q.index for q in counted_questions(selectors.round_state(round_, questions))}
    contestants = list(
        Contestant.objects.filter(round=round_)
        .select_related("team", "registration")
        .order_by("team__name", "nickname")
    )
    members = {c.id for c in contestants if c.kicked_at is None and c.team_id is not None}
    scores = selectors.round_scores(round_, members)
    answers = list(Answer.objects.filter(round=round_).select_related("question"))
    by_answer = {(a.contestant_id, a.question.position): a for a in answers}
    for q in questions:
        q.counted = q.position in counted
    return questions, contestants, scores, by_answer


def sheet_data(match: Match) -> Sheet:
    """Everything on the official result sheet of ``match``, as titled tables."""
    match = Match.objects.select_related("bracket__stage__competition", "round").get(pk=match.pk)
    stage = match.bracket.stage
    teams = {t.id: t for t in Team.objects.filter(pk__in=match.teams).select_related("division", "district")}
    view = bracket_view(match.bracket)
    engine_match = view.bracket.matches.get(match.code)
    result = match.result or {}
    stored = result.get("scores", {})
    place: dict[int, int] = {}
    if engine_match is not None and engine_match.result is not None:
        tie_breaks = view.bracket.options.get("match_tie_breaks", ("correct_time",))
        place = places(match_order(list(engine_match.result.scores), engine_match.result, tie_breaks))
    round_ = match.round
    facts = [
        ("比赛 / Competition", stage.competition.name),
        ("阶段 / Stage", stage.name),
        ("赛区 / Bracket", match.bracket.name),
        ("场次 / Match", match.code),
        ("轮次 / Round", round_.title if round_ else "—"),
        ("PIN", round_.pin if round_ else "—"),
        ("比赛时间 / Played at", _when(match.played_at) or "—"),
        (
            "复核 / Needs review",
            "是 / yes"
            if match.code in view.unfit or (engine_match and engine_match.needs_review)
            else "否 / no",
        ),
        ("导出时间 / Exported at", _when(timezone.now())),
    ]
    team_rows = Section(
        "队伍 / Teams",
        [
            "队伍 / Team",
            "赛区 / Division",
            "区 / District",
            "得分 / Score",
            "答对用时 ms / Correct time",
            "名次 / Place",
        ],
    )
    for tid in match.teams:
        team = teams.get(tid)
        s = stored.get(str(tid), {})
        team_rows.rows.append(
            [
                team.name if team else f"#{tid}",
                team.division.name if team else "",
                team.district.name if team and team.district else "",
                s.get("score", ""),
                s.get("correct_time_ms", ""),
                place.get(tid, ""),
            ]
        )
    if result.get("sudden_death"):
        order = " > ".join(teams[t].name if t in teams else f"#{t}" for t in result["sudden_death"])
        facts.append(("加赛顺序 / Sudden death", order))

    questions, contestants, scores, by_answer = _scores(match)
    members = Section(
        "队员 / Members", ["队伍 / Team", "姓名 / Name", "编号 / Code", "身份 / Role", "状态 / Status"]
    )
    if contestants:
        for c in contestants:
            reg = c.registration
            members.rows.append(
                [
                    c.team.name if c.team else "",
                    c.nickname,
                    reg.code if reg else "",
                    reg.get_role_display() if reg else "",
                    "已移出 / removed" if c.kicked_at else "",
                ]
            )
    else:
        for reg in (
            Registration.objects.filter(team_id__in=match.teams)
            .select_related("team")
            .order_by("team__name", "role", "name")
        ):
            members.rows.append(
                [reg.team.name, reg.name, reg.code, reg.get_role_display(), "未入场 / not joined"]
            )

    qcols = [f"Q{q.position + 1}" for q in questions]
    points = Section(
        "每题得分 / Points per question",
        [
            "队伍 / Team",
            "姓名 / Name",
            *qcols,
            "总分 / Total",
            "扣分 / Penalties",
            "答对 / Correct",
            "答对用时 ms",
        ],
    )
    team_totals: dict[str, int] = {}
    for c in contestants:
        sc = scores.get(c.id)
        row: list[Any] = [c.team.name if c.team else "", c.nickname]
        penalties = 0
        for q in questions:
            if not q.counted:
                row.append("作废 / void" if q.voided else "—")
                continue
            outcome = sc.outcomes.get(q.position) if sc else None
            if outcome is None:
                row.append("")
                continue
            row.append(outcome.points)
            if outcome.points < 0:
                penalties += outcome.points
        row += [sc.points if sc else 0, penalties, sc.correct if sc else 0, sc.correct_time_ms if sc else 0]
        points.rows.append(row)
        if c.team and sc and c.kicked_at is None:
            team_totals[c.team.name] = team_totals.get(c.team.name, 0) + sc.points
    for name, total in team_totals.items():
        points.rows.append([name, "合计 / sum", *[""] * len(questions), total, "", "", ""])

    qsec = Section(
        "题目与时间 / Questions and times",
        ["题 / Q", "题干 / Question", "正确 / Key", "开始 / Opened", "截止 / Closed", "计分 / Counted"],
    )
    for q in questions:
        key = ", ".join(str(q.choices[i]) for i in q.correct if isinstance(i, int) and i < len(q.choices))
        status = (
            "是 / yes"
            if q.counted
            else ("作废 / void" if q.voided else ("跳过 / skipped" if q.skipped else "否 / no"))
        )
        qsec.rows.append(
            [f"Q{q.position + 1}", q.stem[:80], key, _when(q.opened_at), _when(q.closed_at), status]
        )

    answers = Section(
        "作答记录 / Answers",
        [
            "姓名 / Name",
            "题 / Q",
            "选择 / Choice",
            "对错 / Right",
            "得分 / Points",
            "用时 ms / Elapsed",
            "收到 / Received",
        ],
    )
    by_id = {c.id: c for c in contestants}
    qs_by_pos = {q.position: q for q in questions}
    for (cid, pos), a in sorted(
        by_answer.items(), key=lambda kv: (kv[0][1], by_id[kv[0][0]].nickname if kv[0][0] in by_id else "")
    ):
        c = by_id.get(cid)
        q = qs_by_pos.get(pos)
        outcome = scores.get(cid).outcomes.get(pos) if scores.get(cid) else None
        choice = ", ".join(
            str(q.choices[i]) for i in a.choices if q and isinstance(i, int) and i < len(q.choices)
        )
        answers.rows.append(
            [
                c.nickname if c else cid,
                f"Q{pos + 1}",
                choice,
                ("✓" if outcome.correct else "✗") if outcome else "",
                outcome.points if outcome else "",
                a.elapsed_ms,
                _when(a.received_at),
            ]
        )

    corrections = Section(
        "成绩更正 / Corrections",
        [
            "时间 / At",
            "操作人 / By",
            "原因 / Reason",
            "更正前 / Before",
            "更正后 / After",
            "受影响 / Affected",
        ],
    )

    def describe(data) -> str:
        if not data:
            return "—"
        parts = []
        for tid, s in data.get("scores", {}).items():
            name = teams[int(tid)].name if int(tid) in teams else f"#{tid}"
            parts.append(f"{name} {s.get('score')} ({s.get('correct_time_ms', 0)} ms)")
        if data.get("sudden_death"):
            parts.append(
                "SD: " + " > ".join(str(teams[t].name if t in teams else t) for t in data["sudden_death"])
            )
        return "; ".join(parts)

    for c in match.corrections.select_related("actor"):
        corrections.rows.append(
            [
                _when(c.at),
                str(c.actor or "—"),
                c.reason,
                describe(c.before),
                describe(c.after),
                ", ".join(c.affected),
            ]
        )
    subs = Section(
        "换人 / Substitutions",
        ["时间 / At", "队伍 / Team", "下场 / Out", "上场 / In", "操作人 / By", "原因 / Reason"],
    )
    for s in match.substitutions.select_related("team", "player_out", "player_in", "actor"):
        subs.rows.append(
            [_when(s.at), s.team.name, s.player_out.name, s.player_in.name, str(s.actor or "—"), s.reason]
        )
    title = f"{stage.competition.name} · {stage.name} · {match.bracket.name} · {match.code}"
    sections = [team_rows, members, points, qsec, answers, corrections, subs]
    if round_ is not None:
        sections.insert(1, _score_events(round_))
    return Sheet(title, facts, [s for s in sections if s is not None])


def _score_events(round_) -> Section | None:
    """A stage final's every score event (undos and rulings included), in the order they were logged."""
    rows = FinalScoreEvent.objects.filter(final__round=round_).select_related("team").order_by("seq")
    if not rows.exists():
        return None
    section = Section(
        "计分记录 / Score events",
        [
            "# / Seq",
            "时间 / At",
            "队伍 / Team",
            "分数 / Points",
            "原因 / Reason",
            "环节 / Segment",
            "题 / Q",
            "操作人 / By",
            "撤销 / Undoes",
            "说明 / Note",
            "规则版本 / Rules",
        ],
    )
    for e in rows:
        section.rows.append(
            [
                e.seq,
                _when(e.at),
                e.team.name,
                float(e.points),
                e.reason,
                "" if e.segment is None else ("加赛" if e.segment < 0 else e.segment + 1),
                "" if e.question is None else e.question + 1,
                e.actor,
                e.undoes or "",
                e.note,
                e.rule_version,
            ]
        )
    return section


def standings_data(stage: Stage) -> list[tuple[str, Section]]:
    """Per bracket: group standings (round robin) and the final ranking (or the ranking so far)."""
    names = dict(Team.objects.filter(competition=stage.competition).values_list("id", "name"))
    out = []
    for bracket in stage.brackets.all():
        view = bracket_view(bracket)
        state = view.bracket
        table = engine.standings(state) if state.groups else None
        for group, rows in table.groups.items() if table else ():
            section = Section(
                f"{bracket.name} · {group} 组 / Group {group}" + (" ✓" if table.complete.get(group) else ""),
                [
                    "名次 / Rank",
                    "队伍 / Team",
                    "赛 / P",
                    "胜 / W",
                    "平 / D",
                    "负 / L",
                    "积分 / Points",
                    "得分 / For",
                    "失分 / Against",
                    "答对用时 ms",
                ],
            )
            for r in rows:
                section.rows.append(
                    [
                        r.rank,
                        names.get(r.team, f"#{r.team}"),
                        r.played,
                        r.won,
                        r.drawn,
                        r.lost,
                        r.points,
                        r.score_for,
                        r.score_against,
                        r.correct_time_ms,
                    ]
                )
            out.append((bracket.name, section))
        finished = engine.is_finished(state)
        ranking = Section(
            f"{bracket.name} · 最终名次 / Final ranking" + ("" if finished else " (未完赛 / in progress)"),
            ["名次 / Place", "队伍 / Team"],
        )
        if finished:
            ranking.rows = [[p.place, names.get(p.team, f"#{p.team}")] for p in engine.final_ranking(state)]
        matches = Section(
            f"{bracket.name} · 场次 / Matches",
            ["场次 / Match", "队伍与得分 / Teams and scores", "状态 / Status"],
        )
        for code, m in state.matches.items():
            teams = " vs ".join(
                (names.get(t, f"#{t}") if t is not None else "待定")
                + (f" {m.result.scores[t].score}" if m.result is not None and t in m.result.scores else "")
                for t in m.participants
            )
            status = (
                "复核"
                if code in view.unfit or m.needs_review
                else ("已赛" if m.result else ("无需" if m.skipped else ("待赛" if m.ready else "待定")))
            )
            matches.rows.append([code, teams, status])
        out += [(bracket.name, ranking), (bracket.name, matches)]
    return out


BOARD_HEAD = ["名次 / Rank", "得分 / Score", "答对题数 / Correct", "答对用时 ms / Correct time ms"]
GROUP_HEAD = [
    "队均得分 / Mean team score",
    "队伍数 / Teams",
    "报名人数 / Registered",
    "参赛人数 / Played",
    "参与率 / Participation",
]


def leaderboard_sections(competition: Competition, stage: Stage | None) -> list[tuple[str, Section]]:
    """The four boards of a stage (or cumulative, ``stage=None``), whole, as (sheet name, section):
    contestants, teams, divisions and districts (``competition.leaderboards``)."""

    def board(title: str, name: str, detail: str, rows) -> Section:
        rank, *figures = BOARD_HEAD
        return Section(
            title,
            [rank, name, detail, *figures],
            [[r.rank, r.name, r.detail, r.points, r.correct, r.correct_time_ms] for r in rows],
        )

    def groups(title: str, name: str, rows) -> Section:
        return Section(
            title,
            ["名次 / Rank", name, *GROUP_HEAD],
            [
                [r.rank, r.name, r.mean_team_points, r.teams, r.registered, r.played, r.participation]
                for r in rows
            ],
        )

    return [
        (
            "个人 Individual",
            board(
                "个人排行 / Individual",
                "姓名 / Name",
                "队伍 / Team",
                leaderboards.individual_board(competition, stage),
            ),
        ),
        (
            "队伍 Teams",
            board(
                "队伍排行 / Teams",
                "队伍 / Team",
                "赛区 / Division",
                leaderboards.team_board(competition, stage),
            ),
        ),
        (
            "赛区 Divisions",
            groups(
                "赛区排名 / Divisions", "赛区 / Division", leaderboards.division_board(competition, stage)
            ),
        ),
        (
            "区县 Districts",
            groups(
                "区县排名 / Districts",
                "区县 / District",
                leaderboards.division_board(competition, stage, by="district"),
            ),
        ),
    ]
