"""The self-paced modes: the daily set, the timed challenge, themed quizzes and the self-test."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from competition.online.errors import OnlineError
from competition.online.models import Answer, Attempt, Contestant
from competition.online.services import attempts
from questionbank.models import Question
from tests.online.conftest import make_contestant

pytestmark = pytest.mark.django_db


def key(attempt, position):
    return list(Question.objects.get(pk=attempt.question_ids[position]).correct)


def wrong(attempt, position):
    from competition.online.management.commands.demo_online import wrong_answer

    return wrong_answer(Question.objects.get(pk=attempt.question_ids[position]))


def answer(contestant, attempt, *, right=True, now=None, submission=None):
    attempt.refresh_from_db()
    attempts.question_serve(attempt=attempt, now=now)
    attempt.refresh_from_db()
    choices = key(attempt, attempt.position) if right else wrong(attempt, attempt.position)
    return attempts.answer_submit(
        contestant=contestant,
        attempt_id=attempt.pk,
        position=attempt.position,
        choices=choices,
        submission=submission or uuid.uuid4(),
        now=now,
    )


def signed_in(client, contestant):
    session = client.session
    session["online_contestant"] = contestant.pk
    session.save()
    return client


# --- daily set ---------------------------------------------------------------------------------------
def test_the_daily_set_draws_n_questions_once_a_day_and_resumes(bank, contestant):
    first = attempts.daily_start(contestant=contestant)
    assert len(first.question_ids) == 5 and len(set(first.question_ids)) == 5
    assert attempts.daily_start(contestant=contestant) == first


def test_contestants_get_different_daily_sets(bank, stage):
    a = attempts.daily_start(contestant=make_contestant(stage, 1))
    b = attempts.daily_start(contestant=make_contestant(stage, 2))
    assert a.question_ids != b.question_ids


def test_finishing_the_daily_set_scores_it_and_starts_the_streak(bank, contestant):
    attempt = attempts.daily_start(contestant=contestant)
    for n in range(5):
        result = answer(contestant, attempt, right=n != 0)
    assert result.finished
    attempt.refresh_from_db()
    contestant.refresh_from_db()
    assert (attempt.outcome, attempt.correct, attempt.points) == ("completed", 4, 4 * 10 + 10)
    assert (contestant.points, contestant.streak, contestant.daily_days, contestant.correct) == (50, 1, 1, 4)


def test_a_finished_daily_set_cannot_be_played_again_the_same_day(bank, contestant):
    attempt = attempts.daily_start(contestant=contestant)
    for _ in range(5):
        answer(contestant, attempt)
    assert attempts.daily_start(contestant=contestant).pk == attempt.pk
    with pytest.raises(OnlineError) as refused:
        attempts.answer_submit(
            contestant=contestant, attempt_id=attempt.pk, position=4, choices=[0], submission=uuid.uuid4()
        )
    assert refused.value.code == "attempt_finished"
    assert Answer.objects.filter(attempt=attempt).count() == 5


def test_the_streak_continues_on_the_next_day(bank, contestant):
    yesterday = timezone.now() - timedelta(days=1)
    first = attempts.daily_start(contestant=contestant, now=yesterday)
    for _ in range(5):
        answer(contestant, first, now=yesterday)
    second = attempts.daily_start(contestant=contestant)
    assert second.pk != first.pk
    assert not set(second.question_ids) & set(first.question_ids)  # recent questions are passed over
    for _ in range(5):
        answer(contestant, second)
    contestant.refresh_from_db()
    assert contestant.streak == 2 and contestant.daily_days == 2


def test_a_repeated_submission_returns_the_same_result_and_counts_once(bank, contestant):
    attempt = attempts.daily_start(contestant=contestant)
    submission = uuid.uuid4()
    first = answer(contestant, attempt, submission=submission)
    again = attempts.answer_submit(
        contestant=contestant, attempt_id=attempt.pk, position=0, choices=[3], submission=submission
    )
    assert again.repeated and again.correct == first.correct and again.choices == first.choices
    assert Answer.objects.filter(attempt=attempt).count() == 1


def test_an_answer_to_a_question_not_served_is_refused_and_changes_nothing(bank, contestant):
    attempt = attempts.daily_start(contestant=contestant)
    with pytest.raises(OnlineError) as refused:  # nothing served yet
        attempts.answer_submit(
            contestant=contestant, attempt_id=attempt.pk, position=0, choices=[0], submission=uuid.uuid4()
        )
    assert refused.value.code == "not_served"
    attempts.question_serve(attempt=attempt)
    with pytest.raises(OnlineError) as refused:  # a later question
        attempts.answer_submit(
            contestant=contestant, attempt_id=attempt.pk, position=3, choices=[0], submission=uuid.uuid4()
        )
    assert refused.value.code == "not_served"
    assert not Answer.objects.exists()


def test_an_invalid_choice_is_refused(bank, contestant):
    attempt = attempts.daily_start(contestant=contestant)
    attempts.question_serve(attempt=attempt)
    with pytest.raises(OnlineError) as refused:
        attempts.answer_submit(
            contestant=contestant, attempt_id=attempt.pk, position=0, choices=[9], submission=uuid.uuid4()
        )
    assert refused.value.code == "invalid_choice"


def test_a_submission_id_used_for_an_earlier_answer_returns_that_answer_and_changes_nothing(bank, contestant):
    attempt = attempts.daily_start(contestant=contestant)
    submission = uuid.uuid4()
    first = answer(contestant, attempt, submission=submission)
    attempt.refresh_from_db()
    attempts.question_serve(attempt=attempt)
    reused = attempts.answer_submit(
        contestant=contestant,
        attempt_id=attempt.pk,
        position=1,
        choices=key(attempt, 1),
        submission=submission,
    )
    assert reused.repeated and reused.position == 0 and reused.choices == first.choices
    attempt.refresh_from_db()
    assert attempt.position == 1 and attempt.answered == 1 and attempt.served_at is not None
    assert Answer.objects.filter(attempt=attempt).count() == 1


def test_two_answers_racing_for_one_served_question_store_one(bank, contestant, monkeypatch):
    attempt = attempts.daily_start(contestant=contestant)
    attempts.question_serve(attempt=attempt)
    real_filter = Attempt.objects.filter
    first = attempts.answer_submit(
        contestant=contestant,
        attempt_id=attempt.pk,
        position=0,
        choices=key(attempt, 0),
        submission=uuid.uuid4(),
    )
    assert not first.repeated
    # The second read the attempt before the first moved it on: its conditional update finds nothing
    # to move, and the locked path refuses it.
    stale = Attempt.objects.get(pk=attempt.pk)
    stale.position, stale.served_at, stale.answered = 0, timezone.now(), 0

    class StaleFirst:
        def first(self):
            return stale

    calls = []

    def filter_once_stale(*args, **kwargs):
        calls.append(kwargs)
        return StaleFirst() if len(calls) == 1 else real_filter(*args, **kwargs)

    monkeypatch.setattr(Attempt.objects, "filter", filter_once_stale)
    with pytest.raises(OnlineError) as refused:
        attempts.answer_submit(
            contestant=contestant,
            attempt_id=attempt.pk,
            position=0,
            choices=key(attempt, 0),
            submission=uuid.uuid4(),
        )
    monkeypatch.undo()
    assert refused.value.code == "not_served"
    attempt.refresh_from_db()
    assert attempt.position == 1 and attempt.answered == 1
    assert Answer.objects.filter(attempt=attempt).count() == 1


def test_answers_past_the_rate_limit_are_refused_and_not_stored(client, bank, stage, contestant):
    from django.core.cache import cache

    cache.clear()
    stage.rules = {**stage.rules, "limits": {"answers_per_minute": 2}}
    stage.save()
    signed_in(client, contestant)
    attempt = attempts.daily_start(contestant=contestant)
    url = reverse("online:attempt", args=[stage.slug, attempt.pk])
    codes = []
    for _ in range(3):
        served = client.get(url, HTTP_ACCEPT="application/json").json()
        choice = Question.objects.get(pk=served["question"]["id"]).correct
        data = {"position": served["position"], "submission": served["submission"], "choice": choice}
        reply = client.post(url, data, HTTP_ACCEPT="application/json")
        codes.append((reply.status_code, reply.json().get("error")))
    assert codes == [(200, None), (200, None), (429, "rate_limited")]
    assert Answer.objects.filter(attempt=attempt).count() == 2
    cache.clear()


def test_another_contestants_attempt_is_unknown(bank, stage, contestant):
    attempt = attempts.daily_start(contestant=contestant)
    other = make_contestant(stage, 9)
    with pytest.raises(OnlineError) as refused:
        attempts.answer_submit(
            contestant=other, attempt_id=attempt.pk, position=0, choices=[0], submission=uuid.uuid4()
        )
    assert refused.value.code == "attempt_unknown"


def test_the_answer_time_is_measured_on_the_server_from_serving(bank, contestant):
    attempt = attempts.daily_start(contestant=contestant)
    served_at = timezone.now()
    attempts.question_serve(attempt=attempt, now=served_at)
    attempts.answer_submit(
        contestant=contestant,
        attempt_id=attempt.pk,
        position=0,
        choices=key(attempt, 0),
        submission=uuid.uuid4(),
        now=served_at + timedelta(seconds=4),
    )
    assert Answer.objects.get().elapsed_ms == 4000


def test_the_question_page_has_no_key_and_the_answer_page_has_the_explanation(client, bank, contestant):
    signed_in(client, contestant)
    response = client.post(reverse("online:daily", args=[contestant.stage.slug]))
    attempt = Attempt.objects.get()
    page = client.get(response["Location"])
    question = Question.objects.get(pk=attempt.question_ids[0])
    html = page.content.decode()
    assert (
        escape(question.stem) in html and escape(question.explanation) not in html and "key-mark" not in html
    )
    form = page.context["form"]
    response = client.post(
        response["Location"],
        {
            "position": 0,
            "submission": form.initial["submission"],
            "choice": [str(c) for c in question.correct],
        },
    )
    assert response.status_code == 302
    result = client.get(response["Location"]).content.decode()
    assert escape(question.explanation) in result and 'data-correct="true"' in result


def test_a_json_client_gets_the_question_without_the_key_then_the_result(client, bank, contestant):
    signed_in(client, contestant)
    attempt = attempts.daily_start(contestant=contestant)
    url = reverse("online:attempt", args=[contestant.stage.slug, attempt.pk])
    served = client.get(url, HTTP_ACCEPT="application/json").json()
    assert set(served["question"]) == {"id", "kind", "stem", "choices"}
    question = Question.objects.get(pk=served["question"]["id"])
    data = {"position": served["position"], "submission": served["submission"], "choice": question.correct}
    result = client.post(url, data, HTTP_ACCEPT="application/json").json()
    assert result["correct"] is True and result["explanation"] == question.explanation
    again = client.post(url, data, HTTP_ACCEPT="application/json").json()
    assert again["repeated"] is True
    late = client.post(url, {**data, "submission": str(uuid.uuid4())}, HTTP_ACCEPT="application/json")
    assert late.status_code == 409 and late.json()["error"] == "not_served"


# --- timed challenge ---------------------------------------------------------------------------------
def test_a_wrong_answer_ends_the_challenge(bank, contestant):
    attempt = attempts.challenge_start(contestant=contestant)
    for _ in range(3):
        answer(contestant, attempt)
    answer(contestant, attempt, right=False)
    attempt.refresh_from_db()
    assert (attempt.outcome, attempt.correct, attempt.result["success"]) == ("wrong", 3, False)


def test_five_right_answers_make_a_successful_challenge_kept_as_best(bank, contestant):
    attempt = attempts.challenge_start(contestant=contestant)
    for _ in range(6):
        answer(contestant, attempt)
    answer(contestant, attempt, right=False)
    attempt.refresh_from_db()
    contestant.refresh_from_db()
    assert attempt.result["success"] and attempt.points == 30
    assert (contestant.challenge_best, contestant.challenge_successes) == (6, 1)
    worse = attempts.challenge_start(contestant=contestant)
    answer(contestant, worse, right=False)
    contestant.refresh_from_db()
    assert contestant.challenge_best == 6


def test_the_challenge_resumes_with_the_same_deadline_and_ends_at_it(bank, contestant):
    start = timezone.now()
    attempt = attempts.challenge_start(contestant=contestant, now=start)
    answer(contestant, attempt, now=start + timedelta(seconds=5))
    # the app is closed and opened again (or the server restarted): the same attempt, the same deadline
    again = attempts.challenge_start(contestant=contestant, now=start + timedelta(seconds=30))
    assert again.pk == attempt.pk and again.deadline == start + timedelta(seconds=100)
    served = attempts.question_serve(attempt=again, now=start + timedelta(seconds=40))
    assert served.remaining_ms == 60000
    with pytest.raises(OnlineError) as refused:
        attempts.answer_submit(
            contestant=contestant,
            attempt_id=attempt.pk,
            position=1,
            choices=key(attempt, 1),
            submission=uuid.uuid4(),
            now=start + timedelta(seconds=100),
        )
    assert refused.value.code == "too_late"
    attempt.refresh_from_db()
    assert (attempt.outcome, attempt.correct, attempt.answered) == ("time_up", 1, 1)


def test_a_challenge_past_its_deadline_is_finished_when_served(bank, contestant):
    start = timezone.now() - timedelta(seconds=200)
    attempt = attempts.challenge_start(contestant=contestant, now=start)
    assert attempts.question_serve(attempt=attempt) is None
    attempt.refresh_from_db()
    assert attempt.outcome == "time_up"


def test_challenges_are_capped_per_day(bank, contestant):
    for _ in range(3):
        attempt = attempts.challenge_start(contestant=contestant)
        answer(contestant, attempt, right=False)
    with pytest.raises(OnlineError) as refused:
        attempts.challenge_start(contestant=contestant)
    assert refused.value.code == "attempt_cap"
    assert Attempt.objects.filter(mode="challenge").count() == 3


# --- themed quizzes ----------------------------------------------------------------------------------
def test_a_themed_quiz_draws_its_theme_once(bank, contestant):
    attempt = attempts.themed_start(contestant=contestant, slug="rumours")
    tagged = set(Question.objects.filter(tags__code="rumour-busting").values_list("pk", flat=True))
    assert len(attempt.question_ids) == 5 and set(attempt.question_ids) <= tagged
    assert attempts.themed_start(contestant=contestant, slug="rumours").pk == attempt.pk


def test_a_themed_quiz_for_another_key_group_is_refused(bank, contestant):
    with pytest.raises(OnlineError) as refused:
        attempts.themed_start(contestant=contestant, slug="youth-space")
    assert refused.value.code == "themed_group"
    young = make_contestant(contestant.stage, 7, key_group="youth")
    assert attempts.themed_start(contestant=young, slug="youth-space")


def test_a_themed_quiz_outside_its_window_is_refused(bank, contestant):
    with pytest.raises(OnlineError) as refused:
        attempts.themed_start(contestant=contestant, slug="rumours", now=timezone.now() + timedelta(days=10))
    assert refused.value.code == "themed_closed"
    with pytest.raises(OnlineError) as refused:
        attempts.themed_start(contestant=contestant, slug="nope")
    assert refused.value.code == "themed_unknown"


def test_nothing_starts_outside_the_stage_dates(bank, contestant):
    with pytest.raises(OnlineError) as refused:
        attempts.daily_start(contestant=contestant, now=timezone.now() + timedelta(days=60))
    assert refused.value.code == "stage_closed"


# --- self-test ---------------------------------------------------------------------------------------
def test_the_self_test_returns_a_profile_on_four_dimensions_with_the_missed_explained(
    client, bank, contestant
):
    attempt = attempts.selftest_start(contestant=contestant)
    assert attempt.dimensions.count("knowledge") == 8 and len(attempt.question_ids) == 20
    for n in range(20):
        answer(contestant, attempt, right=attempt.dimensions[n] != "spirit")
    attempt.refresh_from_db()
    scores = {d["name"]: d["score"] for d in attempt.result["dimensions"]}
    assert scores == {"knowledge": 40.0, "method": 20.0, "spirit": 0.0, "application": 20.0}
    assert attempt.result["total"] == 80.0
    contestant.refresh_from_db()
    assert contestant.selftest_score == 80.0
    signed_in(client, contestant)
    page = client.get(reverse("online:attempt", args=[contestant.stage.slug, attempt.pk])).content.decode()
    assert "<svg" in page and page.count('data-testid="missed"') == 4
    missed = Question.objects.get(pk=attempt.question_ids[attempt.dimensions.index("spirit")])
    assert escape(missed.explanation) in page
    with pytest.raises(OnlineError) as refused:
        attempts.selftest_start(contestant=contestant)
    assert refused.value.code == "attempt_cap"


def test_points_add_up_across_modes_on_the_contestant(bank, contestant):
    daily = attempts.daily_start(contestant=contestant)
    for _ in range(5):
        answer(contestant, daily)
    themed = attempts.themed_start(contestant=contestant, slug="rumours")
    for _ in range(5):
        answer(contestant, themed)
    contestant.refresh_from_db()
    assert contestant.points == Contestant.objects.get(pk=contestant.pk).points == 60 + 50


def test_online_draws_leave_out_typed_answers_a_spec_names(bank):
    from competition.online import draws

    ids = draws.draw({"kinds": ["single", "short", "numerical"]}, count=5, seed="typed")

    assert set(Question.objects.filter(id__in=ids).values_list("kind", flat=True)) == {"single"}
    with pytest.raises(OnlineError) as refused:
        draws.draw({"kinds": ["short", "numerical"]}, count=1, seed="typed")
    assert refused.value.code == "draw_failed"
