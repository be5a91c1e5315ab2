from django.contrib import admin

from competition.models import Competition, CompetitionRole, Division, Registration, Team


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
