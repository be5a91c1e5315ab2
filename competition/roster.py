"""Roster import: preview a file against the competition, then commit it all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from competition.engine import roster as engine
from competition.models import Competition, Registration, Team
from competition.services import division_lookup, registration_code_generate


class RosterInvalid(Exception):
    """The roster cannot be committed; ``preview`` holds the file error or the invalid rows."""

    def __init__(self, preview: RosterPreview):
        self.preview = preview
        super().__init__("; ".join(preview.reasons()) or "the roster is invalid")


@dataclass
class RosterPreview:
    competition: Competition
    filename: str
    data: bytes = field(repr=False)
    parse: engine.RosterParse
    removed: list[Registration] = field(default_factory=list)  # on a listed team, but not in the file

    @property
    def ok(self) -> bool:
        return self.parse.ok

    @property
    def rows(self) -> list[engine.RowResult]:
        return self.parse.rows

    @property
    def file_error(self) -> engine.FileError | None:
        return self.parse.file_error

    def reasons(self) -> list[str]:
        if self.parse.file_error:
            return [self.parse.file_error.reason]
        if not self.parse.rows:
            return ["the file lists no contestants"]
        return [f"row {r.row}, {e.column}: {e.reason}" for r in self.parse.invalid for e in r.errors]


@dataclass(frozen=True)
class RosterResult:
    teams_created: int
    teams_updated: int
    registrations_created: int
    registrations_updated: int
    registrations_removed: int
    codes: dict[int, str]  # row number → the contestant's code (generated ones included)


def _existing(competition: Competition) -> engine.Existing:
    rows = Registration.objects.filter(competition=competition).values_list("code", "team__name", "name")
    return engine.Existing(codes={code: (team or "", name) for code, team, name in rows})


def roster_preview(competition: Competition, data: bytes, filename: str) -> RosterPreview:
    """Read and check ``data`` against the competition; writes nothing."""
    parse = engine.parse_roster(data, filename, division_lookup(competition), _existing(competition))
    preview = RosterPreview(competition=competition, filename=filename, data=data, parse=parse)
    if parse.ok:
        listed = {engine.norm(r.data.team) for r in parse.rows}
        kept = {r.data.code for r in parse.rows if r.data.code} | {
            (engine.norm(r.data.team), engine.norm(r.data.name)) for r in parse.rows
        }
        for registration in Registration.objects.filter(
            competition=competition, team__isnull=False
        ).select_related("team"):
            team = engine.norm(registration.team.name)
            if (
                team in listed
                and registration.code not in kept
                and (team, engine.norm(registration.name)) not in kept
            ):
                preview.removed.append(registration)
    return preview


def roster_commit(preview: RosterPreview) -> RosterResult:
    """Write the roster in one transaction. The file is checked again inside the transaction (the
    database may have changed since the preview); any invalid row raises ``RosterInvalid`` and
    nothing is written. Contestants of a listed team who are not in the file leave the team (their
    registration and code are kept)."""
    competition = preview.competition
    with transaction.atomic():
        Competition.objects.select_for_update().filter(pk=competition.pk).first()  # one import at a time
        fresh = roster_preview(competition, preview.data, preview.filename)
        if not fresh.ok:
            raise RosterInvalid(fresh)
        return _write(fresh)


def _write(preview: RosterPreview) -> RosterResult:
    competition = preview.competition
    divisions = {d.code: d for d in competition.divisions.prefetch_related("districts")}
    teams = {engine.norm(t.name): t for t in Team.objects.filter(competition=competition)}
    registrations = {
        r.code: r for r in Registration.objects.filter(competition=competition).select_related("team")
    }
    by_person = {
        (engine.norm(r.team.name), engine.norm(r.name)): r
        for r in registrations.values()
        if r.team is not None
    }
    counts = dict.fromkeys(("tc", "tu", "rc", "ru"), 0)
    codes: dict[int, str] = {}
    taken = {r.data.code for r in preview.rows if r.data.code}  # generated codes must not clash
    captains: dict[int, Registration | None] = {}

    for registration in preview.removed:
        registration.team = None
        registration.save(update_fields=["team"])

    for result in preview.rows:
        row = result.data
        division = divisions[row.division]
        district = next(d for d in division.districts.all() if d.name == row.district)
        team = teams.get(engine.norm(row.team))
        if team is None:
            team = Team.objects.create(
                competition=competition, division=division, district=district, name=row.team
            )
            teams[engine.norm(row.team)] = team
            counts["tc"] += 1
        elif team.id not in captains and (team.division_id, team.district_id) != (division.id, district.id):
            team.division, team.district = division, district
            team.save(update_fields=["division", "district"])
            counts["tu"] += 1
        captains.setdefault(team.id, None)

        registration = registrations.get(row.code) if row.code else None
        registration = registration or by_person.get((engine.norm(row.team), engine.norm(row.name)))
        if registration is None:
            registration = Registration(competition=competition)
            counts["rc"] += 1
        else:
            counts["ru"] += 1
        registration.team, registration.name, registration.role = team, row.name, row.role
        registration.code = (
            row.code or registration.code or registration_code_generate(competition, division, taken)
        )
        registration.save()
        codes[result.row] = registration.code
        if row.captain:
            captains[team.id] = registration

    for team in teams.values():
        if team.id in captains and team.captain_id != (captains[team.id].id if captains[team.id] else None):
            team.captain = captains[team.id]
            team.save(update_fields=["captain"])
    return RosterResult(
        teams_created=counts["tc"],
        teams_updated=counts["tu"],
        registrations_created=counts["rc"],
        registrations_updated=counts["ru"],
        registrations_removed=len(preview.removed),
        codes=codes,
    )
