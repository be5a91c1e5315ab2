"""Boards and participation, fair-play flags and decisions, qualification into the district teams."""

import uuid
from datetime import timedelta

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from competition.models import District, Registration, Team
from competition.online import selectors
from competition.online.errors import OnlineError
from competition.online.models import Attempt, Contestant, Flag, Qualifier
from competition.online.services import attempts, fairplay, identity, qualification
from tests.factories import organiser
from tests.online.conftest import make_contestant

pytestmark = pytest.mark.django_db


def districts(stage, n=2):
    return list(District.objects.filter(division__competition=stage.competition).order_by("pk")[:n])


def finished(contestant, *, points, correct=1, ms=1000, mode="daily", when=None, day_offset=0):
    when = when or timezone.now()
    attempt = Attempt.objects.create(
        contestant=contestant,
        mode=mode,
        day=(when - timedelta(days=day_offset)).date(),
        started_at=when,
        finished_at=when,
        points=points,
        correct=correct,
        answered=correct,
        answer_ms=ms,
        outcome="completed",
    )
    # the running figures, as the services keep them
    Contestant.objects.filter(pk=contestant.pk).update(
        points=F("points") + points,
        correct=F("correct") + correct,
        answer_ms=F("answer_ms") + ms,
        answered=F("answered") + correct,
    )
    if mode == "challenge":
        best = Contestant.objects.get(pk=contestant.pk)
        if not best.challenge_best or (correct, -ms) > (best.challenge_best, -best.challenge_best_ms):
            Contestant.objects.filter(pk=contestant.pk).update(challenge_best=correct, challenge_best_ms=ms)
    return attempt


def test_boards_follow_the_tie_chain_within_a_district(stage):
    a, b = districts(stage)
    first = make_contestant(stage, 1, district=a, points=100, correct=10, answer_ms=9000)
    second = make_contestant(stage, 2, district=a, points=100, correct=10, answer_ms=5000)
    make_contestant(stage, 3, district=b, points=500)
    rows = selectors.board(stage, by="district", key=str(a.pk))
    assert [r["name"] for r in rows] == [second.display_name, first.display_name]
    assert set(rows[0]) == {"rank", "name", "district", "points", "correct"}
    assert selectors.rank_of(Contestant.objects.get(pk=first.pk)) == 3


def test_participation_counts_registered_active_and_completed_per_district(stage):
    a, b = districts(stage)
    make_contestant(stage, 1, district=a)
    make_contestant(stage, 2, district=a, answered=3)
    make_contestant(stage, 3, district=a, answered=30, daily_days=5)
    make_contestant(stage, 4, district=b, answered=1, unit="第一中学")
    rows = {r["key"]: r for r in selectors.participation(stage, by="district")}
    assert (rows[a.pk]["registered"], rows[a.pk]["active"], rows[a.pk]["completed"]) == (3, 2, 1)
    assert rows[b.pk]["completed_rate"] == 0.0 and rows[b.pk]["active_rate"] == 100.0
    units = selectors.participation(stage, by="unit")
    assert [u["key"] for u in units] == ["第一中学"]


def test_qualification_by_points_takes_the_top_k_of_each_district_up_to_the_cutoff(stage):
    a, b = districts(stage)
    cutoff = timezone.now()
    people = [make_contestant(stage, n, district=a if n < 4 else b) for n in range(6)]
    for n, person in enumerate(people):
        finished(person, points=10 * (n + 1), when=cutoff - timedelta(hours=1))
    finished(people[0], points=1000, mode="challenge", when=cutoff + timedelta(hours=1))  # after the cut-off
    run = qualification.qualification_run(
        stage=stage, rule="points", per_district=2, members=1, cutoff=cutoff
    )
    listed = [
        (q.district_id, q.contestant_id, q.rank, q.figures["points"])
        for q in run.qualifiers.order_by("district", "rank")
    ]
    assert listed == [
        (a.pk, people[3].pk, 1, 40),
        (a.pk, people[2].pk, 2, 30),
        (b.pk, people[5].pk, 1, 60),
        (b.pk, people[4].pk, 2, 50),
    ]


