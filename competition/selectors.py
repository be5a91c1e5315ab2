"""Reads for the competition pages: a stage's brackets as the stage page and its projector show them
(SVG, group tables, final ranking, matches with their players and record)."""

from __future__ import annotations

from competition import engine, svg
from competition.matches import bracket_view
from competition.models import Competition, Registration, Stage, Team


def team_names(competition: Competition) -> dict[int, str]:
    return dict(Team.objects.filter(competition=competition).values_list("id", "name"))


def stage_brackets(stage: Stage, *, detail: bool) -> list[dict]:
    """Each bracket of the stage with its SVG, standings and (for the host page) its matches."""
    names = team_names(stage.competition)
    out = []
    for bracket in stage.brackets.all():
        view = bracket_view(bracket)
        state = view.bracket
        item = {
            "bracket": bracket,
            "svg": svg.render(state, names, set(view.unfit)),
            "unfit": view.unfit,
            "finished": engine.is_finished(state),
        }
        if detail:
            table = engine.standings(state) if state.groups else None
            item["groups"] = (
                []
                if table is None
                else [
                    {
                        "name": group,
                        "complete": table.complete.get(group, False),
                        "rows": [(row, names.get(row.team, f"#{row.team}")) for row in rows],
                    }
                    for group, rows in table.groups.items()
                ]
            )
            item["sudden_death"] = [
                (sd.group, sd.place, [names.get(t, f"#{t}") for t in sd.teams])
                for sd in (table.sudden_death if table else ())
            ]
            item["ranking"] = (
                [(p.place, names.get(p.team, f"#{p.team}")) for p in engine.final_ranking(state)]
                if item["finished"]
                else []
            )
            item["matches"] = match_rows(stage, view, names)
        out.append(item)
    return out


def match_rows(stage: Stage, view, names: dict[int, str]) -> list[dict]:
    """The matches of a bracket as the stage page lists them: teams with scores and players, what may
    be done, the corrections and substitutions."""
    rows = []
    regs = {}
    team_ids = {t for row in view.rows.values() for t in row.teams}
    for reg in Registration.objects.filter(team_id__in=team_ids).order_by("team_id", "role", "name"):
        regs.setdefault(reg.team_id, []).append(reg)
    for code, m in view.bracket.matches.items():
        row = view.rows.get(code)
        if row is None:
            continue
        status = svg.status_of(m, set(view.unfit))
        teams = [t for t in m.participants if t is not None]
        stored = (row.result or {}).get("scores", {})
        rows.append(
            {
                "row": row,
                "engine": m,
                "status": status,
                "status_label": svg.STATUS[status],
                "teams": [
                    {
                        "id": t,
                        "name": names.get(t, f"#{t}"),
                        "score": stored.get(str(t), {}).get("score", ""),
                        "time": stored.get(str(t), {}).get("correct_time_ms", ""),
                        "sd": (
                            (row.result or {}).get("sudden_death", []).index(t) + 1
                            if t in (row.result or {}).get("sudden_death", [])
                            else ""
                        ),
                        "members": [r for r in regs.get(t, []) if r.role != Registration.Role.SUBSTITUTE],
                        "substitutes": [r for r in regs.get(t, []) if r.role == Registration.Role.SUBSTITUTE],
                    }
                    for t in teams
                ],
                "can_start": row.round_id is None and m.ready and m.result is None,
                "can_correct": m.ready or row.result is not None,
                "corrections": list(row.corrections.select_related("actor")),
                "substitutions": list(
                    row.substitutions.select_related("player_out", "player_in", "team", "actor")
                ),
            }
        )
    return rows
