"""Roster files (XLSX or CSV) into checked rows. Pure: no Django, no database.

``parse_roster(data, filename, lookup)`` reads the bytes and returns a ``RosterParse``: a ``RowResult``
per data row (``new``, ``update`` or ``invalid`` with the column and the reason) or a ``FileError`` when
the file itself cannot be read (not a spreadsheet, an unknown encoding, missing columns).

Columns (header names in Chinese or English, any order, extra columns ignored):
division, district, team, name, role; optional phone and code. Roles: 队员/member, 替补/substitute,
队长/captain (the captain is one of the members). A file lists the whole roster of each team it names.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

NEW, UPDATE, INVALID = "new", "update", "invalid"
MEMBER, SUBSTITUTE, CAPTAIN = "member", "substitute", "captain"

COLUMNS: dict[str, tuple[str, ...]] = {
    "division": ("division", "赛区", "省市", "省/市", "省份"),
    "district": ("district", "city", "district/city", "区县", "区", "地市", "城市", "区/市"),
    "team": ("team", "队名", "队伍", "团队", "代表队"),
    "name": ("name", "姓名", "名字", "选手"),
    "role": ("role", "角色", "身份"),
    "phone": ("phone", "mobile", "电话", "手机", "手机号"),
    "code": ("code", "join code", "参赛码", "编码", "代码"),
}
REQUIRED = ("division", "district", "team", "name", "role")
ROLES = {
    "队员": MEMBER,
    "成员": MEMBER,
    "member": MEMBER,
    "替补": SUBSTITUTE,
    "替补队员": SUBSTITUTE,
    "substitute": SUBSTITUTE,
    "sub": SUBSTITUTE,
    "队长": CAPTAIN,
    "captain": CAPTAIN,
}
CODE_RE = re.compile(r"^[A-Z0-9]{4,12}$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")
MAX_ROWS = 5000
MAX_TEAM = 100  # Team.name max_length
MAX_NAME = 50  # Registration.name max_length


def norm(text: str) -> str:
    """Compare names loosely: full-width to half-width, case, and runs of spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass(frozen=True)
class FileError:
    """The file as a whole cannot be read; no row was looked at."""

    reason: str


@dataclass(frozen=True)
class RowError:
    column: str
    reason: str


@dataclass(frozen=True)
class RosterRow:
    division: str  # the division code, e.g. "beijing"
    district: str  # the district's canonical (Chinese) name
    team: str
    name: str
    role: str  # MEMBER or SUBSTITUTE
    captain: bool
    phone: str
    code: str  # "" when it is to be generated


@dataclass
class RowResult:
    row: int  # the spreadsheet row number (the header is row 1 when it is the first line)
    status: str  # NEW, UPDATE or INVALID
    data: RosterRow | None = None
    errors: list[RowError] = field(default_factory=list)
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def column(self) -> str:
        return self.errors[0].column if self.errors else ""

    @property
    def reason(self) -> str:
        return "; ".join(e.reason for e in self.errors)


@dataclass
class RosterParse:
    rows: list[RowResult] = field(default_factory=list)
    file_error: FileError | None = None

    @property
    def ok(self) -> bool:
        return self.file_error is None and bool(self.rows) and not self.invalid

    @property
    def invalid(self) -> list[RowResult]:
        return [r for r in self.rows if r.status == INVALID]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)


@dataclass(frozen=True)
class DivisionEntry:
    code: str
    name: str
    aliases: tuple[str, ...] = ()
    districts: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (canonical name, aliases)


