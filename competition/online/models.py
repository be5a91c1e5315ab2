"""The online stage: contestants, their attempts and answers, duels, fair-play flags, qualification.

Sized for a season (740,000 contestants, millions of answers): a contestant row carries the running
figures the boards sort by (points, correct, time), kept by the services in the same transaction as
the attempt that changes them, so a board is one indexed query, not a sum over the answers.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from competition.models import Competition, District, Division, Registration, Team
from competition.online.engine.identity import mask_mobile


class KeyGroup(models.TextChoices):
    YOUTH = "youth", _("Young people")
    FARMER = "farmer", _("Farmers")
    WORKER = "worker", _("Industrial workers")
    SENIOR = "senior", _("Older people")
    OFFICIAL = "official", _("Leading cadres and civil servants")
    OTHER = "other", _("Other")


class OnlineStage(models.Model):
    """A competition's online stage, open from ``opens_on`` to ``closes_on`` (local dates), with its
    rules as data (``competition.online.engine.rules``)."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="online_stages")
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), unique=True)
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    rules = models.JSONField(_("rules"), default=dict, blank=True)
    privacy_version = models.CharField(_("privacy notice version"), max_length=20, default="2026-1")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_on"]
        verbose_name = _("online stage")
        verbose_name_plural = _("online stages")

    def __str__(self) -> str:
        return f"{self.competition} · {self.name}"


class Contestant(models.Model):
    """A citizen registered for an online stage, identified by a mobile number."""

    stage = models.ForeignKey(OnlineStage, on_delete=models.CASCADE, related_name="contestants")
    name = models.CharField(_("name"), max_length=50)
    display_name = models.CharField(_("display name"), max_length=20)
    mobile = models.CharField(_("mobile"), max_length=11)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    unit = models.CharField(_("unit"), max_length=100, blank=True)
    key_group = models.CharField(_("key group"), max_length=12, choices=KeyGroup.choices)
    # Optional, for the report's age bands only (never shown on a board).
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    consent_at = models.DateTimeField(_("consented at"))
    privacy_version = models.CharField(max_length=20)
    registered_at = models.DateTimeField(default=timezone.now)
    # Running figures (services keep them with the attempt that changes them).
    points = models.IntegerField(default=0)
    correct = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    answer_ms = models.BigIntegerField(default=0, help_text=_("Total time of the correct answers."))
    daily_days = models.PositiveIntegerField(default=0)
    streak = models.PositiveIntegerField(default=0)
    best_streak = models.PositiveIntegerField(default=0)
    last_daily_on = models.DateField(null=True, blank=True)
    challenge_best = models.PositiveIntegerField(default=0)
    challenge_best_ms = models.PositiveIntegerField(default=0)
    challenge_successes = models.PositiveIntegerField(default=0)
    selftest_score = models.FloatField(null=True, blank=True)
    last_active_on = models.DateField(null=True, blank=True)
    held = models.BooleanField(
        _("held"), default=False, help_text=_("Flagged for fair play: out of qualification until cleared.")
    )

    class Meta:
        ordering = ["stage", "id"]
        verbose_name = _("online contestant")
        verbose_name_plural = _("online contestants")
        constraints = [models.UniqueConstraint(fields=["stage", "mobile"], name="online_contestant_mobile")]
        indexes = [
            models.Index(
                "stage",
                models.F("points").desc(),
                models.F("correct").desc(),
                "answer_ms",
                "registered_at",
                name="online_board_all",
            ),
            models.Index(
                "stage",
                "district",
                models.F("points").desc(),
                models.F("correct").desc(),
                "answer_ms",
                name="online_board_district",
            ),
            models.Index(
                "stage",
                "division",
                models.F("points").desc(),
                models.F("correct").desc(),
                "answer_ms",
                name="online_board_division",
            ),
            models.Index(
                "stage",
                "key_group",
                models.F("points").desc(),
                models.F("correct").desc(),
                "answer_ms",
                name="online_board_group",
            ),
            models.Index("stage", "unit", models.F("points").desc(), name="online_board_unit"),
            models.Index(
                "stage",
                "district",
                models.F("challenge_best").desc(),
                "challenge_best_ms",
                name="online_challenge_district",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.masked_mobile})"

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)


