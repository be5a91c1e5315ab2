"""Competitions, their divisions and teams, registered contestants and who may host."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from quiz.models import TimeFactor


class Competition(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("competition")
        verbose_name_plural = _("competitions")

    def __str__(self) -> str:
        return self.name


class Division(models.Model):
    """Beijing, Tianjin or Hebei: the three divisions of the competition."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="divisions")
    code = models.SlugField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["competition", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["competition", "code"], name="division_code_unique")]

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    """A district (Beijing, Tianjin) or prefecture-level city (Hebei): the home of a team."""

    division = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="districts")
    name = models.CharField(_("name"), max_length=50)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["division", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["division", "name"], name="district_name_unique")]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="teams")
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="teams")
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="teams"
    )
    name = models.CharField(_("name"), max_length=100)
    seed = models.PositiveSmallIntegerField(_("seed"), null=True, blank=True)
    captain = models.ForeignKey(
        "Registration", on_delete=models.SET_NULL, null=True, blank=True, related_name="captain_of"
    )

    class Meta:
        ordering = ["division__order", "name"]
        constraints = [models.UniqueConstraint(fields=["competition", "name"], name="team_name_unique")]

    def __str__(self) -> str:
        return self.name


class Registration(models.Model):
    """A registered contestant: joins a round with the PIN and this personal code."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="registrations")
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members")

    class Role(models.TextChoices):
        MEMBER = "member", _("member")
        SUBSTITUTE = "substitute", _("substitute")

    name = models.CharField(_("name"), max_length=50)
    code = models.CharField(_("contestant code"), max_length=12)
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.MEMBER)
    # Extended time printed on the code card: the contestant's time on every question, in percent.
    time_factor = models.PositiveSmallIntegerField(
        _("time factor"), choices=TimeFactor.choices, default=TimeFactor.STANDARD
    )

    class Meta:
        ordering = ["competition", "code"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "code"], name="registration_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class CompetitionRole(models.Model):
    """Who may do what in one competition. Superusers may do everything everywhere."""

    class Role(models.TextChoices):
        HOST = "host", _("host")

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="competition_roles"
    )
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["competition", "user", "role"], name="competition_role_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} @ {self.competition}"


class Stage(models.Model):
    """A stage of a competition (online qualifier, district, division final, grand final).

    ``format`` and ``promotion`` are data for the bracket engine (competition/engine): the bracket type
    with its options, and who goes on to ``next_stage`` (for example the top 4 of each division).
    """

    class Format(models.TextChoices):
        SINGLE_ELIMINATION = "single_elimination", _("single elimination")
        DOUBLE_ELIMINATION = "double_elimination", _("double elimination")
        ROUND_ROBIN = "round_robin", _("round-robin groups")
        HEATS = "heats", _("heats")
        GROUPS_THEN_KNOCKOUT = "groups_then_knockout", _("groups, then knockout")
        OPEN = "open", _("open rounds (qualifier)")

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(default=0)
    format = models.CharField(max_length=24, choices=Format.choices, default=Format.OPEN)
    options = models.JSONField(
        default=dict, blank=True, help_text=_("Bracket options: groups, heat size, ...")
    )
    promotion = models.JSONField(
        default=dict, blank=True, help_text=_("Who advances, e.g. top 4 per division.")
    )
    scoring = models.JSONField(
        default=dict, blank=True, help_text=_("The scoring rule of this stage's rounds.")
    )
    max_substitutions = models.PositiveSmallIntegerField(_("substitutions allowed per match"), default=1)
    next_stage = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["competition", "order"]
        constraints = [models.UniqueConstraint(fields=["competition", "name"], name="stage_name_unique")]

    def __str__(self) -> str:
        return f"{self.competition} · {self.name}"


class Bracket(models.Model):
    """A bracket of a stage (a stage may run one per division). The engine state is rebuilt from
    ``format``, ``teams``, ``options`` and the stored match results; nothing derived is stored."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="brackets")
    name = models.CharField(_("name"), max_length=100)
    format = models.CharField(max_length=24, choices=Stage.Format.choices)
    options = models.JSONField(default=dict, blank=True)
    teams = models.JSONField(help_text=_("Team ids in seed order."))
    sudden_death = models.JSONField(
        default=dict, blank=True, help_text=_("Group -> order settled by sudden death.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["stage", "name"]
        constraints = [models.UniqueConstraint(fields=["stage", "name"], name="bracket_name_unique")]

    def __str__(self) -> str:
        return f"{self.stage.name} · {self.name}"


class Match(models.Model):
    """One match of a bracket, played as a live round (``round``). ``code`` is the engine's match id."""

    bracket = models.ForeignKey(Bracket, on_delete=models.CASCADE, related_name="matches")
    code = models.CharField(max_length=20)
    round = models.OneToOneField(
        "quiz.Round", on_delete=models.SET_NULL, null=True, blank=True, related_name="match"
    )
    teams = models.JSONField(default=list, blank=True, help_text=_("Team ids playing, once known."))
    result = models.JSONField(null=True, blank=True, help_text=_("Team id -> score and correct time."))
    played_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["bracket", "id"]
        constraints = [models.UniqueConstraint(fields=["bracket", "code"], name="match_code_unique")]
        verbose_name_plural = _("matches")

    def __str__(self) -> str:
        return f"{self.bracket} {self.code}"


class ResultCorrection(models.Model):
    """Arbitration: a match result changed by a host, with who, when, why and what changed."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="corrections")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField()
    reason = models.TextField()
    before = models.JSONField(null=True)
    after = models.JSONField()
    affected = models.JSONField(default=list, help_text=_("Later matches refilled or flagged for review."))

    class Meta:
        ordering = ["match", "at"]

    def __str__(self) -> str:
        return f"{self.match} corrected"


class Substitution(models.Model):
    """A substitute comes on for a member in one match; capped per match by the stage."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="substitutions")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    player_out = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="+")
    player_in = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["match", "at"]

    def __str__(self) -> str:
        return f"{self.match}: {self.player_out} -> {self.player_in}"
