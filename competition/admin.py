from django.contrib import admin

from competition.models import (
    Bracket,
    Competition,
    CompetitionRole,
    District,
    Division,
    Match,
    Registration,
    ResultCorrection,
    Stage,
    Substitution,
    Team,
)


class DivisionInline(admin.TabularInline):
    model = Division
    extra = 0


class RoleInline(admin.TabularInline):
    model = CompetitionRole
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Competition)
class CompetitionAdmin(admin.ModelAdmin):
    list_display = ["name", "year", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DivisionInline, RoleInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "division", "competition"]
    list_filter = ["competition", "division"]
    search_fields = ["name"]


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "team", "competition"]
    list_filter = ["competition", "team__division"]
    search_fields = ["code", "name"]


class DistrictInline(admin.TabularInline):
    model = District
    extra = 0


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "competition", "order"]
    list_filter = ["competition"]
    inlines = [DistrictInline]


class BracketInline(admin.TabularInline):
    model = Bracket
    extra = 0
    fields = ["name", "format", "teams"]
    readonly_fields = ["format", "teams"]
    show_change_link = True


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "competition", "order", "format", "finished_at"]
    list_filter = ["competition", "format"]
    inlines = [BracketInline]


class MatchInline(admin.TabularInline):
    model = Match
    extra = 0
    can_delete = False
    fields = ["code", "teams", "round", "result", "played_at"]
    readonly_fields = ["code", "teams", "round", "result", "played_at"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Bracket)
class BracketAdmin(admin.ModelAdmin):
    list_display = ["name", "stage", "format", "created_at"]
    list_filter = ["stage__competition", "stage"]
    readonly_fields = ["format", "teams", "options", "created_at"]
    inlines = [MatchInline]


@admin.register(Match)
class MatchAdmin(admin.ModelAdmin):
    list_display = ["code", "bracket", "round", "played_at"]
    list_filter = ["bracket__stage__competition", "bracket__stage", "bracket"]
    search_fields = ["code", "bracket__name"]
    list_select_related = ["bracket__stage", "round"]
    readonly_fields = ["bracket", "code", "teams", "result", "played_at"]
    raw_id_fields = ["round"]


class ReadOnlyLogAdmin(admin.ModelAdmin):
    """A log: written by the app (with who, when and why), never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ResultCorrection)
class ResultCorrectionAdmin(ReadOnlyLogAdmin):
    list_display = ["match", "at", "actor", "reason"]
    list_filter = ["match__bracket__stage"]
    search_fields = ["reason", "match__code"]


@admin.register(Substitution)
class SubstitutionAdmin(ReadOnlyLogAdmin):
    list_display = ["match", "team", "player_out", "player_in", "at", "actor"]
    list_filter = ["match__bracket__stage"]
