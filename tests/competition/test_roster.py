"""The roster parser (competition/engine/roster.py): pure, no database."""

import json
from pathlib import Path

import pytest

from competition.engine.roster import (
    CAPTAIN,
    INVALID,
    MEMBER,
    NEW,
    SUBSTITUTE,
    UPDATE,
    DivisionEntry,
    Existing,
    Lookup,
    parse_roster,
)

DATA = Path(__file__).parent / "data"
FIXTURE = Path(__file__).resolve().parents[2] / "competition" / "fixtures" / "divisions.json"
HEADER = "division,district,team,name,role,phone,code"


@pytest.fixture(scope="module")
def lookup() -> Lookup:
    divisions = json.loads(FIXTURE.read_text(encoding="utf-8"))["divisions"]
    return Lookup(
        DivisionEntry(
            code=d["code"],
            name=d["name"],
            aliases=(d["name_en"], *d["aliases"]),
            districts=tuple((x["name"], (x["name_en"],)) for x in d["districts"]),
        )
        for d in divisions
    )


def team(
    name="东城区队", division="北京", district="东城区", roles=("队长", "队员", "队员", "替补"), names=None
):
    names = names or [f"选手{i}" for i in range(len(roles))]
    return [f"{division},{district},{name},{who},{role},," for who, role in zip(names, roles, strict=True)]


def csv(*lines: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *lines]).encode("utf-8")


def parse(lookup, *lines, existing=None, **options):
    return parse_roster(csv(*lines), "roster.csv", lookup, existing, **options)


# The fixture ------------------------------------------------------------------------------------


def test_the_fixture_has_beijing_and_tianjin_with_16_districts_and_hebei_with_11_cities():
    divisions = json.loads(FIXTURE.read_text(encoding="utf-8"))["divisions"]
    assert [(d["code"], d["name"], len(d["districts"])) for d in divisions] == [
        ("beijing", "北京市", 16),
        ("tianjin", "天津市", 16),
        ("hebei", "河北省", 11),
    ]
    for division in divisions:
        codes = [d["code"] for d in division["districts"]]
        assert codes == sorted(codes), "districts are in the official (administrative code) order"
        assert all(d["name_en"] for d in division["districts"])
    assert (
        divisions[0]["districts"][0]["name"] == "东城区" and divisions[2]["districts"][-1]["name"] == "衡水市"
    )


# Good files -------------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["roster_good.csv", "roster_good_gbk.csv", "roster_good.xlsx"])
def test_a_good_roster_reads_the_same_from_utf8_csv_gbk_csv_and_xlsx(lookup, filename):
    result = parse_roster((DATA / filename).read_bytes(), filename, lookup)
    assert result.ok and result.file_error is None
    assert [r.status for r in result.rows] == [NEW] * 12
    first = result.rows[0]
    assert first.row == 2
    assert (first.data.division, first.data.district, first.data.team, first.data.name) == (
        "beijing",
        "东城区",
        "东城区队",
        "王晓明",
    )
    assert first.data.role == MEMBER and first.data.captain and first.data.phone == "13800138000"
    assert result.rows[4].data.code == "TBH001" and result.rows[1].data.code == ""
    assert {(r.data.division, r.data.district) for r in result.rows} == {
        ("beijing", "东城区"),
        ("tianjin", "滨海新区"),
        ("hebei", "石家庄市"),
    }


@pytest.mark.parametrize(
    ("division", "district", "expected"),
    [
        ("北京", "东城区", ("beijing", "东城区")),
        ("北京市", "东城", ("beijing", "东城区")),
        ("Beijing", "Dongcheng District", ("beijing", "东城区")),
        ("beijing", "dongcheng", ("beijing", "东城区")),
        ("天津", "滨海新区", ("tianjin", "滨海新区")),
        ("天津市", "Binhai New Area", ("tianjin", "滨海新区")),
        ("天津", "河北区", ("tianjin", "河北区")),
        ("河北省", "石家庄", ("hebei", "石家庄市")),
        ("Hebei Province", "Zhangjiakou", ("hebei", "张家口市")),
        ("ＨＥＢＥＩ", " 衡水市 ", ("hebei", "衡水市")),
    ],
)
def test_divisions_and_districts_resolve_from_chinese_or_english_names(lookup, division, district, expected):
    result = parse(lookup, *team(division=division, district=district))
    assert result.ok, result.rows[0].reason
    assert (result.rows[0].data.division, result.rows[0].data.district) == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("队员", (MEMBER, False)),
        ("member", (MEMBER, False)),
        ("Member", (MEMBER, False)),
        ("队长", (MEMBER, True)),
        ("captain", (MEMBER, True)),
    ],
)
def test_roles_read_in_chinese_or_english_and_a_captain_is_a_member(lookup, role, expected):
    result = parse(lookup, *team(roles=(role, "队员", "队员")))
    assert result.ok
    assert (result.rows[0].data.role, result.rows[0].data.captain) == expected


