"""The question list's filters: difficulty and the tag kinds (benchmarks under their domain, themes, free
tags), each a subquery on the tag through table (no joins, no duplicate rows)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from questionbank.models import Tag, TaggedQuestion


def _tagged(tag_filter: Q):
    return TaggedQuestion.objects.filter(tag_filter).values("content_object_id")


class DifficultyFilter(admin.SimpleListFilter):
    """1 to 5, without the SELECT DISTINCT over the whole table that a plain field filter would run."""

    title = _("difficulty")
    parameter_name = "difficulty"

    def lookups(self, request, model_admin):
        return [(str(i), f"{i} {'★' * i}") for i in range(1, 6)]

    def queryset(self, request, queryset):
        return queryset.filter(difficulty=_int(self.value())) if self.value() else queryset


class TagListFilter(admin.SimpleListFilter):
    """Questions with a tag of one kind; filtered by a subquery on the through table (no joins, no
    duplicates)."""

    tag_kind: str = Tag.Kind.FREE
    template = "admin/questionbank/tag_filter.html"

    def tag_lookups(self) -> list[tuple[str, str, bool]]:
        return [(str(t.pk), str(t), False) for t in Tag.objects.filter(kind=self.tag_kind).order_by("name")]

    def lookups(self, request, model_admin):
        self._grouped = self.tag_lookups()
        return [(value, label) for value, label, _group in self._grouped]

    def choices(self, changelist):
        # "All" first, then one choice per lookup, in order: mark the group headings for the template.
        flags = [False] + [group for _value, _label, group in getattr(self, "_grouped", [])]
        for choice, group in zip(super().choices(changelist), flags, strict=False):
            yield {**choice, "group": group}

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value.startswith("group-"):
            tag_q = Q(tag__parent_id=_int(value[6:])) | Q(tag_id=_int(value[6:]))
        else:
            tag_q = Q(tag_id=_int(value))
        return queryset.filter(pk__in=_tagged(tag_q))


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


class BenchmarkFilter(TagListFilter):
    title = _("benchmark")
    parameter_name = "benchmark"

    def tag_lookups(self):
        tags = list(Tag.objects.filter(kind__in=[Tag.Kind.DOMAIN, Tag.Kind.BENCHMARK]))
        out = []
        for domain in sorted((t for t in tags if t.kind == Tag.Kind.DOMAIN), key=lambda t: (t.order, t.name)):
            out.append((f"group-{domain.pk}", str(domain), True))
            children = [t for t in tags if t.kind == Tag.Kind.BENCHMARK and t.parent_id == domain.pk]
            out += [(str(t.pk), str(t), False) for t in sorted(children, key=lambda t: (t.order, t.name))]
        orphans = [t for t in tags if t.kind == Tag.Kind.BENCHMARK and t.parent_id is None]
        out += [(str(t.pk), str(t), False) for t in orphans]
        return out


class ThemeFilter(TagListFilter):
    title = _("theme")
    parameter_name = "theme_tag"
    tag_kind = Tag.Kind.THEME

    def tag_lookups(self):
        return [(str(t.pk), str(t), False) for t in Tag.objects.filter(kind=self.tag_kind)]


class FreeTagFilter(TagListFilter):
    title = _("free tag")
    parameter_name = "tag"
    tag_kind = Tag.Kind.FREE
