"""The forms of the competition pages: every POST of the stage page and the filters of the boards.

A form only checks and converts what the browser sent; the services (``competition.matches``) act
and raise ``MatchError`` for what only they can judge (a match not ready, a reason missing, the
substitutions used up). A match, stage or player that is not part of the page's competition is not
found (404), like a wrong address; anything else invalid is shown on the page (400).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from competition.models import Competition, Match, Registration, Stage

DEFAULT_QUESTIONS = 10
MAX_QUESTIONS = 60
SEARCH_MAX = 50
REASON_MAX = 200

#: fields whose error means "no such thing here": the view answers 404 rather than 400
NOT_FOUND_FIELDS = ("match", "stage")


def errors_of(form: forms.Form) -> list[str]:
    """The form's errors as lines for the page, the field's label first."""
    lines: list[str] = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        for error in errors:
            line = f"{label}: {error}" if label else str(error)
            if line not in lines:  # every team's missing score says the same
                lines.append(line)
    return lines


def is_not_found(form: forms.Form) -> bool:
    return any(name in form.errors for name in NOT_FOUND_FIELDS)


class StageActionForm(forms.Form):
    """Which of the stage page's forms was sent, and for which match of the stage."""

    ACTIONS = (("start", "start"), ("correct", "correct"), ("substitute", "substitute"))

    action = forms.ChoiceField(
        choices=ACTIONS,
        error_messages={"invalid_choice": _("Unknown action."), "required": _("Unknown action.")},
    )
    match = forms.ModelChoiceField(queryset=Match.objects.none())

    def __init__(self, *args, stage: Stage, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["match"].queryset = Match.objects.select_related("bracket").filter(bracket__stage=stage)


class StartMatchForm(forms.Form):
    """Start a ready match's live round with this many questions (10 when left empty)."""

    questions = forms.CharField(required=False, label=_("Questions"))

    def clean_questions(self) -> int:
        value = self.cleaned_data["questions"].strip()
        if not value:
            return DEFAULT_QUESTIONS
        if not value.isdigit() or not 1 <= int(value) <= MAX_QUESTIONS:
            raise forms.ValidationError(
                gettext("Choose between 1 and %(max)s questions."),
                code="bad_count",
                params={"max": MAX_QUESTIONS},
            )
        return int(value)


class ScoreField(forms.FloatField):
    """A team's score: a whole number stays an int (1900, not 1900.0), a decimal is a float."""

    def to_python(self, value):
        number = super().to_python(value)
        if number is not None and "." not in str(value).strip():
            return int(number)
        return number


class CorrectResultForm(forms.Form):
    """A corrected result for a match: each team's score, its correct time (ms) and, for teams still
    level, its sudden-death place; the reason goes into the record (the service requires one)."""

    reason = forms.CharField(required=False, strip=False, widget=forms.Textarea)

    def __init__(self, *args, match: Match, **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = list(match.teams)
        score_error = _("Give every team a score.")
        for team in self.teams:
            self.fields[f"score_{team}"] = ScoreField(
                error_messages={"required": score_error, "invalid": score_error}
            )
            self.fields[f"time_{team}"] = forms.IntegerField(
                required=False, min_value=0, label=_("Correct time (ms)")
            )
            self.fields[f"sd_{team}"] = forms.IntegerField(
                required=False, min_value=1, label=_("Sudden-death place")
            )

    def result(self) -> dict:
        """The result as ``competition.matches.match_result_correct`` takes it."""
        data = self.cleaned_data
        scores = {
            str(team): {"score": data[f"score_{team}"], "correct_time_ms": data[f"time_{team}"] or 0}
            for team in self.teams
        }
        order = sorted((data[f"sd_{team}"], team) for team in self.teams if data[f"sd_{team}"] is not None)
        return {"scores": scores, "sudden_death": [team for _place, team in order]}


class SubstitutionForm(forms.Form):
    """A substitute of the competition comes on for a member of a team."""

    player_out = forms.ModelChoiceField(queryset=Registration.objects.none(), label=_("Player out"))
    player_in = forms.ModelChoiceField(queryset=Registration.objects.none(), label=_("Player in"))
    reason = forms.CharField(required=False)

    def __init__(self, *args, competition: Competition, **kwargs):
        super().__init__(*args, **kwargs)
        registrations = Registration.objects.select_related("team").filter(competition=competition)
        self.fields["player_out"].queryset = registrations
        self.fields["player_in"].queryset = registrations

    def clean_reason(self) -> str:
        return self.cleaned_data["reason"][:REASON_MAX]

    def clean_player_out(self) -> Registration:
        player = self.cleaned_data["player_out"]
        if player.team is None:
            raise forms.ValidationError(_("That player has no team."), code="not_team_member")
        return player


PAGE_MAX = 100_000


class BoardFilterForm(forms.Form):
    """The leaderboards' filters: the scope (a stage, or empty for every stage), a search by name or
    team (cut to 50 characters) and the page of the individual and team boards."""

    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), required=False)
    q = forms.CharField(required=False)
    # Bounded so that the offset stays an integer every database takes: a season's biggest board has
    # under a million rows, a hundred to a page.
    page = forms.IntegerField(required=False, min_value=1, max_value=PAGE_MAX, label=_("Page"))

    def __init__(self, data, *, competition: Competition):
        super().__init__(data)
        self.fields["stage"].queryset = competition.stages.all()

    def clean_q(self) -> str:
        return self.cleaned_data["q"].strip()[:SEARCH_MAX]

    def clean_page(self) -> int:
        return self.cleaned_data["page"] or 1


class JoinCodesFilterForm(forms.Form):
    """The join-code sheet of one team (``?team=<id>``), or of everyone."""

    team = forms.IntegerField(required=False, min_value=1)
