"""The question bank.

Rounds copy what they play (quiz.RoundQuestion), so later edits never change a past round.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("single choice")
    MULTIPLE = "multiple", _("multiple choice")
    TRUE_FALSE = "truefalse", _("true or false")


class Question(models.Model):
    key = models.SlugField(_("key"), max_length=40, unique=True, help_text=_("Stable id used by imports."))
    kind = models.CharField(
        _("kind"), max_length=12, choices=QuestionKind.choices, default=QuestionKind.SINGLE
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    stem = models.TextField(_("stem"))
    choices = models.JSONField(_("choices"), help_text=_("List of 2-6 choice texts."))
    correct = models.JSONField(_("correct choices"), help_text=_("0-based indexes of the correct choices."))
    explanation = models.TextField(_("explanation"), blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    difficulty = models.PositiveSmallIntegerField(_("difficulty"), default=3)
    time_limit = models.PositiveSmallIntegerField(_("time limit (s)"), default=20)
    theme = models.CharField(_("theme"), max_length=40, blank=True)
    translation_of = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="translations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(difficulty__gte=1, difficulty__lte=5), name="question_difficulty_1_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.stem[:40]}"