@pytest.mark.parametrize("later_share", [0.2, 0.8])
def test_qualification_by_points_at_a_past_cutoff_matches_summing_the_attempts(stage, later_share):
    """A cut-off in the middle of the season: on PostgreSQL, with fewer attempts after the cut-off than
    before it, the list subtracts the later ones from the running figures, reading each district only as
    deep as needed; with more, it sums the earlier ones. Both match a recomputation from the attempts,
    with ties on points and right answers, held contestants and play after the cut-off."""
    import random

    rng = random.Random(7)
    a, b = districts(stage)
    cutoff = timezone.now() - timedelta(days=3)
    people = [make_contestant(stage, n, district=a if n % 2 else b) for n in range(40)]
    log = []
    for person in people:
        for offset in rng.sample(range(1, 6), rng.randint(0, 3)):  # a daily set a day at most
            when = cutoff + timedelta(days=offset if rng.random() < later_share else -offset)
            points, correct, ms = rng.choice([10, 20, 30]), rng.randint(1, 3), rng.choice([1000, 2000])
            finished(person, points=points, correct=correct, ms=ms, when=when)
            log.append((person.pk, when, points, correct, ms))
    Contestant.objects.filter(pk__in=[people[0].pk, people[1].pk]).update(held=True)
    expected = {}
    for person in Contestant.objects.filter(stage=stage, held=False):
        mine = [row for row in log if row[0] == person.pk and row[1] <= cutoff]
        points = sum(r[2] for r in mine)
        if points > 0:
            figures = (points, sum(r[3] for r in mine), sum(r[4] for r in mine))
            expected.setdefault(person.district_id, []).append(
                ((-figures[0], -figures[1], figures[2], person.registered_at, person.pk), person.pk, figures)
            )
    want = [
        (did, pk, n, figures[0], figures[1], figures[2])
        for did in sorted(expected)
        for n, (_key, pk, figures) in enumerate(sorted(expected[did])[:4], 1)
    ]
    found = qualification.qualifiers_compute(stage=stage, rule="points", per_district=4, cutoff=cutoff)
    got = [
        (
            r["district_id"],
            r["contestant_id"],
            r["rank"],
            *(r["figures"][k] for k in ("points", "correct", "time_ms")),
        )
        for r in found
    ]
    assert got == want and len(got) >= 6 and {row[0] for row in got} == {a.pk, b.pk}


def test_qualification_by_challenge_uses_each_contestants_best_challenge(stage):
    (a,) = districts(stage, 1)
    now = timezone.now()
    fast, slow, once = (make_contestant(stage, n, district=a) for n in range(3))
    finished(fast, points=30, correct=7, ms=40000, mode="challenge", when=now)
    finished(fast, points=0, correct=2, ms=4000, mode="challenge", when=now)
    finished(slow, points=30, correct=7, ms=60000, mode="challenge", when=now)
    finished(once, points=30, correct=9, ms=90000, mode="challenge", when=now)
    found = qualification.qualifiers_compute(stage=stage, rule="challenge", per_district=3, cutoff=now)
    assert [(r["contestant_id"], r["figures"]["challenge_best"]) for r in found] == [
        (once.pk, 9),
        (fast.pk, 7),
        (slow.pk, 7),
    ]


def test_flagged_contestants_are_held_out_until_cleared_and_the_decision_is_logged(stage):
    (a,) = districts(stage, 1)
    now = timezone.now()
    honest, flagged = make_contestant(stage, 1, district=a), make_contestant(stage, 2, district=a)
    finished(honest, points=10, when=now)
    finished(flagged, points=99, when=now)
    assert fairplay.flag_raise(contestant_id=flagged.pk, kind="too_fast", evidence={"fast": 10})
    found = qualification.qualifiers_compute(stage=stage, rule="points", per_district=5, cutoff=now)
    assert [r["contestant_id"] for r in found] == [honest.pk]
    user = organiser()
    flag = Flag.objects.get()
    with pytest.raises(OnlineError):
        fairplay.flag_decide(flag=flag, actor=user, decision="cleared", reason=" ")
    fairplay.flag_decide(flag=flag, actor=user, decision="cleared", reason="checked the video of the session")
    flag.refresh_from_db()
    assert (flag.status, flag.decided_by, flag.reason) == (
        "cleared",
        user,
        "checked the video of the session",
    )
    assert not Contestant.objects.get(pk=flagged.pk).held
    found = qualification.qualifiers_compute(stage=stage, rule="points", per_district=5, cutoff=now)
    assert [r["contestant_id"] for r in found] == [flagged.pk, honest.pk]
    with pytest.raises(OnlineError) as refused:
        fairplay.flag_decide(flag=flag, actor=user, decision="upheld", reason="again")
    assert refused.value.code == "flag_decided"


