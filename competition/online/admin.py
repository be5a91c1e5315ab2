"""The online stage in the admin: stages and their rules, contestants (mobiles masked), flags."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from competition.online.engine.rules import RulesError, parse_rules
from competition.online.models import Contestant, Flag, OnlineStage, QualificationRun


class OnlineStageForm(forms.ModelForm):
    class Meta:
        model = OnlineStage
        fields = ["competition", "name", "slug", "opens_on", "closes_on", "rules", "privacy_version"]

    def clean_rules(self):
        rules = self.cleaned_data["rules"]
        try:
            parse_rules(rules)
        except RulesError as exc:
            raise forms.ValidationError(str(exc)) from None
        return rules


@admin.register(OnlineStage)
class OnlineStageAdmin(admin.ModelAdmin):
    form = OnlineStageForm
    list_display = ["name", "competition", "opens_on", "closes_on"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Contestant)
class ContestantAdmin(admin.ModelAdmin):
    list_display = ["display_name", "masked", "district", "key_group", "unit", "points", "held"]
    list_filter = ["stage", "division", "key_group", "held"]
    search_fields = ["display_name", "unit"]
    list_select_related = ["district"]
    show_full_result_count = False
    exclude = ["mobile"]  # the number is for codes and invitations, not for reading
    readonly_fields = ["masked", "consent_at", "privacy_version", "registered_at"]
    raw_id_fields = ["district", "division", "stage"]

    @admin.display(description=_("mobile"))
    def masked(self, obj: Contestant) -> str:
        return obj.masked_mobile


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ["contestant", "kind", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["contestant"]
    readonly_fields = [
        "contestant",
        "kind",
        "evidence",
        "created_at",
        "status",
        "decided_by",
        "decided_at",
        "reason",
    ]

    def has_add_permission(self, request) -> bool:
        return False  # flags come from the checks; decisions from the organiser page (logged)


@admin.register(QualificationRun)
class QualificationRunAdmin(admin.ModelAdmin):
    list_display = ["stage", "rule", "per_district", "cutoff", "created_at"]
    readonly_fields = ["created_by", "created_at"]
