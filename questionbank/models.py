"""The question bank: questions, the tag taxonomy, the review workflow and where questions were shown.

Rounds copy what they play (quiz.RoundQuestion) and pin the revision (django-reversion) they copied,
so later edits never change what a past round shows.
"""

from collections.abc import Iterable

import reversion
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import TagBase, TaggedItemBase

from questionbank.images import image_dimensions_valid, image_extension_valid, image_size_valid, image_storage


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("single choice")
    MULTIPLE = "multiple", _("multiple choice")
    TRUE_FALSE = "truefalse", _("true or false")
    # A stem with a reference answer, judged by the host (spoken answers in buzzer and wager rounds).
    JUDGED = "judged", _("host-judged")
    # Typed answers (questionbank.engine.typed_answers): 填空 text matched against accepted answers, and a
    # number within a tolerance.
    SHORT = "short", _("short answer")
    NUMERICAL = "numerical", _("numerical")


class Status(models.TextChoices):
    DRAFT = "draft", _("draft")
    REVIEW = "review", _("in review")
    APPROVED = "approved", _("approved")
    RETIRED = "retired", _("retired")


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class Tag(TagBase):
    """A tag in the taxonomy: a benchmark domain, one of the 26 benchmarks, a theme, or a free tag."""

    class Kind(models.TextChoices):
        DOMAIN = "domain", _("benchmark domain")
        BENCHMARK = "benchmark", _("benchmark")
        THEME = "theme", _("competition theme")
        FREE = "free", _("free tag")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.FREE)
    code = models.CharField(_("code"), max_length=40, blank=True, db_index=True)
    name_en = models.CharField(_("English name"), max_length=300, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["kind", "order", "name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip() if self.code else self.name


# Registered so a question's revision stores its tags: Question follows these rows, the admin diff lists
# added and removed tags, and reverting a revision puts its tags back.
@reversion.register()
class TaggedQuestion(TaggedItemBase):
    content_object = models.ForeignKey("Question", on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="tagged_questions")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="tagged_question_unique")
        ]


# updated_at is stored although the diff hides it: the admin's revert preview saves a revision's row raw
# with signals muted, and the column is NOT NULL.
@reversion.register(exclude=["search_text"], follow=["taggedquestion_set"])
class Question(models.Model):
    key = models.SlugField(_("key"), max_length=40, unique=True, help_text=_("Stable id used by imports."))
    kind = models.CharField(
        _("kind"), max_length=12, choices=QuestionKind.choices, default=QuestionKind.SINGLE
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    stem = models.TextField(_("stem"))
    choices = models.JSONField(
        _("choices"), default=list, blank=True, help_text=_("List of 2-6 choice texts.")
    )
    correct = models.JSONField(
        _("correct choices"), default=list, blank=True, help_text=_("0-based indexes of the correct choices.")
    )
    reference_answer = models.TextField(
        _("reference answer"), blank=True, help_text=_("For host-judged questions.")
    )
    accepted_answers = models.JSONField(
        _("accepted answers"),
        default=list,
        blank=True,
        help_text=_(
            "Short answer: every answer that counts as right (compared without case, spaces, "
            "punctuation, full-width or traditional forms)."
        ),
    )
    numeric_value = models.FloatField(_("numeric answer"), null=True, blank=True)
    tolerance = models.FloatField(
        _("tolerance"), default=0, blank=True, help_text=_("Numerical: ± how much still counts.")
    )
    unit = models.CharField(_("unit"), max_length=20, blank=True, help_text=_("Numerical: e.g. m/s or ℃."))
    explanation = models.TextField(_("explanation"), blank=True, help_text=_("The 科普解析 shown at reveal."))
    source = models.CharField(_("source"), max_length=300, blank=True)
    difficulty = models.PositiveSmallIntegerField(_("difficulty"), default=3)
    time_limit = models.PositiveSmallIntegerField(_("time limit (s)"), default=20)
    image = models.ImageField(
        _("image"),
        upload_to="questions/",
        storage=image_storage,
        blank=True,
        validators=[image_extension_valid, image_size_valid, image_dimensions_valid],
        help_text=_("PNG, JPEG, GIF or WebP, at most 2 MB and 4096 pixels a side. Shown under the stem."),
    )
    image_alt = models.CharField(
        _("image description"),
        max_length=200,
        blank=True,
        help_text=_("What the image shows, for screen readers and when it cannot load."),
    )
    theme = models.CharField(_("theme"), max_length=40, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    translation_of = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="translations",
        verbose_name=_("translation of"),
    )
    # Stem and choices in one text, kept by the services, so search is one indexed column.
    search_text = models.TextField(editable=False, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    tags = TaggableManager(through=TaggedQuestion, blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(difficulty__gte=1, difficulty__lte=5), name="question_difficulty_1_5"
            )
        ]
        indexes = [models.Index(fields=["status", "language", "kind", "difficulty"])]
        permissions = [
            ("review_question", "Can approve, return and retire questions"),
            ("import_question", "Can import questions"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.stem[:40]}"

    def clean(self) -> None:
        super().clean()
        if self.image and not self.image_alt.strip():
            raise ValidationError({"image_alt": _("Describe the image for contestants who cannot see it.")})


def search_text(stem: str, choices: Iterable[str]) -> str:
    return "\n".join([stem, *choices])


@receiver(pre_save, sender=Question)
def _restore_what_revisions_leave_out(sender, instance: Question, raw: bool, **kwargs) -> None:
    """A revert (django-reversion) saves the stored row raw: it is changed now, and its search text
    (left out of revisions) is rebuilt."""
    if raw:
        instance.updated_at = timezone.now()
        instance.search_text = search_text(instance.stem, instance.choices or [])


class QuestionTransition(models.Model):
    """Every move in the review workflow: who, when, from what to what, and why."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("question")
    )
    from_status = models.CharField(_("from status"), max_length=10, choices=Status.choices)
    to_status = models.CharField(_("to status"), max_length=10, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"))
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["question", "at", "id"]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.from_status} -> {self.to_status}"


class Exposure(models.Model):
    """The ledger of where and when a question was shown; draws never repeat a question within a stage."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="exposures")
    competition = models.ForeignKey("competition.Competition", on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=100, blank=True)
    round = models.ForeignKey("quiz.Round", on_delete=models.CASCADE, related_name="+")
    shown_at = models.DateTimeField()

    class Meta:
        ordering = ["-shown_at"]
        constraints = [models.UniqueConstraint(fields=["question", "round"], name="exposure_once_per_round")]
        indexes = [models.Index(fields=["competition", "stage"])]

    def __str__(self) -> str:
        return f"{self.question_id} in round {self.round_id}"