def test_a_substitute_is_not_a_member(lookup):
    result = parse(lookup, *team(roles=("队员", "队员", "队员", "substitute", "替补")))
    assert result.ok and [r.data.role for r in result.rows][-2:] == [SUBSTITUTE, SUBSTITUTE]


def test_chinese_headers_in_any_order_are_accepted_and_extra_columns_ignored(lookup):
    lines = [
        "姓名,角色,备注,队名,区县,赛区",
        "甲,队长,x,队A,海淀区,北京",
        "乙,队员,,队A,海淀区,北京",
        "丙,队员,,队A,海淀区,北京",
    ]
    result = parse_roster("\n".join(lines).encode("utf-8"), "r.csv", lookup)
    assert result.ok and [r.data.name for r in result.rows] == ["甲", "乙", "丙"]


def test_semicolon_separated_csv_and_blank_lines_are_read(lookup):
    lines = [line.replace(",", ";") for line in team(roles=("队员", "队员", "队员"))]
    data = ("division;district;team;name;role\n\n" + "\n".join(lines) + "\n;;;;\n").encode("utf-8")
    result = parse_roster(data, "r.csv", lookup)
    assert result.ok and [r.row for r in result.rows] == [3, 4, 5]


def test_a_known_code_or_a_known_person_is_an_update(lookup):
    existing = Existing(codes={"BAAAAA": ("东城区队", "选手0"), "BBBBBB": ("东城区队", "选手1")})
    lines = team(roles=("队员", "队员", "队员"))
    lines[0] = lines[0] + "BAAAAA"
    result = parse(lookup, *lines, existing=existing)
    assert [r.status for r in result.rows] == [UPDATE, UPDATE, NEW]


def test_codes_are_upper_cased(lookup):
    lines = team(roles=("队员", "队员", "队员"))
    lines[0] += "b7kq2m"
    assert parse(lookup, *lines).rows[0].data.code == "B7KQ2M"


def test_the_team_sizes_are_parameters(lookup):
    lines = team(roles=("队长", "队员", "替补", "替补", "替补"))
    assert parse(lookup, *lines, members=2, substitutes=(1, 3)).ok
    assert not parse(lookup, *lines).ok


# Every validation -------------------------------------------------------------------------------


def only_error(result, row=None):
    bad = [r for r in result.rows if r.status == INVALID]
    assert bad, "expected an invalid row"
    target = bad[0] if row is None else next(r for r in result.rows if r.row == row)
    return target.status, target.column, target.reason


@pytest.mark.parametrize(
    ("lines", "row", "column", "reason"),
    [
        (team(district="浦东新区"), 2, "district", "unknown district '浦东新区' in 北京市"),
        (team(district="和平区"), 2, "district", "unknown district '和平区' in 北京市"),
        (team(division="上海"), 2, "division", "unknown division '上海'"),
        (team(roles=("队长", "队员", "队员", "教练")), 5, "role", "unknown role '教练'"),
        (team(roles=("队长", "队员", "队员", "")), 5, "role", "role is empty"),
        (team(name=""), 2, "team", "team is empty"),
        (team(names=["甲", "", "丙", "丁"]), 3, "name", "name is empty"),
        (team(district=""), 2, "district", "district is empty"),
        (team(roles=("队长", "队长", "队员")), 2, "role", "has 2 captains; at most one"),
        (team(roles=("队员", "队员")), 2, "role", "lists 2 members; exactly 3 are required"),
        (team(roles=("队员", "队员", "队员", "队员")), 2, "role", "lists 4 members; exactly 3"),
        (
            team(roles=("队员", "队员", "队员", "替补", "替补", "替补")),
            2,
            "role",
            "lists 3 substitutes; 0 to 2",
        ),
        (team(names=["甲", "乙", "甲", "丁"]), 4, "name", "甲 is listed twice in 东城区队 (row 2)"),
        (team(names=["甲", "乙", " 甲 ", "丁"]), 4, "name", "listed twice"),
        (team(name="x" * 101), 2, "team", "longer than 100"),
        (team(names=["甲" * 51, "乙", "丙", "丁"]), 2, "name", "longer than 50"),
    ],
)
def test_each_rule_marks_the_row_invalid_with_the_column_and_the_reason(lookup, lines, row, column, reason):
    status, got_column, got_reason = only_error(parse(lookup, *lines), row)
    assert (status, got_column) == (INVALID, column)
    assert reason in got_reason


