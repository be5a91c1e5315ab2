"""Competition write operations: the division seed data, teams and contestant codes, and starting a
match's round with questions drawn from the bank."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext

from competition.engine.roster import DivisionEntry, Lookup
from competition.matches import MatchError, match_start
from competition.models import Competition, District, Division, Match, Registration, Team
from questionbank.draws import draw_questions
from questionbank.engine.draws import DrawError, SpecError
from quiz.services.errors import QuizError

DIVISIONS_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "divisions.json"

# Codes are read aloud and typed on phones: no 0/O, no 1/I.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 6  # a division letter + 5 random characters: 32**5 = 33 million codes per division
CODE_PREFIXES = {"beijing": "B", "tianjin": "T", "hebei": "H"}


@cache
def divisions_fixture() -> list[dict]:
    return json.loads(DIVISIONS_FIXTURE.read_text(encoding="utf-8"))["divisions"]


@transaction.atomic
def divisions_seed(competition: Competition) -> list[Division]:
    """Create (or bring up to date) the three divisions and their districts from the fixture.
    Idempotent: a second run changes nothing; districts added by hand are kept."""
    divisions = []
    for order, entry in enumerate(divisions_fixture()):
        division, created = Division.objects.get_or_create(
            competition=competition, code=entry["code"], defaults={"name": entry["name"], "order": order}
        )
        if not created and (division.name, division.order) != (entry["name"], order):
            division.name, division.order = entry["name"], order
            division.save(update_fields=["name", "order"])
        for number, district in enumerate(entry["districts"], start=1):
            obj, created = District.objects.get_or_create(
                division=division, name=district["name"], defaults={"order": number}
            )
            if not created and obj.order != number:
                obj.order = number
                obj.save(update_fields=["order"])
        divisions.append(division)
    return divisions


def division_lookup(competition: Competition) -> Lookup:
    """The competition's divisions and districts as the roster parser resolves them: Chinese and
    English names from the fixture (北京, 北京市, Beijing; 东城区, 东城, Dongcheng District)."""
    fixture = {entry["code"]: entry for entry in divisions_fixture()}
    entries = []
    for division in competition.divisions.prefetch_related("districts"):
        seed = fixture.get(division.code, {})
        english = {d["name"]: d.get("name_en", "") for d in seed.get("districts", [])}
        aliases = tuple(
            a for a in (seed.get("name", ""), seed.get("name_en", ""), *seed.get("aliases", ())) if a
        )
        districts = tuple(
            (d.name, tuple(a for a in (english.get(d.name, ""),) if a)) for d in division.districts.all()
        )
        entries.append(
            DivisionEntry(code=division.code, name=division.name, aliases=aliases, districts=districts)
        )
    return Lookup(entries)


def registration_code_generate(
    competition: Competition, division: Division | None = None, taken: set[str] | None = None
) -> str:
    """A new contestant code, unique in the competition: the division's letter (B, T, H) and five
    characters without 0/O/1/I, e.g. ``B7KQ2M``. ``taken`` holds codes reserved by the caller (a batch
    not yet saved); the new code is added to it."""
    prefix = CODE_PREFIXES.get(division.code if division else "", "")
    if division and not prefix:
        first = division.code[:1].upper()
        prefix = first if first in CODE_ALPHABET else "X"
    taken = taken if taken is not None else set()
    for _ in range(100):
        code = prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH - len(prefix)))
        if code in taken or Registration.objects.filter(competition=competition, code=code).exists():
            continue
        taken.add(code)
        return code
    raise RuntimeError("could not find a free contestant code")  # pragma: no cover


@transaction.atomic
def team_create(
    *,
    competition: Competition,
    division: Division,
    name: str,
    district: District | None = None,
    members: Iterable[str] = (),
    substitutes: Iterable[str] = (),
    captain: str | None = None,
    seed: int | None = None,
) -> Team:
    """A team with its contestants, each with a new code. ``captain`` names one of the members."""
    if division.competition_id != competition.id:
        raise ValueError(f"{division} is not a division of {competition}")
    if district is not None and district.division_id != division.id:
        raise ValueError(f"{district} is not in {division}")
    members, substitutes = list(members), list(substitutes)
    if captain is not None and captain not in members:
        raise ValueError(f"the captain {captain} must be one of the members")
    team = Team.objects.create(
        competition=competition, division=division, district=district, name=name, seed=seed
    )
    taken: set[str] = set()
    for person, role in [(m, Registration.Role.MEMBER) for m in members] + [
        (s, Registration.Role.SUBSTITUTE) for s in substitutes
    ]:
        registration = Registration.objects.create(
            competition=competition,
            team=team,
            name=person,
            role=role,
            code=registration_code_generate(competition, division, taken),
        )
        if person == captain:
            team.captain = registration
    if team.captain_id:
        team.save(update_fields=["captain"])
    return team


def match_round_start(*, match: Match, count: int):
    """Start a ready match's live round with ``count`` questions from the bank: approved, playable,
    zh-hans, not yet shown in this stage, seeded by the match so that a retry draws the same. Raises
    ``MatchError`` (``draw_failed`` when the bank has too few, or the round service's refusal)."""
    stage = match.bracket.stage
    try:
        questions = draw_questions(
            {"count": count, "language": "zh-hans", "order": "random"},
            stage.competition,
            stage.name,
            f"{stage.pk}:{match.bracket_id}:{match.code}",
        )
    except (SpecError, DrawError) as exc:
        raise MatchError("draw_failed", str(exc)) from exc
    if len(questions) < count:
        raise MatchError(
            "draw_failed", gettext("Only %(n)s questions are left for this stage.") % {"n": len(questions)}
        )
    try:
        return match_start(match=match, questions=questions)
    except QuizError as exc:
        raise MatchError(exc.code, str(exc)) from exc
