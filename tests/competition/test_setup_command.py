"""``setup_competition``: what an organiser runs once on a production database."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from competition.models import Competition, District, Division
from questionbank.models import Tag


@pytest.mark.django_db
def test_setup_creates_the_divisions_districts_and_taxonomy_and_a_rerun_changes_nothing():
    out = StringIO()
    call_command("setup_competition", "2027 京津冀公民科学素质大赛", "--year", "2027", stdout=out)
    competition = Competition.objects.get(slug="jjj-2027")
    assert competition.name == "2027 京津冀公民科学素质大赛"
    assert [d.code for d in Division.objects.filter(competition=competition).order_by("order")] == [
        "beijing",
        "tianjin",
        "hebei",
    ]
    assert District.objects.filter(division__competition=competition).count() == 16 + 16 + 11
    assert Tag.objects.filter(kind=Tag.Kind.BENCHMARK).count() == 26
    assert "3 divisions, 43 districts and cities" in out.getvalue()

    counts = (Division.objects.count(), District.objects.count(), Tag.objects.count())
    call_command("setup_competition", "2027 京津冀公民科学素质大赛", "--year", "2027", stdout=StringIO())
    assert (Division.objects.count(), District.objects.count(), Tag.objects.count()) == counts
    assert Competition.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [(["--year", "27"], "not a competition year"), (["--year", "2027", "--slug", "——"], "letters or digits")],
)
def test_a_bad_year_or_slug_is_refused_and_nothing_is_created(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("setup_competition", "x", *args, stdout=StringIO())
    assert not Competition.objects.exists()