class SignInCode(models.Model):
    """A one-time code sent by SMS: stored as a keyed hash, expires, single use, a few tries."""

    stage = models.ForeignKey(OnlineStage, on_delete=models.CASCADE, related_name="+")
    mobile = models.CharField(max_length=11)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    tries = models.PositiveSmallIntegerField(default=0)
    address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["stage", "mobile", "-created_at"], name="online_code_mobile")]

    def __str__(self) -> str:
        return f"code for {mask_mobile(self.mobile)}"


class Mode(models.TextChoices):
    DAILY = "daily", _("Daily set")
    CHALLENGE = "challenge", _("Timed challenge")
    THEMED = "themed", _("Themed quiz")
    SELFTEST = "selftest", _("Science literacy self-test")


class Attempt(models.Model):
    """One go at a mode: its drawn questions, the one being served, and the result once finished."""

    contestant = models.ForeignKey(Contestant, on_delete=models.CASCADE, related_name="attempts")
    mode = models.CharField(max_length=12, choices=Mode.choices)
    theme = models.CharField(max_length=40, blank=True)
    day = models.DateField(help_text=_("Local date the attempt started."))
    question_ids = models.JSONField(default=list)
    dimensions = models.JSONField(
        default=list, blank=True, help_text=_("Self-test: each question's dimension.")
    )
    position = models.PositiveSmallIntegerField(default=0)
    served_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, blank=True)
    correct = models.PositiveSmallIntegerField(default=0)
    answered = models.PositiveSmallIntegerField(default=0)
    answer_ms = models.PositiveIntegerField(default=0)
    points = models.IntegerField(default=0)
    result = models.JSONField(default=dict, blank=True)
    fingerprint = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["contestant", "day"], condition=Q(mode="daily"), name="online_one_daily_a_day"
            ),
            models.UniqueConstraint(
                fields=["contestant", "theme"], condition=Q(mode="themed"), name="online_one_themed_each"
            ),
        ]
        indexes = [
            models.Index(fields=["contestant", "mode", "day"], name="online_attempt_day"),
            models.Index(fields=["fingerprint"], condition=~Q(fingerprint=""), name="online_fingerprint"),
            models.Index(fields=["mode", "finished_at"], name="online_attempt_finished"),
            models.Index(fields=["finished_at"], name="online_attempt_finished_at"),
        ]

    def __str__(self) -> str:
        return f"{self.mode} {self.day} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