def _name_variants(name: str) -> set[str]:
    """东城区 → 东城; 石家庄市 → 石家庄; 滨海新区 → 滨海; "Dongcheng District" → "Dongcheng"."""
    out = {name}
    for suffix in ("新区", "区", "市", "省", " District", " New Area", " City", " Province", " Municipality"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            out.add(name[: -len(suffix)])
    return out


class Lookup:
    """Resolves the division and district cells against the competition's divisions."""

    def __init__(self, divisions: Iterable[DivisionEntry]):
        self._divisions: dict[str, str] = {}
        self._districts: dict[str, dict[str, str]] = {}
        self.names: dict[str, str] = {}
        for division in divisions:
            self.names[division.code] = division.name
            for alias in (division.code, division.name, *division.aliases):
                for variant in _name_variants(alias):
                    self._divisions.setdefault(norm(variant), division.code)
            table = self._districts.setdefault(division.code, {})
            for district, aliases in division.districts:
                for alias in (district, *aliases):
                    for variant in _name_variants(alias):
                        table.setdefault(norm(variant), district)

    def division(self, text: str) -> str | None:
        return self._divisions.get(norm(text))

    def district(self, division: str, text: str) -> str | None:
        return self._districts.get(division, {}).get(norm(text))

    def districts_of(self, division: str) -> list[str]:
        return list(dict.fromkeys(self._districts.get(division, {}).values()))


@dataclass(frozen=True)
class Existing:
    """What the competition already has: code → (team, name) and (team, name) → code."""

    codes: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def by_person(self) -> dict[tuple[str, str], str]:
        return {(norm(team), norm(name)): code for code, (team, name) in self.codes.items()}


# Reading ------------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed into Excel comes back as 13800138000.0
    return str(value).strip()


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError


def _read_csv(data: bytes) -> Iterator[tuple[int, list[str]]] | FileError:
    try:
        text = _decode(data)
    except (ValueError, UnicodeDecodeError):
        return FileError("the CSV file is neither UTF-8 nor GBK text; save it as CSV UTF-8")
    if "\x00" in text:
        return FileError("this is not a CSV text file; upload an .xlsx or a .csv file")
    first = next((line for line in text.splitlines() if line.strip(" ,;\t")), "")
    delimiter = max(",;\t", key=first.count)  # Excel in some locales writes ";"; TSV uses tabs
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return ((n, [_cell(c) for c in line]) for n, line in enumerate(reader, start=1))


def _read_xlsx(data: bytes) -> Iterator[tuple[int, list[str]]] | FileError:
    import openpyxl  # only needed for XLSX
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        return FileError("the file is not a readable XLSX workbook; save it again as .xlsx or .csv")
    sheet = next((book[n] for n in book.sheetnames if norm(n) in ("roster", "名单")), book.worksheets[0])
    rows = [
        (n, [_cell(c) for c in line]) for n, line in enumerate(sheet.iter_rows(values_only=True), start=1)
    ]
    book.close()
    return iter(rows)


def _read(data: bytes, filename: str) -> Iterator[tuple[int, list[str]]] | FileError:
    name = filename.lower()
    if not data.strip():
        return FileError("the file is empty")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return FileError("old Excel 97-2003 (.xls) files are not read; save it as .xlsx or .csv")
    if data.startswith(b"PK\x03\x04") or name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data)
    if name.endswith((".csv", ".txt", ".tsv")) or not name.rpartition(".")[1]:
        return _read_csv(data)
    return FileError(f"unsupported file type {filename!r}; upload an .xlsx or a .csv file")


def _header(cells: list[str]) -> dict[str, int] | FileError:
    known = {norm(alias): column for column, aliases in COLUMNS.items() for alias in aliases}
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        column = known.get(norm(cell))
        if column is None:
            continue
        if column in found:
            return FileError(f"the column {column!r} appears twice in the header ({cell!r})")
        found[column] = index
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        hint = "; ".join(f"{c}: {' / '.join(COLUMNS[c][:2])}" for c in missing)
        return FileError(f"missing columns: {', '.join(missing)} (header names accepted: {hint})")
    return found


# Checking -----------------------------------------------------------------------------------------


def parse_roster(
    data: bytes,
    filename: str,
    lookup: Lookup,
    existing: Existing | None = None,
    *,
    members: int = 3,
    substitutes: tuple[int, int] = (0, 2),
    max_rows: int = MAX_ROWS,
) -> RosterParse:
    """Read and check a roster file. ``members`` is the exact number of members (captain included) a
    team must list; ``substitutes`` is the (min, max) number of substitutes."""
    lines = _read(data, filename)
    if isinstance(lines, FileError):
        return RosterParse(file_error=lines)
    lines = [(n, cells) for n, cells in lines if any(cells)]
    if not lines:
        return RosterParse(file_error=FileError("the file has no header row and no data"))
    _, header_cells = lines[0]
    header = _header(header_cells)
    if isinstance(header, FileError):
        return RosterParse(file_error=header)
    body = lines[1:]
    if not body:
        return RosterParse(file_error=FileError("the file has a header but no contestants"))
    if len(body) > max_rows:
        return RosterParse(file_error=FileError(f"too many rows: {len(body)} (at most {max_rows})"))

    existing = existing or Existing()
    results = [_check_row(n, cells, header, lookup) for n, cells in body]
    _check_codes(results, existing)
    _check_teams(results, members=members, substitutes=substitutes)
    people = existing.by_person()
    for result in results:
        if result.errors:
            result.status = INVALID
            continue
        row = result.data
        known = (row.code and row.code in existing.codes) or (norm(row.team), norm(row.name)) in people
        result.status = UPDATE if known else NEW
    return RosterParse(rows=results)


