"""Competitions, their divisions and teams, registered contestants and who may host."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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


class Team(models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="teams")
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["division__order", "name"]
        constraints = [models.UniqueConstraint(fields=["competition", "name"], name="team_name_unique")]

    def __str__(self) -> str:
        return self.name


class Registration(models.Model):
    """A registered contestant: joins a round with the PIN and this personal code."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="registrations")
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members")
    name = models.CharField(_("name"), max_length=50)
    code = models.CharField(_("contestant code"), max_length=12)

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
