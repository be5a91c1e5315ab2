"""The report page's filters: season (competition), online stage, division, district and key group."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from competition.models import Competition, District, Division
from competition.online.models import KeyGroup, OnlineStage


class ReportFilters(forms.Form):
    """GET filters. The season is one of the competitions the user may manage that has an online
    stage; the stage, division and district must belong to it (else the form says so, and the page
    answers 400). An empty stage means the season's latest online stage."""

    season = forms.ModelChoiceField(
        Competition.objects.none(), label=_("Season"), required=False, to_field_name="slug"
    )
    stage = forms.ModelChoiceField(
        OnlineStage.objects.none(), label=_("Stage"), required=False, to_field_name="slug"
    )
    division = forms.ModelChoiceField(
        Division.objects.none(), label=_("Division"), required=False, to_field_name="code"
    )
    district = forms.ModelChoiceField(District.objects.none(), label=_("District"), required=False)
    key_group = forms.ChoiceField(
        choices=[("", _("All key groups")), *KeyGroup.choices], label=_("Key group"), required=False
    )

    def __init__(self, data, *, seasons, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["season"].queryset = seasons
        season = self._season(data, seasons)
        self.season = season
        if season is not None:
            self.fields["stage"].queryset = OnlineStage.objects.filter(competition=season)
            self.fields["division"].queryset = Division.objects.filter(competition=season)
            self.fields["district"].queryset = District.objects.filter(
                division__competition=season
            ).select_related("division")

    @staticmethod
    def _season(data, seasons):
        slug = (data or {}).get("season") or ""
        chosen = seasons.filter(slug=slug).first() if slug else None
        return chosen or seasons.first()

    def clean(self):
        data = super().clean()
        if self.season is None:
            raise forms.ValidationError(_("No season with an online stage that you may see."))
        data["season"] = self.season
        division, district = data.get("division"), data.get("district")
        if division is not None and district is not None and district.division_id != division.pk:
            self.add_error("district", _("This district is not in the division chosen."))
        if data.get("stage") is None:
            data["stage"] = (
                OnlineStage.objects.filter(competition=self.season).order_by("-opens_on", "-pk").first()
            )
            if data["stage"] is None:
                raise forms.ValidationError(_("This season has no online stage yet."))
        return data
