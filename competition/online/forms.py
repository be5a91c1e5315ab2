"""The online stage's forms: every POST of the contestant pages and the organiser pages goes through one."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from competition.models import District
from competition.online.engine.identity import normalise_mobile
from competition.online.models import KeyGroup, OnlineStage, QualificationRun

BIRTH_YEAR_EARLIEST = 1900
BIRTH_YEAR_YOUNGEST = 5  # the latest year of birth accepted is this many years before the current one


class MobileField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("label", _("Mobile number"))
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "tel", "autocomplete": "tel", "placeholder": "13800000000"})

    def clean(self, value):
        value = super().clean(value)
        mobile = normalise_mobile(value)
        if mobile is None:
            raise forms.ValidationError(_("Enter an 11-digit mainland mobile number."), code="mobile_invalid")
        return mobile


class DistrictChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: District) -> str:
        return f"{obj.division.name} · {obj.name}"


class RegisterForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=50)
    display_name = forms.CharField(
        label=_("Name on public boards"),
        max_length=20,
        required=False,
        help_text=_("Optional. Without one the boards show your surname and asterisks."),
    )
    mobile = MobileField()
    district = DistrictChoiceField(label=_("Division and district"), queryset=District.objects.none())
    unit = forms.CharField(
        label=_("Work unit or school"),
        max_length=100,
        required=False,
        help_text=_("Optional: counts towards your unit's organisation award."),
    )
    key_group = forms.ChoiceField(label=_("Group"), choices=KeyGroup.choices)
    birth_year = forms.IntegerField(
        label=_("Year of birth"),
        required=False,
        help_text=_("Optional: only for the organisers' figures by age band, never shown on a board."),
        error_messages={"invalid": _("Enter the year as four digits, such as 1985.")},
    )
    consent = forms.BooleanField(
        label=_("I have read the privacy notice and agree to my data being used as it describes."),
        error_messages={"required": _("Please agree to the privacy notice to register.")},
    )

    def __init__(self, *args, stage: OnlineStage, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = (
            District.objects.filter(division__competition_id=stage.competition_id)
            .select_related("division")
            .order_by("division__order", "order", "name")
        )
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["birth_year"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "bday-year"})

    def clean_birth_year(self) -> int | None:
        """A year between 1900 and five years ago: anything else is a typing slip, refused with a message."""
        year = self.cleaned_data.get("birth_year")
        if year is None:
            return None
        latest = timezone.localdate().year - BIRTH_YEAR_YOUNGEST
        if not BIRTH_YEAR_EARLIEST <= year <= latest:
            raise forms.ValidationError(
                _("Enter a year of birth between %(first)d and %(last)d.")
                % {"first": BIRTH_YEAR_EARLIEST, "last": latest},
                code="birth_year_range",
            )
        return year


class SignInForm(forms.Form):
    mobile = MobileField()


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code from the SMS"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("The code has 6 digits.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}
        )


class AnswerForm(forms.Form):
    """An answer to the served question. ``submission`` is the page's id for this answer (idempotency)."""

    position = forms.IntegerField(min_value=0, max_value=1000, widget=forms.HiddenInput)
    submission = forms.UUIDField(widget=forms.HiddenInput)
    choice = forms.TypedMultipleChoiceField(
        coerce=int, choices=[(i, str(i)) for i in range(6)], widget=forms.CheckboxSelectMultiple
    )


class ConfirmForm(forms.Form):
    """An explicit yes for a destructive action (deleting one's data)."""

    confirm = forms.BooleanField(label=_("Yes, delete my registration and everything stored about me."))


class EmptyForm(forms.Form):
    """A POST with nothing but the CSRF token (start a mode, sign out)."""


class QualificationForm(forms.ModelForm):
    class Meta:
        model = QualificationRun
        fields = ["rule", "per_district", "members", "cutoff"]
        widgets = {"cutoff": forms.DateTimeInput(attrs={"type": "datetime-local"})}


class FlagDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("cleared", _("clear")), ("upheld", _("uphold"))])
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)
