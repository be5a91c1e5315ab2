"""The report's summary tables: sums over the online stage's answers, contestants and self-tests, kept
by ``competition.report.refresh`` so that the page reads a few thousand rows, never the answers.

Every table is keyed by the online stage and by the contestant's district and key group (the page's
filters), so a filtered figure is a sum of rows. Answers are partitioned by the attempt's day: a refresh
recomputes only the recent days. docs/report.md ("Freshness") says how stale each table may be.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from competition.models import District, Division
from competition.online.models import KeyGroup, OnlineStage


class RefreshState(models.Model):
    """When a stage's summaries were last refreshed, and the watermarks of the incremental refresh."""

    stage = models.OneToOneField(OnlineStage, on_delete=models.CASCADE, related_name="+", primary_key=True)
    answer_id = models.BigIntegerField(default=0, help_text=_("Highest answer id folded in."))
    refreshed_at = models.DateTimeField(null=True, blank=True)
    full_at = models.DateTimeField(null=True, blank=True, help_text=_("Last full refresh (people counts)."))
    took_ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("report refresh")
        verbose_name_plural = _("report refreshes")

    def __str__(self) -> str:
        return f"report of {self.stage_id} at {self.refreshed_at}"


class LiteracyCell(models.Model):
    """Right answers and answers on one day, in one district and key group, per benchmark or domain; or
    (kind ``age``) per age band and domain, with the code ``<band>/<domain>`` (``30-39/D3``)."""

    class Kind(models.TextChoices):
        BENCHMARK = "benchmark", _("benchmark")
        DOMAIN = "domain", _("benchmark domain")
        AGE = "age", _("age band and domain")

    stage = models.ForeignKey(OnlineStage, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    key_group = models.CharField(max_length=12, choices=KeyGroup.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    code = models.CharField(max_length=40)
    correct = models.PositiveIntegerField()
    answered = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "day", "district", "key_group", "kind", "code"], name="report_literacy_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.district_id}/{self.key_group} {self.code}: {self.correct}/{self.answered}"


class LiteracyPeople(models.Model):
    """How many contestants answered at least one question of a benchmark or domain, or (kind ``all``)
    any question at all (full refresh only)."""

    stage = models.ForeignKey(OnlineStage, on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    key_group = models.CharField(max_length=12, choices=KeyGroup.choices)
    kind = models.CharField(max_length=10)
    code = models.CharField(max_length=40)
    people = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "district", "key_group", "kind", "code"], name="report_literacy_people"
            )
        ]

    def __str__(self) -> str:
        return f"{self.district_id}/{self.key_group} {self.code}: {self.people}"


class ItemCell(models.Model):
    """One question's answers on one day in one division, with how often each option was picked."""

    stage = models.ForeignKey(OnlineStage, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    division = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey("questionbank.Question", on_delete=models.CASCADE, related_name="+")
    correct = models.PositiveIntegerField()
    answered = models.PositiveIntegerField()
    picks = models.JSONField(default=dict, help_text=_("Option index -> times picked."))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stage", "day", "division", "question"], name="report_item_cell")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.division_id} q{self.question_id}: {self.correct}/{self.answered}"


class GroupCell(models.Model):
    """Participation and self-test figures of the contestants of one district and key group."""

    stage = models.ForeignKey(OnlineStage, on_delete=models.CASCADE, related_name="+")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    key_group = models.CharField(max_length=12, choices=KeyGroup.choices)
    registered = models.PositiveIntegerField(default=0)
    active = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    qualified = models.PositiveIntegerField(default=0)
    finalists = models.PositiveIntegerField(default=0)
    selftests = models.PositiveIntegerField(default=0)
    over_total = models.PositiveIntegerField(default=0)
    over_composite = models.PositiveIntegerField(default=0)
    bins = models.JSONField(default=dict, help_text=_("Dimension or 'total' -> counts per 10-point bin."))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stage", "district", "key_group"], name="report_group_cell")
        ]

    def __str__(self) -> str:
        return f"{self.district_id}/{self.key_group}: {self.registered}"


class WeekCell(models.Model):
    """New registrations and active contestants in one week (starting Monday), per district and key group."""

    stage = models.ForeignKey(OnlineStage, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    key_group = models.CharField(max_length=12, choices=KeyGroup.choices)
    registered = models.PositiveIntegerField(default=0)
    active = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "week", "district", "key_group"], name="report_week_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.district_id}/{self.key_group}: {self.registered}"