def _check_row(number: int, cells: list[str], header: dict[str, int], lookup: Lookup) -> RowResult:
    raw = {column: (cells[i] if i < len(cells) else "") for column, i in header.items()}
    result = RowResult(row=number, status=INVALID, raw=raw)
    error = result.errors.append

    for column in REQUIRED:
        if not raw[column]:
            error(RowError(column, f"{column} is empty"))
    division = district = None
    if raw["division"]:
        division = lookup.division(raw["division"])
        if division is None:
            known = ", ".join(lookup.names.values())
            error(RowError("division", f"unknown division {raw['division']!r} (known: {known})"))
    if division and raw["district"]:
        district = lookup.district(division, raw["district"])
        if district is None:
            error(
                RowError(
                    "district",
                    f"unknown district {raw['district']!r} in {lookup.names[division]} "
                    f"(known: {', '.join(lookup.districts_of(division))})",
                )
            )
    role = ROLES.get(norm(raw["role"])) if raw["role"] else None
    if raw["role"] and role is None:
        error(RowError("role", f"unknown role {raw['role']!r} (队员/member, 替补/substitute, 队长/captain)"))
    team = " ".join(raw["team"].split())
    name = " ".join(raw["name"].split())
    if len(team) > MAX_TEAM:
        error(RowError("team", f"the team name is longer than {MAX_TEAM} characters"))
    if len(name) > MAX_NAME:
        error(RowError("name", f"the name is longer than {MAX_NAME} characters"))
    phone = raw.get("phone", "")
    if phone and not PHONE_RE.match(phone):
        error(RowError("phone", f"{phone!r} is not a phone number"))
    code = unicodedata.normalize("NFKC", raw.get("code", "")).strip().upper()
    if code and not CODE_RE.match(code):
        error(RowError("code", f"{raw['code']!r} is not a code (4-12 letters and digits)"))
    if not result.errors:
        result.data = RosterRow(
            division=division,
            district=district,
            team=team,
            name=name,
            role=SUBSTITUTE if role == SUBSTITUTE else MEMBER,
            captain=role == CAPTAIN,
            phone=phone,
            code=code,
        )
    return result


def _check_codes(results: list[RowResult], existing: Existing) -> None:
    rows = [r for r in results if r.data and r.data.code]
    seen = Counter(r.data.code for r in rows)
    people = existing.by_person()
    for r in rows:
        code = r.data.code
        if seen[code] > 1:
            r.errors.append(RowError("code", f"the code {code} appears on more than one row"))
            continue
        mine = people.get((norm(r.data.team), norm(r.data.name)))
        if code in existing.codes and mine is not None and mine != code:
            owner_team, owner = existing.codes[code]
            r.errors.append(
                RowError(
                    "code",
                    f"{r.data.name} of {r.data.team} already has the code {mine}; "
                    f"{code} belongs to {owner} of {owner_team}",
                )
            )


def _check_teams(results: list[RowResult], *, members: int, substitutes: tuple[int, int]) -> None:
    """Checks across the rows of each team. Rows that are invalid on their own still count for their
    team (by their team cell) so that one bad cell does not also report a wrong member count."""
    teams: dict[str, list[RowResult]] = defaultdict(list)
    for r in results:
        if r.raw.get("team"):
            teams[norm(r.raw["team"])].append(r)
    low, high = substitutes
    for rows in teams.values():
        team = " ".join(rows[0].raw["team"].split())
        placed = [r for r in rows if r.data]
        for r in placed[1:]:
            first = placed[0]
            if (r.data.division, r.data.district) != (first.data.division, first.data.district):
                r.errors.append(
                    RowError("district", f"{team} is in {first.data.district} on row {first.row}, not here")
                )
        names: dict[str, int] = {}
        for r in rows:
            key = norm(r.raw.get("name", ""))
            if not key:
                continue
            if key in names:
                r.errors.append(
                    RowError("name", f"{r.raw['name']} is listed twice in {team} (row {names[key]})")
                )
            else:
                names[key] = r.row
        roles = [ROLES.get(norm(r.raw.get("role", ""))) for r in rows]
        if None in roles:
            continue  # an empty or unknown role is reported on its row; counts would only add noise
        captains = [r for r, role in zip(rows, roles, strict=True) if role == CAPTAIN]
        if len(captains) > 1:
            for r in captains:
                r.errors.append(RowError("role", f"{team} has {len(captains)} captains; at most one"))
        n_subs = roles.count(SUBSTITUTE)
        n_members = len(roles) - n_subs
        if n_members != members:
            for r in rows:
                r.errors.append(
                    RowError("role", f"{team} lists {n_members} members; exactly {members} are required")
                )
        if not low <= n_subs <= high:
            for r in rows:
                r.errors.append(
                    RowError("role", f"{team} lists {n_subs} substitutes; {low} to {high} are allowed")
                )
