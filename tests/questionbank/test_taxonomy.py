"""The taxonomy fixture: the 26 benchmarks of the 中国公民科学素质基准, where their names come from, and the
demo bank's tags resolving to them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from questionbank.models import Question, Tag
from questionbank.services import questions_load_json, taxonomy_load

FIXTURES = Path(__file__).resolve().parents[2] / "questionbank" / "fixtures"
TAXONOMY = json.loads((FIXTURES / "taxonomy.json").read_text(encoding="utf-8"))
BENCHMARKS = [b for domain in TAXONOMY["domains"] for b in domain["benchmarks"]]


def test_the_fixture_lists_the_26_benchmarks_in_the_official_order():
    assert [b["code"] for b in BENCHMARKS] == [f"B{n:02d}" for n in range(1, 27)]
    assert all(b["name"].endswith("。") and b["en"] for b in BENCHMARKS)


def test_every_name_not_checked_against_a_copy_of_the_official_text_is_flagged_and_explained():
    flagged = {b["code"] for b in BENCHMARKS if b.get("unverified")}
    checked = {b["code"] for b in BENCHMARKS if "unverified" not in b}
    assert checked | flagged == {b["code"] for b in BENCHMARKS}
    assert {"B01", "B02", "B03", "B04", "B05", "B06", "B07"} <= checked
    notes = TAXONOMY["verification"]
    assert all(source["url"].startswith("http") and source["title"] for source in notes["sources"])
    if flagged:
        assert min(flagged) in notes["unverified"] and max(flagged) in notes["unverified"]


@pytest.mark.django_db
def test_every_benchmark_tag_of_the_demo_bank_resolves_and_every_benchmark_has_demo_questions():
    taxonomy_load(FIXTURES / "taxonomy.json")
    questions_load_json(FIXTURES / "demo_questions.json")
    used = {
        code
        for item in json.loads((FIXTURES / "demo_questions.json").read_text())
        for code in item["benchmarks"]
    }
    known = set(Tag.objects.filter(kind=Tag.Kind.BENCHMARK).values_list("code", flat=True))
    assert used <= known
    for code in sorted(known):
        assert Question.objects.filter(tags__code=code, tags__kind=Tag.Kind.BENCHMARK).exists(), code
    assert Tag.objects.get(code="B01").name == "知道世界是可被认知的，能以科学的态度认识世界。"
