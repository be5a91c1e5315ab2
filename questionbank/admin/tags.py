"""The tag admin: the taxonomy (domains with their benchmarks, themes) and free tags."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Case, Count, F, IntegerField, Value, When
from django.db.models.functions import Coalesce
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from questionbank.models import Tag


class TagChildInline(admin.TabularInline):
    model = Tag
    fk_name = "parent"
    fields = ["code", "name", "name_en", "kind", "order"]
    extra = 0
    show_change_link = True
    verbose_name_plural = _("children")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["tree_name", "code", "kind", "parent", "question_count"]
    list_filter = ["kind"]
    search_fields = ["name", "name_en", "code", "slug"]
    list_select_related = ["parent"]
    ordering = ["kind", "order", "name"]
    fields = ["kind", "code", "name", "name_en", "slug", "parent", "order"]
    prepopulated_fields = {}
    raw_id_fields = ["parent"]
    inlines = [TagChildInline]
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_questions=Count("tagged_questions"))

    def get_ordering(self, request):
        # Domains with their benchmarks under them, then themes, then free tags.
        kind_rank = Case(
            When(kind__in=[Tag.Kind.DOMAIN, Tag.Kind.BENCHMARK], then=Value(0)),
            When(kind=Tag.Kind.THEME, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return [
            kind_rank.asc(),
            Coalesce(F("parent__order"), F("order")).asc(),
            Coalesce(F("parent_id"), F("id")).asc(),
            F("parent_id").asc(nulls_first=True),
            "order",
            "name",
        ]

    @admin.display(description=_("tag"), ordering="name")
    def tree_name(self, obj):
        depth = 1 if obj.parent_id else 0
        return format_html(
            '<span style="padding-left:{}em">{}{}</span>', depth * 1.5, "└ " if depth else "", str(obj)
        )

    @admin.display(description=_("questions"), ordering="n_questions")
    def question_count(self, obj):
        return obj.n_questions

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None and obj.kind == Tag.Kind.DOMAIN else []

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        # Editors who may add tags but not change the taxonomy add free tags only.
        if db_field.name == "kind" and not request.user.has_perm("questionbank.change_tag"):
            kwargs["choices"] = [(Tag.Kind.FREE.value, Tag.Kind.FREE.label)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)