def test_answers_faster_than_reading_time_raise_a_flag_with_evidence(
    bank, contestant, django_capture_on_commit_callbacks
):
    attempt = attempts.daily_start(contestant=contestant)
    with django_capture_on_commit_callbacks(execute=True):
        _play_fast(contestant, attempt)
    flag = Flag.objects.get(contestant=contestant, kind="too_fast")
    assert flag.evidence["fast"] == 10 and flag.evidence["samples"][0]["elapsed_ms"] == 300
    assert Contestant.objects.get(pk=contestant.pk).held


def _play_fast(contestant, attempt):
    for n in range(2):
        day = (
            attempts.daily_start(contestant=contestant, now=timezone.now() - timedelta(days=n + 1))
            if n
            else attempt
        )
        for _ in range(5):
            day.refresh_from_db()
            served = attempts.question_serve(attempt=day, now=day.started_at)
            attempts.answer_submit(
                contestant=contestant,
                attempt_id=day.pk,
                position=served.position,
                choices=[0],
                submission=uuid.uuid4(),
                now=served.served_at + timedelta(milliseconds=300),
            )


def test_identical_play_on_two_accounts_flags_both(stage):
    one, two = make_contestant(stage, 1), make_contestant(stage, 2)
    for person in (one, two):
        finished(person, points=10, correct=5).__class__.objects.filter(contestant=person).update(
            fingerprint="f" * 32, answered=5
        )
    attempt = Attempt.objects.get(contestant=two)
    assert fairplay.check_same_answers(attempt)
    assert set(Flag.objects.filter(kind="same_answers").values_list("contestant_id", flat=True)) == {
        one.pk,
        two.pk,
    }


def test_many_accounts_on_one_device_are_flagged(stage):
    people = [make_contestant(stage, n) for n in range(4)]
    for person in people[:3]:
        identity.device_seen(contestant=person, device="d" * 32)
        assert not fairplay.check_device(contestant=person, device="d" * 32)
    identity.device_seen(contestant=people[3], device="d" * 32)
    assert fairplay.check_device(contestant=people[3], device="d" * 32)
    assert Flag.objects.filter(kind="shared_device").count() == 4


def test_accepted_invitations_become_the_district_teams_registrations(stage, sms, client):
    (a,) = districts(stage, 1)
    now = timezone.now()
    people = [make_contestant(stage, n, district=a) for n in range(3)]
    for n, person in enumerate(people):
        finished(person, points=100 - n, when=now - timedelta(minutes=1))
    run = qualification.qualification_run(stage=stage, rule="points", per_district=3, members=2, cutoff=now)
    assert qualification.qualifiers_invite(run=run, base_url="http://testserver/") == 3
    assert len(sms) == 3 and "/invitations/" in sms[0][1]
    tokens = {q.contestant_id: q.token for q in run.qualifiers.all()}
    # the third accepts first: a member until better-ranked ones accept
    qualification.invitation_answer(contestant=people[2], token=tokens[people[2].pk], accept=True)
    qualification.invitation_answer(contestant=people[0], token=tokens[people[0].pk], accept=True)
    qualification.invitation_answer(contestant=people[1], token=tokens[people[1].pk], accept=True)
    team = Team.objects.get(district=a)
    roles = dict(Registration.objects.filter(team=team).values_list("name", "role"))
    assert roles == {people[0].name: "member", people[1].name: "member", people[2].name: "substitute"}
    assert team.captain.name == people[0].name and team.division == a.division
    assert all(r.code for r in Registration.objects.filter(team=team))
    again = qualification.invitation_answer(contestant=people[0], token=tokens[people[0].pk], accept=True)
    assert again.status == "accepted" and Registration.objects.filter(team=team).count() == 3
    with pytest.raises(OnlineError) as refused:
        qualification.invitation_answer(contestant=people[1], token=tokens[people[0].pk], accept=True)
    assert refused.value.code == "not_invited"


