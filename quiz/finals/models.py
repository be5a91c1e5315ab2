"""A stage final: its state row (versioned), teams, judges, frozen questions and the append-only logs."""

from __future__ import annotations

import secrets

from django.db import models

from quiz.engine.finals.script import STAGES


def _nonce() -> str:
    return secrets.token_urlsafe(9)


class Final(models.Model):
    """The final played on a round (its PIN, its competition, its socket channel).

    ``state`` is the engine's ``StageState`` as data (``quiz.engine.finals.codec``); it changes only in
    ``quiz.finals.services`` through a conditional update on ``version``.
    """

    round = models.OneToOneField("quiz.Round", on_delete=models.CASCADE, related_name="final")
    stage = models.CharField(max_length=20, choices=[(s, s) for s in STAGES], default="district")
    script = models.JSONField()
    state = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=0)
    # The 加赛 order (FinalTeam ids, best first) once a sudden death has decided it.
    sudden_death = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"final of round {self.round_id}"


class FinalTeam(models.Model):
    final = models.ForeignKey(Final, on_delete=models.CASCADE, related_name="teams")
    team = models.ForeignKey(
        "competition.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    seed = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    district = models.CharField(max_length=100, blank=True)
    unit = models.CharField(max_length=200, blank=True)
    members = models.JSONField(default=list, blank=True)  # names, in answering rotation
    # Part of the captain's and members' signed links: rotating it revokes them.
    token_nonce = models.CharField(max_length=16, default=_nonce)

    class Meta:
        ordering = ["final", "seed"]
        constraints = [models.UniqueConstraint(fields=["final", "seed"], name="final_team_seed_unique")]

    def __str__(self) -> str:
        return self.name


class FinalJudge(models.Model):
    final = models.ForeignKey(Final, on_delete=models.CASCADE, related_name="judges")
    name = models.CharField(max_length=100)
    district = models.CharField(max_length=100, blank=True)
    unit = models.CharField(max_length=200, blank=True)
    token_nonce = models.CharField(max_length=16, default=_nonce)

    class Meta:
        ordering = ["final", "id"]

    def __str__(self) -> str:
        return self.name


class FinalQuestion(models.Model):
    """A bank question as played in one segment of a final: a frozen copy. Segment -1 is the 加赛 pool."""

    final = models.ForeignKey(Final, on_delete=models.CASCADE, related_name="questions")
    segment = models.SmallIntegerField()
    position = models.PositiveSmallIntegerField()
    source = models.ForeignKey(
        "questionbank.Question", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12)
    stem = models.TextField()
    choices = models.JSONField(default=list, blank=True)
    correct = models.JSONField(default=list, blank=True)
    reference_answer = models.TextField(blank=True)
    explanation = models.TextField(blank=True)

    class Meta:
        ordering = ["final", "segment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["final", "segment", "position"], name="final_question_unique")
        ]

    def __str__(self) -> str:
        return f"{self.final_id} {self.segment}.{self.position}: {self.stem[:30]}"


class FinalScoreEvent(models.Model):
    """One score event: append-only. An undo is another row naming the one it reverses."""

    final = models.ForeignKey(Final, on_delete=models.CASCADE, related_name="score_events")
    seq = models.PositiveIntegerField()
    team = models.ForeignKey(FinalTeam, on_delete=models.CASCADE, related_name="score_events")
    points = models.DecimalField(max_digits=9, decimal_places=2)
    reason = models.CharField(max_length=30)
    rule_version = models.PositiveIntegerField()
    actor = models.CharField(max_length=120, blank=True)
    segment = models.SmallIntegerField(null=True, blank=True)
    question = models.SmallIntegerField(null=True, blank=True)
    undoes = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField()  # the final's version that logged it
    at = models.DateTimeField()

    class Meta:
        ordering = ["final", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["final", "seq"], name="final_score_event_seq_unique"),
            models.UniqueConstraint(
                fields=["final", "undoes"], condition=models.Q(undoes__isnull=False), name="final_undo_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.final_id} #{self.seq}: {self.team_id} {self.points} {self.reason}"


class FinalBuzz(models.Model):
    """One accepted press with its evidence, on the server's clock in epoch ms (phone stamp: its clock)."""

    final = models.ForeignKey(Final, on_delete=models.CASCADE, related_name="buzzes")
    version = models.PositiveIntegerField()
    segment = models.SmallIntegerField()  # -1: a 加赛 question
    question = models.SmallIntegerField()
    team = models.ForeignKey(FinalTeam, on_delete=models.CASCADE, related_name="buzzes")
    seq = models.PositiveSmallIntegerField()  # arrival order on the question
    early = models.BooleanField(default=False)
    received_ms = models.FloatField()
    press_ms = models.FloatField(null=True, blank=True)
    offset_ms = models.FloatField()
    rtt_ms = models.FloatField()
    bound_ms = models.FloatField()
    mapped_ms = models.FloatField()
    clamped = models.BooleanField(default=False)
    window_ms = models.PositiveIntegerField()
    window_max_ms = models.PositiveIntegerField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["final", "segment", "question", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["final", "segment", "question", "team"],
                condition=models.Q(early=False),
                name="final_buzz_once_per_question",
            )
        ]

    def __str__(self) -> str:
        return f"{self.final_id} {self.segment}.{self.question} #{self.seq}: {self.team_id}"


class FinalJudgeScore(models.Model):
    """A judge's score as entered (append-only; the latest per judge and team counts until revealed)."""

    final = models.ForeignKey(Final, on_delete=models.CASCADE, related_name="judge_scores")
    segment = models.SmallIntegerField()
    judge = models.ForeignKey(FinalJudge, on_delete=models.CASCADE, related_name="scores")
    team = models.ForeignKey(FinalTeam, on_delete=models.CASCADE, related_name="judge_scores")
    value = models.DecimalField(max_digits=5, decimal_places=1)
    at = models.DateTimeField()

    class Meta:
        ordering = ["final", "at", "id"]

    def __str__(self) -> str:
        return f"{self.final_id}: {self.judge_id} -> {self.team_id} {self.value}"
