"""Live rounds: the round and its questions (state), contestants, and the append-only answer log."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from questionbank.images import image_storage
from quiz.engine.rounds import Phase


def new_token_nonce() -> str:
    return secrets.token_urlsafe(9)


class Round(models.Model):
    class JoinMode(models.TextChoices):
        OPEN = "open", _("anyone with the PIN and a nickname")
        REGISTERED = "registered", _("registered contestants with their code")
        BOTH = "both", _("either")

    competition = models.ForeignKey(
        "competition.Competition", on_delete=models.CASCADE, related_name="rounds"
    )
    title = models.CharField(_("title"), max_length=200)
    # The stage of the competition this round belongs to: a question shown in one round of a stage is
    # never drawn again for that stage (questionbank.Exposure).
    stage = models.CharField(_("stage"), max_length=100, blank=True)
    pin = models.CharField(_("PIN"), max_length=6, db_index=True)
    join_mode = models.CharField(max_length=12, choices=JoinMode.choices, default=JoinMode.OPEN)
    scoring = models.JSONField(_("scoring rule"), default=dict, blank=True)
    close_when_all_answered = models.BooleanField(_("close early when everyone has answered"), default=False)
    # State, changed only by quiz.services.rounds through a conditional update on ``version``.
    phase = models.CharField(max_length=12, choices=[(p.value, p.value) for p in Phase], default=Phase.LOBBY)
    version = models.PositiveIntegerField(default=1)
    current_index = models.IntegerField(null=True, blank=True)
    # The round version whose standings are cached on the contestants (quiz.services.standings): they
    # are written after the round's change commits, and an older refresh never overwrites a newer one.
    standings_version = models.PositiveIntegerField(default=0)
    # The round version whose standings are due, and when it became due: set in the transaction of every
    # change that moves the standings. ``standings_version`` below it means the write after the commit
    # failed or never ran (the process died), and ``quiz.services.rounds.standings_repair`` catches up.
    standings_due_version = models.PositiveIntegerField(default=0)
    standings_due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A PIN names one live round at a time; finished rounds free their PIN.
            models.UniqueConstraint(
                fields=["pin"], condition=~models.Q(phase="finished"), name="round_live_pin_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} [{self.pin}]"


class RoundQuestion(models.Model):
    """A question as played in one round: a frozen copy, so later edits in the bank never change it."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    source = models.ForeignKey("questionbank.Question", on_delete=models.SET_NULL, null=True, blank=True)
    # The bank revision this copy was made from (django-reversion), for the record.
    revision = models.ForeignKey(
        "reversion.Version", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, default="single")
    stem = models.TextField()
    choices = models.JSONField()
    correct = models.JSONField()
    # The key of a typed question (short answer, numerical; quiz.engine.typed), copied like the rest. Only
    # ``unit`` reaches a phone before the reveal.
    accepted_answers = models.JSONField(default=list, blank=True)
    numeric_value = models.FloatField(null=True, blank=True)
    tolerance = models.FloatField(default=0, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    explanation = models.TextField(blank=True)
    # The bank image's stored name, copied: image files are content-addressed and never overwritten,
    # so a later new image on the bank question leaves this one in place (questionbank.images).
    image = models.FileField(max_length=100, blank=True, storage=image_storage)
    image_alt = models.CharField(max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField()
    weight = models.PositiveSmallIntegerField(default=1)
    opened_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    revealed_at = models.DateTimeField(null=True, blank=True)
    # While paused: the standard time left (negative when paused in someone's extended time), and since when.
    paused_remaining_ms = models.IntegerField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    # The pauses that have ended, [[start, end], ...] in epoch ms: answering time (t of the score) leaves
    # them out.
    pauses = models.JSONField(default=list, blank=True)
    # Contestants with extended time on this question, frozen when it opened: [[contestant id, percent]].
    time_factors = models.JSONField(default=list, blank=True)
    voided = models.BooleanField(default=False)
    skipped = models.BooleanField(default=False)

    class Meta:
        ordering = ["round", "position"]
        constraints = [
            models.UniqueConstraint(fields=["round", "position"], name="round_question_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.round_id}#{self.position}: {self.stem[:30]}"


class TimeFactor(models.IntegerChoices):
    """A contestant's time on every question, in percent of its time limit (extended time)."""

    STANDARD = 100, _("standard time")
    HALF_MORE = 150, _("time × 1.5")
    DOUBLE = 200, _("time × 2")


class Contestant(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="contestants")
    nickname = models.CharField(max_length=20)
    registration = models.ForeignKey(
        "competition.Registration", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(
        "competition.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Part of the signed reconnect token: a kick rotates it, so the old token stops working.
    token_nonce = models.CharField(max_length=16, default=new_token_nonce)
    # The phone's random key from its join frame: the same join sent again (the welcome was lost) finds
    # this contestant instead of refusing the nickname as taken. Empty for code joins and old clients.
    join_key = models.CharField(max_length=64, blank=True, default="")
    joined_at = models.DateTimeField(auto_now_add=True)
    kicked_at = models.DateTimeField(null=True, blank=True)
    # Extended time from the code card or the host; a question takes the factor in force when it opens.
    time_factor = models.PositiveSmallIntegerField(
        _("time factor"), choices=TimeFactor.choices, default=TimeFactor.STANDARD
    )
    # A cache of the latest standings, written at each reveal; recomputable from the answer log.
    score = models.IntegerField(default=0)
    rank = models.PositiveIntegerField(null=True, blank=True)
    correct_count = models.PositiveSmallIntegerField(default=0)
    # Total elapsed ms of the correct answers: the round's third tie-break, summed by the stage and
    # cumulative boards (competition/leaderboards.py).
    correct_time_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["round", "joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["round", "nickname"], name="contestant_nickname_unique"),
            models.UniqueConstraint(
                fields=["round", "registration"],
                condition=models.Q(registration__isnull=False),
                name="contestant_registration_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.nickname


class Answer(models.Model):
    """One accepted answer: append-only, at most one per contestant and question (the unique
    constraint below; a retry gets the stored answer back)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(RoundQuestion, on_delete=models.CASCADE, related_name="answers")
    contestant = models.ForeignKey(Contestant, on_delete=models.CASCADE, related_name="answers")
    choices = models.JSONField()  # the choices tapped; empty for a typed answer
    text = models.CharField(max_length=200, blank=True, default="")  # a typed answer, as typed (trimmed)
    received_at = models.DateTimeField()
    # t and T of the speed points, fixed at receipt (docs/protocol.md, section 7).
    elapsed_ms = models.PositiveIntegerField(
        help_text="whole ms from opening the question to receipt, less the pauses before it"
    )
    time_limit_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text="the contestant's own time limit: the question's times their factor"
    )
    # Fairness evidence for disputes: what the phone measured.
    rtt_ms = models.PositiveIntegerField(null=True, blank=True)
    client_elapsed_ms = models.PositiveIntegerField(null=True, blank=True)
    # When the contestant tapped, by the phone's estimate of the server clock.
    tapped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["question", "received_at"]
        constraints = [
            models.UniqueConstraint(fields=["contestant", "question"], name="answer_once_per_question")
        ]
        indexes = [models.Index(fields=["round", "question"])]

    def __str__(self) -> str:
        return f"{self.contestant_id} -> {self.question_id}: {self.choices}"


class RoundLog(models.Model):
    """Who changed the round, when and how: the record for disputes."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="log")
    version = models.PositiveIntegerField()
    action = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    at = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["round", "at", "id"]

    def __str__(self) -> str:
        return f"{self.round_id} v{self.version} {self.action}"


# The stage finals' models live beside their services; importing them here registers them with the app.
from quiz.finals.models import (  # noqa: E402, F401
    Final,
    FinalBuzz,
    FinalJudge,
    FinalJudgeScore,
    FinalQuestion,
    FinalScoreEvent,
    FinalTeam,
)
