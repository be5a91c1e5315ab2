"""The question form (six choice inputs with a "correct" box each) and the bulk tagging form."""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from questionbank.models import Question, QuestionKind, Tag

MAX_CHOICES = 6
SHAPES = ["▲", "◆", "●", "■", "⬟", "★"]
LETTERS = ["A", "B", "C", "D", "E", "F"]
CHOICE_KINDS = {QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE}
ONE_CORRECT_KINDS = {QuestionKind.SINGLE, QuestionKind.TRUE_FALSE}


def _choice_fields() -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for i in range(MAX_CHOICES):
        fields[f"choice_{i}"] = forms.CharField(
            label=f"{SHAPES[i]} {LETTERS[i]}", required=False, widget=forms.TextInput(attrs={"size": 60})
        )
        fields[f"correct_{i}"] = forms.BooleanField(label=_("correct"), required=False)
    return fields


class QuestionFormBase(forms.ModelForm):
    """Six choice inputs with a 'correct' box each, mapped to the ``choices`` and ``correct`` JSON fields
    (the inputs are declared on ``QuestionForm`` below)."""

    difficulty = forms.TypedChoiceField(
        label=_("difficulty"),
        choices=[(i, f"{i} {'★' * i}") for i in range(1, 6)],
        coerce=int,
        initial=3,
    )
    tags = forms.ModelMultipleChoiceField(
        label=_("tags"),
        queryset=Tag.objects.all(),
        required=False,
        widget=FilteredSelectMultiple(_("tags"), is_stacked=False),
    )
    accepted_text = forms.CharField(
        label=_("accepted answers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
        help_text=_(
            "Short answer: one accepted answer per line. Case, spaces, punctuation, full-width and "
            "traditional forms do not matter."
        ),
    )
    new_tags = forms.CharField(
        label=_("new free tags"),
        required=False,
        help_text=_("Comma-separated; each becomes a free tag."),
    )

    class Meta:
        model = Question
        fields = [
            "key",
            "kind",
            "language",
            "stem",
            "reference_answer",
            "numeric_value",
            "tolerance",
            "unit",
            "explanation",
            "source",
            "difficulty",
            "time_limit",
            "image",
            "image_alt",
            "theme",
            "translation_of",
            "tags",
        ]
        widgets = {
            "stem": forms.Textarea(attrs={"rows": 3, "cols": 80}),
            "explanation": forms.Textarea(attrs={"rows": 4, "cols": 80}),
            "reference_answer": forms.Textarea(attrs={"rows": 2, "cols": 80}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        choices = list(instance.choices or []) if instance.pk else []
        correct = set(instance.correct or []) if instance.pk else set()
        for i in range(MAX_CHOICES):
            self.initial.setdefault(f"choice_{i}", choices[i] if i < len(choices) else "")
            self.initial.setdefault(f"correct_{i}", i in correct)
        if instance.pk:
            self.initial["tags"] = [t.pk for t in instance.tags.all()]
            self.initial.setdefault("accepted_text", "\n".join(instance.accepted_answers or []))

    def clean_difficulty(self):
        value = self.cleaned_data["difficulty"]
        if not 1 <= value <= 5:
            raise ValidationError(_("Difficulty is 1 (easy) to 5 (hard)."))
        return value

    def clean_new_tags(self):
        return [name.strip() for name in self.cleaned_data.get("new_tags", "").split(",") if name.strip()]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        texts = [(self.cleaned_data.get(f"choice_{i}") or "").strip() for i in range(MAX_CHOICES)]
        ticked = [i for i in range(MAX_CHOICES) if self.cleaned_data.get(f"correct_{i}")]
        if data.get("tolerance") is None:
            data["tolerance"] = 0
        if kind == QuestionKind.JUDGED:
            if not (data.get("reference_answer") or "").strip():
                self.add_error("reference_answer", _("A host-judged question needs a reference answer."))
            data["choices"], data["correct"] = [], []
            return data
        accepted = [line.strip() for line in (data.get("accepted_text") or "").splitlines() if line.strip()]
        data["accepted_answers"] = accepted if kind == QuestionKind.SHORT else []
        if kind == QuestionKind.SHORT and not accepted:
            self.add_error("accepted_text", _("A short-answer question needs at least one accepted answer."))
        if kind == QuestionKind.NUMERICAL:
            if data.get("numeric_value") is None:
                self.add_error("numeric_value", _("A numerical question needs its answer as a number."))
            if (data.get("tolerance") or 0) < 0:
                self.add_error("tolerance", _("The tolerance is 0 or more."))
        if kind in (QuestionKind.SHORT, QuestionKind.NUMERICAL):
            data["choices"], data["correct"] = [], []
            return data
        if kind not in CHOICE_KINDS:
            return data
        last = max((i for i, text in enumerate(texts) if text), default=-1)
        choices = texts[: last + 1]
        if any(not text for text in choices):
            self.add_error("choice_0", _("Fill the choices from A downwards, without gaps."))
        elif not 2 <= len(choices) <= MAX_CHOICES:
            self.add_error("choice_0", _("A choice question needs 2 to 6 choices."))
        if any(i >= len(choices) or not texts[i] for i in ticked):
            self.add_error("correct_0", _("A choice marked correct is empty."))
        elif kind in ONE_CORRECT_KINDS and len(ticked) != 1:
            self.add_error("correct_0", _("Mark exactly one correct choice for this kind."))
        elif not ticked:
            self.add_error("correct_0", _("Mark at least one correct choice."))
        data["choices"], data["correct"] = choices, ticked
        return data

    def _post_clean(self):
        super()._post_clean()
        if "choices" in self.cleaned_data:
            self.instance.choices = self.cleaned_data["choices"]
            self.instance.correct = self.cleaned_data["correct"]
        if "accepted_answers" in self.cleaned_data:
            self.instance.accepted_answers = self.cleaned_data["accepted_answers"]


QuestionForm = type("QuestionForm", (QuestionFormBase,), {"__module__": __name__, **_choice_fields()})


class AddTagsForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(
        label=_("tags"),
        queryset=Tag.objects.exclude(kind=Tag.Kind.DOMAIN),
        widget=FilteredSelectMultiple(_("tags"), is_stacked=False),
    )