def test_a_team_in_two_districts_is_invalid_on_the_later_rows(lookup):
    lines = team(roles=("队长", "队员", "队员"))
    lines[2] = lines[2].replace("东城区,", "西城区,", 1)
    result = parse(lookup, *lines)
    assert [r.status for r in result.rows] == [NEW, NEW, INVALID]
    assert result.rows[2].column == "district" and "is in 东城区 on row 2" in result.rows[2].reason


def test_a_bad_phone_and_a_bad_code_are_invalid(lookup):
    lines = team(roles=("队长", "队员", "队员"))
    lines[0] = lines[0][:-1] + "call me,"
    lines[1] = lines[1] + "O-1!"
    result = parse(lookup, *lines)
    assert (result.rows[0].column, result.rows[1].column) == ("phone", "code")
    assert "not a phone number" in result.rows[0].reason and "not a code" in result.rows[1].reason


def test_the_same_code_on_two_rows_is_invalid(lookup):
    lines = team(roles=("队长", "队员", "队员"))
    lines[0] += "B7KQ2M"
    lines[1] += "b7kq2m"
    result = parse(lookup, *lines)
    assert [r.status for r in result.rows] == [INVALID, INVALID, NEW]
    assert "appears on more than one row" in result.rows[0].reason


def test_a_code_that_belongs_to_someone_else_is_invalid(lookup):
    existing = Existing(codes={"BAAAAA": ("西城区队", "别人"), "BBBBBB": ("东城区队", "选手0")})
    lines = team(roles=("队长", "队员", "队员"))
    lines[0] += "BAAAAA"
    result = parse(lookup, *lines, existing=existing)
    assert result.rows[0].status == INVALID and "belongs to 别人 of 西城区队" in result.rows[0].reason


def test_an_unknown_role_does_not_also_report_wrong_member_counts(lookup):
    result = parse(lookup, *team(roles=("队长", "队员", "教练")))
    assert [r.status for r in result.rows] == [NEW, NEW, INVALID]


def test_a_row_can_carry_several_reasons(lookup):
    result = parse(lookup, "上海,浦东新区,队A,,教练,,")
    row = result.rows[0]
    assert {e.column for e in row.errors} == {"division", "name", "role"}
    assert "; " in row.reason


def test_one_invalid_row_makes_the_whole_parse_not_ok(lookup):
    lines = team() + team(name="西城区队", district="西城区", roles=("队长", "队员", "鼓手"))
    result = parse(lookup, *lines)
    assert not result.ok and len(result.invalid) == 1
    assert result.count(NEW) == 6


def test_captain_is_a_role_constant_not_a_stored_role(lookup):
    result = parse(lookup, *team())
    assert CAPTAIN not in {r.data.role for r in result.rows}


# Broken files -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "reason"),
    [
        ("roster_bad_encoding.csv", "neither UTF-8 nor GBK"),
        ("roster_missing_columns.csv", "missing columns: role"),
        ("roster_not_a_spreadsheet.xlsx", "not a readable XLSX"),
        ("roster_truncated.xlsx", "not a readable XLSX"),
    ],
)
def test_a_broken_file_is_a_file_error_and_no_rows(lookup, filename, reason):
    result = parse_roster((DATA / filename).read_bytes(), filename, lookup)
    assert not result.ok and result.rows == []
    assert reason in result.file_error.reason


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (b"", "r.csv", "the file is empty"),
        (b"  \n", "r.csv", "the file is empty"),
        (b"\n,,,\n", "r.csv", "no header row"),
        (HEADER.encode(), "r.csv", "a header but no contestants"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "r.xls", "Excel 97-2003"),
        (b"%PDF-1.4", "r.pdf", "unsupported file type"),
        (b"division\x00district", "r.csv", "not a CSV text file"),
        (b"division,district,team,name,role,team\n", "r.csv", "appears twice"),
        (b"a,b,c\n1,2,3\n", "r.csv", "missing columns: division, district, team, name, role"),
    ],
)
def test_unreadable_input_is_a_file_error(lookup, data, filename, reason):
    result = parse_roster(data, filename, lookup)
    assert result.file_error is not None and reason in result.file_error.reason


def test_too_many_rows_is_a_file_error(lookup):
    result = parse(lookup, *team(), max_rows=3)
    assert "too many rows: 4" in result.file_error.reason