def test_a_declined_invitation_cannot_be_accepted_later(stage, sms):
    (a,) = districts(stage, 1)
    person = make_contestant(stage, 1, district=a)
    finished(person, points=5, when=timezone.now() - timedelta(minutes=1))
    run = qualification.qualification_run(
        stage=stage, rule="points", per_district=1, members=1, cutoff=timezone.now()
    )
    qualification.qualifiers_invite(run=run, base_url="http://testserver/")
    token = Qualifier.objects.get().token
    qualification.invitation_answer(contestant=person, token=token, accept=False)
    with pytest.raises(OnlineError) as refused:
        qualification.invitation_answer(contestant=person, token=token, accept=True)
    assert refused.value.code == "not_invited"
    assert not Registration.objects.exists()


def test_the_organiser_page_shows_participation_flags_and_lists_qualifiers(client, stage):
    person = make_contestant(stage, 1, answered=3)
    fairplay.flag_raise(contestant_id=person.pk, kind="shared_device", evidence={"accounts": [person.pk]})
    url = reverse("online:organiser", args=[stage.slug])
    assert client.get(url).status_code == 302  # log in first
    client.force_login(organiser())
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="by-district"' in html and person.masked_mobile in html
    assert person.mobile not in html
    flag = Flag.objects.get()
    client.post(
        reverse("online:flag-decide", args=[stage.slug, flag.pk]),
        {"decision": "upheld", "reason": "same phone"},
    )
    assert Flag.objects.get().status == "upheld" and Contestant.objects.get(pk=person.pk).held
    response = client.post(
        reverse("online:qualification-new", args=[stage.slug]),
        {
            "rule": "points",
            "per_district": 3,
            "members": 2,
            "cutoff": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        },
    )
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


def test_the_organiser_page_is_refused_to_other_users(client, stage):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("online:organiser", args=[stage.slug])).status_code == 403


def test_an_invited_contestant_sees_the_invitation_and_accepts_it_on_the_page(client, stage, sms):
    (a,) = districts(stage, 1)
    person = make_contestant(stage, 1, district=a)
    finished(person, points=5, when=timezone.now() - timedelta(minutes=1))
    run = qualification.qualification_run(
        stage=stage, rule="points", per_district=1, members=4, cutoff=timezone.now()
    )
    qualification.qualifiers_invite(run=run, base_url="http://testserver/")
    session = client.session
    session["online_contestant"] = person.pk
    session.save()
    home = client.get(reverse("online:home", args=[stage.slug])).content.decode()
    token = Qualifier.objects.get().token
    assert 'data-testid="invited"' in home and token in home
    url = reverse("online:invitation", args=[stage.slug, token])
    page = client.post(url, {"answer": "accept"})
    assert page.status_code == 200 and page.context["invite"].status == "accepted"
    assert Registration.objects.get().team.district == a
    assert (
        client.get(reverse("online:invitation", args=[stage.slug, "not-a-token"])).context["code"]
        == "not_invited"
    )


def test_organisers_reach_the_online_stage_from_the_host_pages(client, stage):
    client.force_login(organiser())
    page = client.get(reverse("host-rounds")).content.decode()
    assert reverse("online:organiser", args=[stage.slug]) in page


def test_organisers_reach_the_stages_literacy_report_from_the_host_and_organiser_pages(client, stage):
    client.force_login(organiser())
    report = f"{reverse('report')}?season={stage.competition.slug}&amp;stage={stage.slug}"
    assert report in client.get(reverse("host-rounds")).content.decode()
    assert report in client.get(reverse("online:organiser", args=[stage.slug])).content.decode()
