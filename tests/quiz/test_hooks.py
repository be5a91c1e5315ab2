"""What live rounds ask the competition app through quiz.hooks: host rights, code joins, a finished round.

quiz imports nothing from competition; competition registers its answers in CompetitionConfig.ready.
These tests check the registered rules, the rules with nothing registered, and the round_finished
signal: sent once the finish has committed and its standings write was attempted, and robust to a
receiver that fails.
"""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from competition.matches import RegistrationJoinPolicy
from competition.permissions import CompetitionHostRule
from quiz import hooks, selectors
from quiz.models import Contestant, Round
from quiz.protocol import HostCommand
from quiz.services.contestants import contestant_join
from quiz.services.errors import QuizError
from quiz.services.rounds import access_round_as_host, round_command, round_create
from quiz.services.snapshots import host_snapshot
from tests.factories import HostRoleFactory, QuestionFactory, RegistrationFactory, UserFactory, organiser

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def no_competition_rules():
    """quiz as it would run without the competition app's registrations."""
    hooks.reset()
    yield
    hooks.register_host_rule(CompetitionHostRule())
    hooks.register_join_policy(RegistrationJoinPolicy())


@pytest.fixture
def receiver():
    """A round_finished receiver that records what it saw when it ran."""
    seen: list[dict] = []

    def record(sender, *, round_id: int, **kwargs) -> None:
        seen.append(
            {
                "round": round_id,
                "phase": Round.objects.get(pk=round_id).phase,
                "ranks": sorted(Contestant.objects.filter(round_id=round_id).values_list("rank", flat=True)),
            }
        )

    hooks.round_finished.connect(record, dispatch_uid="test.record")
    yield seen
    hooks.round_finished.disconnect(dispatch_uid="test.record")


def make_round(**options):
    role = HostRoleFactory()
    round_ = round_create(
        competition=role.competition, title="Hooks", questions=[QuestionFactory(correct=[0])], **options
    )
    return round_, role.user


def play_to_the_end(round_: Round, user) -> dict:
    contestant_join(pin=round_.pin, nickname="Ann")
    round_command(user=user, round_id=round_.id, command=HostCommand("open", question=0))
    return round_command(user=user, round_id=round_.id, command=HostCommand("end"))


def test_organisers_may_host_a_round_of_any_competition_as_they_may_manage_it():
    round_, _ = make_round()
    staff = organiser()
    assert access_round_as_host(user=staff, round_id=round_.id) == round_
    assert host_snapshot(user=staff, round_id=round_.id)["round"]["id"] == round_.id
    assert round_ in selectors.rounds_hosted_by(staff)


def test_staff_without_the_organiser_permission_may_not_host():
    """Question editors are staff (they use the admin); that gives them no live round."""
    round_, _ = make_round()
    editor = UserFactory(is_staff=True)
    with pytest.raises(QuizError) as refused:
        access_round_as_host(user=editor, round_id=round_.id)
    assert refused.value.code == "forbidden"
    assert not selectors.rounds_hosted_by(editor).exists()


def test_a_plain_user_may_not_host_and_hosts_nothing():
    round_, _ = make_round()
    nobody = UserFactory()
    with pytest.raises(QuizError) as refused:
        access_round_as_host(user=nobody, round_id=round_.id)
    assert refused.value.code == "forbidden"
    assert not selectors.rounds_hosted_by(nobody).exists()


def test_with_nothing_registered_only_superusers_host(no_competition_rules):
    round_, host = make_round()
    staff = UserFactory(is_staff=True)
    boss = UserFactory(is_superuser=True)
    assert not selectors.user_can_host(host, round_)
    assert not selectors.user_can_host(staff, round_)
    assert selectors.user_can_host(boss, round_)
    assert list(selectors.rounds_hosted_by(host)) == []


def test_with_nothing_registered_no_code_is_known_but_nicknames_join(no_competition_rules):
    round_, _ = make_round(join_mode=Round.JoinMode.BOTH)
    registration = RegistrationFactory(competition=round_.competition)
    with pytest.raises(QuizError) as refused:
        contestant_join(pin=round_.pin, code=registration.code)
    assert refused.value.code == "code_unknown"
    assert contestant_join(pin=round_.pin, nickname="Ann").contestant_id


def test_a_code_joins_as_its_registration_with_its_team():
    round_, _ = make_round(join_mode=Round.JoinMode.REGISTERED)
    registration = RegistrationFactory(competition=round_.competition, name="Carol")
    joined = contestant_join(pin=round_.pin, code=registration.code.lower())
    contestant = Contestant.objects.get(pk=joined.contestant_id)
    assert (contestant.registration_id, contestant.team_id) == (registration.id, registration.team_id)
    assert contestant.nickname == "Carol"


def test_round_finished_is_sent_after_the_finish_committed_with_its_standings_written(receiver):
    round_, user = make_round()
    reply = play_to_the_end(round_, user)
    assert reply["round"]["phase"] == "finished"
    assert receiver == [{"round": round_.id, "phase": "finished", "ranks": [1]}]


def test_round_finished_waits_for_the_enclosing_transaction_and_is_not_sent_if_it_rolls_back(receiver):
    round_, user = make_round()
    with transaction.atomic():
        play_to_the_end(round_, user)
        assert receiver == []  # not committed yet
    assert [seen["round"] for seen in receiver] == [round_.id]

    other, user = make_round()
    with pytest.raises(RuntimeError), transaction.atomic():
        play_to_the_end(other, user)
        raise RuntimeError("the caller's transaction fails")
    assert [seen["round"] for seen in receiver] == [round_.id]
    assert Round.objects.get(pk=other.pk).phase == "lobby"


def test_a_failing_round_finished_receiver_is_logged_and_breaks_nothing(receiver, caplog):
    def broken(sender, **kwargs):
        raise RuntimeError("the bracket is on fire")

    hooks.round_finished.connect(broken, dispatch_uid="test.broken")
    try:
        round_, user = make_round()
        with caplog.at_level(logging.ERROR, logger="quiz.hooks"):
            reply = play_to_the_end(round_, user)
    finally:
        hooks.round_finished.disconnect(dispatch_uid="test.broken")
    assert reply["changed"] is True and reply["round"]["phase"] == "finished"
    assert [seen["round"] for seen in receiver] == [round_.id]  # the other receiver still ran
    assert "the bracket is on fire" in caplog.text
    assert Round.objects.get(pk=round_.pk).phase == "finished"


def test_with_no_receiver_connected_a_round_still_finishes():
    from competition.matches import on_round_finished

    hooks.round_finished.disconnect(dispatch_uid="competition.match_round_finished")
    try:
        assert not hooks.round_finished.has_listeners()
        round_, user = make_round()
        assert play_to_the_end(round_, user)["round"]["phase"] == "finished"
    finally:
        hooks.round_finished.connect(on_round_finished, dispatch_uid="competition.match_round_finished")
