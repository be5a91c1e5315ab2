"""The report's live section (competition.report.selectors.live_get): rounds played with their
contestants and share right, and the finals' places."""

from __future__ import annotations

from datetime import UTC, datetime

from competition.report.selectors import live_get
from quiz.models import Answer, Contestant, Round, RoundQuestion

AT = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def _round(competition, title, *, pin, answers):
    """A round of two questions (the second voided); ``answers``: per contestant, (right, [picks])."""
    r = Round.objects.create(competition=competition, title=title, stage="区赛", pin=pin, finished_at=AT)
    q1 = RoundQuestion.objects.create(
        round=r, position=0, stem="一", choices=["甲", "乙"], correct=[0], duration_ms=20000
    )
    q2 = RoundQuestion.objects.create(
        round=r, position=1, stem="二", choices=["甲", "乙"], correct=[0], duration_ms=20000, voided=True
    )
    for n, (right, picks) in enumerate(answers):
        c = Contestant.objects.create(round=r, nickname=f"选手{n}", correct_count=right)
        for q, pick in zip((q1, q2), picks, strict=False):
            Answer.objects.create(
                round=r, question=q, contestant=c, choices=[pick], received_at=AT, elapsed_ms=1000
            )
    return r


def test_each_round_counts_its_contestants_and_the_answers_on_questions_not_voided(competition):
    # given: 40 contestants, 30 right on the first question, everyone also answering the voided one
    played = _round(competition, "海淀区赛", pin="111111", answers=[(1, [0, 0])] * 30 + [(0, [1, 0])] * 10)
    _round(competition, "空场", pin="222222", answers=[])  # nobody joined: not a round played
    # when
    live = live_get(competition)
    # then
    [r] = live.rounds
    assert (r.round_id, r.title, r.stage) == (played.pk, "海淀区赛", "区赛")
    assert (r.share.people, r.share.correct, r.share.answered) == (40, 30, 40)
    assert r.share.share == 0.75 and r.share.readable
    assert round(r.share.low, 4) == 0.5981 and round(r.share.high, 4) == 0.8581  # Wilson, 30 of 40
    assert live.contestants == 40


def test_a_round_with_few_contestants_is_too_few_to_read(competition):
    _round(competition, "小场", pin="333333", answers=[(1, [0])] * 9)
    [r] = live_get(competition).rounds
    assert r.share.readable is False  # 9 people, 9 answers: under 10 people and 30 answers


def test_a_kicked_contestant_is_not_counted_among_the_people(competition):
    r = _round(competition, "场", pin="444444", answers=[(1, [0])] * 12)
    first = Contestant.objects.filter(round=r).order_by("pk").first()
    Contestant.objects.filter(pk=first.pk).update(kicked_at=AT)
    [played] = live_get(competition).rounds
    assert played.share.people == 11


def test_a_finals_teams_are_placed_by_score_and_a_tie_by_the_sudden_death_order(db):
    from io import StringIO

    from django.core.management import call_command

    from competition.management.commands.demo_final import demo_final
    from competition.models import Competition
    from quiz.finals.models import Final, FinalScoreEvent

    # given the demo final, begun, with the third team level with the second and ahead after 加赛
    call_command("demo_setup", "--no-urls", stdout=StringIO())
    competition = Competition.objects.get(slug="jjj-2026")
    final = demo_final(competition)
    teams = list(final.teams.order_by("seed"))
    Final.objects.filter(pk=final.pk).update(started_at=AT, sudden_death=[teams[2].pk, teams[1].pk])
    for seq, (team, points) in enumerate([(teams[0], 10), (teams[1], 20), (teams[2], 20)], start=1):
        FinalScoreEvent.objects.create(
            final=final, seq=seq, team=team, points=points, reason="correct", rule_version=1, version=1, at=AT
        )
    # when
    places = live_get(competition).finals
    # then
    assert [(p.rank, p.team) for p in places[:3]] == [
        (1, teams[2].name),
        (2, teams[1].name),
        (3, teams[0].name),
    ]
    assert places[0].score - places[2].score == 10 and places[0].finished is False
    assert {p.final for p in places} == {final.round.title}