class Answer(models.Model):
    """One answer, append-only. ``submission`` is the client's id: a retry with it returns the same result."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    position = models.PositiveSmallIntegerField()
    question = models.ForeignKey("questionbank.Question", on_delete=models.PROTECT, related_name="+")
    choices = models.JSONField()
    correct = models.BooleanField()
    received_at = models.DateTimeField()
    elapsed_ms = models.PositiveIntegerField()
    submission = models.UUIDField()

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="online_answer_once"),
            models.UniqueConstraint(fields=["attempt", "submission"], name="online_answer_submission"),
        ]

    def __str__(self) -> str:
        return f"answer {self.attempt_id}/{self.position}"


class Device(models.Model):
    """A browser (a long-lived random cookie) that signed in to an account; many accounts on one is a sign."""

    device = models.CharField(max_length=32)
    contestant = models.ForeignKey(Contestant, on_delete=models.CASCADE, related_name="devices")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "contestant"], name="online_device_once")]

    def __str__(self) -> str:
        return f"device {self.device[:8]}"


class Duel(models.Model):
    """A real-time duel of two contestants on the same questions. State changes by conditional updates
    on ``version``; deadlines are stored, so any process can move it on."""

    class Phase(models.TextChoices):
        WAITING = "waiting", _("waiting for the partner")
        OPEN = "open", _("question open")
        REVEALED = "revealed", _("answer shown")
        FINISHED = "finished", _("finished")
        EXPIRED = "expired", _("partner never came")

    stage = models.ForeignKey(OnlineStage, on_delete=models.CASCADE, related_name="duels")
    code = models.CharField(max_length=12, unique=True)
    random_match = models.BooleanField(default=False)
    phase = models.CharField(max_length=10, choices=Phase.choices, default=Phase.WAITING)
    version = models.PositiveIntegerField(default=0)
    question_ids = models.JSONField(default=list)
    position = models.SmallIntegerField(default=-1)
    opened_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    next_at = models.DateTimeField(null=True, blank=True, help_text=_("When the next question opens."))
    created_at = models.DateTimeField()
    join_by = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["stage", "random_match", "phase"], name="online_duel_waiting"),
            models.Index(fields=["finished_at"], name="online_duel_finished_at"),
        ]

    def __str__(self) -> str:
        return f"duel {self.code}"


class DuelSeat(models.Model):
    duel = models.ForeignKey(Duel, on_delete=models.CASCADE, related_name="seats")
    contestant = models.ForeignKey(Contestant, on_delete=models.CASCADE, related_name="duel_seats")
    seat = models.PositiveSmallIntegerField()
    score = models.PositiveIntegerField(default=0)
    correct = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=5, blank=True)
    points = models.IntegerField(default=0)

    class Meta:
        ordering = ["duel", "seat"]
        constraints = [
            models.UniqueConstraint(fields=["duel", "seat"], name="online_duel_seat"),
            models.UniqueConstraint(fields=["duel", "contestant"], name="online_duel_contestant"),
        ]

    def __str__(self) -> str:
        return f"{self.duel} seat {self.seat}"


class DuelAnswer(models.Model):
    duel = models.ForeignKey(Duel, on_delete=models.CASCADE, related_name="answers")
    seat = models.PositiveSmallIntegerField()
    position = models.PositiveSmallIntegerField()
    question = models.ForeignKey("questionbank.Question", on_delete=models.PROTECT, related_name="+")
    choices = models.JSONField()
    correct = models.BooleanField()
    elapsed_ms = models.PositiveIntegerField()
    points = models.PositiveIntegerField()
    received_at = models.DateTimeField()
    submission = models.UUIDField(default=uuid.uuid4)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["duel", "seat", "position"], name="online_duel_answer_once")
        ]

    def __str__(self) -> str:
        return f"{self.duel} seat {self.seat} q{self.position}"


class Flag(models.Model):
    """A sign of scripted play with its evidence. While a flag is open the contestant is held out of
    qualification; an organiser clears or upholds it, and the decision is logged."""

    class Kind(models.TextChoices):
        TOO_FAST = "too_fast", _("answers faster than reading time")
        SAME_ANSWERS = "same_answers", _("same answers and timings as other accounts")
        SHARED_DEVICE = "shared_device", _("many accounts on one device")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLEARED = "cleared", _("cleared")
        UPHELD = "upheld", _("upheld")

    contestant = models.ForeignKey(Contestant, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    evidence = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("fair-play flag")
        verbose_name_plural = _("fair-play flags")
        constraints = [
            models.UniqueConstraint(
                fields=["contestant", "kind"], condition=Q(status="open"), name="online_flag_open_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.contestant}"


class QualificationRun(models.Model):
    """An organiser's qualifier list: a rule, K per district and a cut-off, with the qualifiers found."""

    class Rule(models.TextChoices):
        POINTS = "points", _("season points")
        CHALLENGE = "challenge", _("timed challenge results")

    stage = models.ForeignKey(OnlineStage, on_delete=models.CASCADE, related_name="qualifications")
    rule = models.CharField(max_length=10, choices=Rule.choices)
    per_district = models.PositiveSmallIntegerField(default=6)
    members = models.PositiveSmallIntegerField(
        default=4, help_text=_("Members per team; the rest substitute.")
    )
    cutoff = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")

    def __str__(self) -> str:
        return f"{self.stage}: {self.get_rule_display()} top {self.per_district}"


class Qualifier(models.Model):
    class Status(models.TextChoices):
        LISTED = "listed", _("listed")
        INVITED = "invited", _("invited")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    run = models.ForeignKey(QualificationRun, on_delete=models.CASCADE, related_name="qualifiers")
    contestant = models.ForeignKey(Contestant, on_delete=models.CASCADE, related_name="qualifications")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveSmallIntegerField()
    figures = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.LISTED)
    token = models.CharField(max_length=32, unique=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    registration = models.ForeignKey(
        Registration, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["run", "district", "rank"]
        constraints = [models.UniqueConstraint(fields=["run", "contestant"], name="online_qualifier_once")]

    def __str__(self) -> str:
        return f"{self.district} #{self.rank}"
