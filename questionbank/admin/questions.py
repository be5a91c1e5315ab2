"""The question editors' admin: the list (filters, search, tags), the form, revisions with diffs, a phone
preview, and links to the import, item statistics and draw preview pages.

Writes go through ``questionbank.services``: ``question_save`` (a reversion revision and ``search_text``
on every edit) and ``question_transition`` (who, when and why for every workflow move, see
``questionbank.admin.workflow``). The status field is never edited in the form; it moves only by the
workflow buttons and the bulk actions. Search: ``questionbank.admin.search``.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from reversion_compare.admin import CompareVersionAdmin
from reversion_compare.helpers import html_diff

from questionbank import services
from questionbank.admin.actions import tag_selected
from questionbank.admin.filters import BenchmarkFilter, DifficultyFilter, FreeTagFilter, ThemeFilter
from questionbank.admin.forms import LETTERS, MAX_CHOICES, SHAPES, QuestionForm
from questionbank.admin.imports import import_urls
from questionbank.admin.pages import stats_urls
from questionbank.admin.search import question_search
from questionbank.admin.workflow import BULK_ACTIONS, TransitionInline, WorkflowAdmin
from questionbank.engine.item_checks import item_flags
from questionbank.item_review import item_of, question_flags
from questionbank.models import Question, QuestionKind, Status, Tag

# Links on the change list to the pages beside it, by URL name.
EXTRA_LINKS = [
    ("questionbank_question_import", _("Import")),
    ("questionbank_question_statistics", _("Item statistics")),
    ("questionbank_question_draw", _("Draw preview")),
]


@admin.register(Question)
class QuestionAdmin(WorkflowAdmin, CompareVersionAdmin):
    form = QuestionForm
    change_list_template = "admin/questionbank/question/change_list.html"
    change_form_template = "admin/questionbank/question/change_form.html"
    list_display = [
        "key",
        "short_stem",
        "kind",
        "status_badge",
        "language",
        "difficulty",
        "tags_summary",
        "item_checks",
        "updated_at",
        "preview_link",
    ]
    list_display_links = ["key", "short_stem"]
    list_filter = [
        "status",
        "kind",
        "language",
        DifficultyFilter,
        BenchmarkFilter,
        ThemeFilter,
        FreeTagFilter,
    ]
    search_fields = ["search_text"]  # shows the search box; get_search_results does the work
    search_help_text = _("Words in the stem or the choices (any fragment of Chinese text), or a key.")
    list_per_page = 50
    show_full_result_count = False
    readonly_fields = ["status", "author", "created_at", "updated_at"]
    inlines = [TransitionInline]
    actions = [*BULK_ACTIONS, tag_selected]
    history_latest_first = True
    compare_exclude = ["updated_at", "tags"]  # tags: see compare()
    fieldsets = [
        (None, {"fields": ["key", ("kind", "language"), "status", "stem"]}),
        (
            _("Choices"),
            {
                "fields": [(f"choice_{i}", f"correct_{i}") for i in range(MAX_CHOICES)],
                "description": _(
                    "2 to 6 choices from A downwards; tick the correct ones (exactly one for single "
                    "choice and true or false). Host-judged questions use the reference answer instead."
                ),
            },
        ),
        (
            _("Typed answer"),
            {
                "fields": ["accepted_text", ("numeric_value", "tolerance", "unit")],
                "description": _(
                    "Short answer: the accepted answers. Numerical: the number, ± tolerance and unit "
                    "(contestants may type the unit or leave it out)."
                ),
            },
        ),
        (None, {"fields": ["reference_answer", "explanation", "source"]}),
        (
            _("Classification"),
            {
                "fields": [
                    ("difficulty", "time_limit"),
                    "tags",
                    "new_tags",
                    "theme",
                    ("image", "image_alt"),
                    "translation_of",
                ]
            },
        ),
        (_("Record"), {"fields": [("author", "created_at", "updated_at")], "classes": ["collapse"]}),
    ]
    raw_id_fields = ["translation_of"]

    # --- revisions ---

    def compare(self, obj, version1, version2):
        """The field diff, plus the tags: they are stored as TaggedQuestion rows of the same revision,
        which reversion-compare cannot read through django-taggit's manager."""
        diff, has_unfollowed_fields = super().compare(obj, version1, version2)
        before, after = services.revision_tags(version1), services.revision_tags(version2)
        if before != after:
            diff.append(
                {
                    "field": Question._meta.get_field("tags"),
                    "is_related": False,
                    "follow": True,
                    "diff": html_diff("\n".join(before), "\n".join(after)),
                }
            )
        return diff, has_unfollowed_fields

    # --- list ---

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    @admin.display(description=_("stem"))
    def short_stem(self, obj):
        return Truncator(obj.stem).chars(60)

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        colours = {"draft": "#64748b", "review": "#b45309", "approved": "#15803d", "retired": "#7f1d1d"}
        return format_html(
            '<span style="color:#fff;background:{};border-radius:9px;padding:1px 8px;white-space:nowrap">'
            "{}</span>",
            colours.get(obj.status, "#64748b"),
            obj.get_status_display(),
        )

    @admin.display(description=_("tags"))
    def tags_summary(self, obj):
        # Prefetched rows come in no set order (PostgreSQL differs from SQLite): sort like Tag.Meta.
        tags = sorted(obj.tags.all(), key=lambda t: (t.kind, t.order, t.name))
        shown = ", ".join((t.code or t.name) for t in tags[:4])
        return shown + (f" +{len(tags) - 4}" if len(tags) > 4 else "")

    @admin.display(description=_("item checks"))
    def item_checks(self, obj):
        """The item-writing checks this question fails on its own (the change page adds those across the
        bank); the codes are explained in docs/item-checks.md."""
        flags = item_flags(item_of(obj))
        if not flags:
            return ""
        return format_html(
            '<span class="item-checks" title="{}" style="color:#b45309">⚑ {}</span>',
            "\n".join(f.message for f in flags),
            ", ".join(f.check for f in flags),
        )

    @admin.display(description=_("phone"))
    def preview_link(self, obj):
        url = reverse("admin:questionbank_question_preview", args=[quote(obj.pk)])
        return format_html('<a href="{}" title="{}">📱</a>', url, _("Phone preview"))

    def get_search_results(self, request, queryset, search_term):
        return question_search(queryset, search_term), False

    # --- form ---

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if obj else [f for f in fields if f != "status"] + ["status"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.author = request.user
            obj.status = Status.DRAFT
        services.question_save(obj, user=request.user, comment="edited in the admin" if change else "created")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        names = form.cleaned_data.get("new_tags") or []
        if names and request.user.has_perm("questionbank.add_tag"):
            tags = []
            for name in names:
                tag = Tag.objects.filter(name__iexact=name).first()
                if tag is None:
                    tag = Tag(name=name, kind=Tag.Kind.FREE)
                    tag.save()
                tags.append(tag)
            form.instance.tags.add(*tags)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            extra_context["workflow_actions"] = self.workflow_buttons(request, obj)
            extra_context["workflow_url"] = reverse(
                "admin:questionbank_question_workflow", args=[quote(obj.pk)]
            )
            extra_context["preview_url"] = reverse(
                "admin:questionbank_question_preview", args=[quote(obj.pk)]
            )
            extra_context["item_flags"] = question_flags(obj)
        return super().change_view(request, object_id, form_url, extra_context)

    # --- extra views ---

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        site = self.admin_site
        own = [
            path(
                "<path:object_id>/workflow/",
                site.admin_view(self.workflow_view),
                name="{}_{}_workflow".format(*info),
            ),
            path(
                "<path:object_id>/preview/",
                site.admin_view(self.preview_view),
                name="{}_{}_preview".format(*info),
            ),
        ]
        pages = import_urls(site) + stats_urls(site)
        self._extra_link_names = [p.name for p in pages if p.name]
        own += pages
        return own + super().get_urls()

    def _extra_links(self) -> list[tuple[str, str]]:
        names = getattr(self, "_extra_link_names", [])
        return [
            (reverse(f"{self.admin_site.name}:{name}"), label) for name, label in EXTRA_LINKS if name in names
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {"extra_links": self._extra_links(), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def preview_view(self, request, object_id):
        question = get_object_or_404(Question, pk=unquote(object_id))
        if not self.has_view_permission(request, question):
            raise PermissionDenied
        choices = [
            {
                "index": i,
                "shape": SHAPES[i],
                "letter": LETTERS[i],
                "text": text,
                "correct": i in (question.correct or []),
            }
            for i, text in enumerate(question.choices or [])
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "question": question,
            "choices": choices,
            "title": _("Phone preview: %(key)s") % {"key": question.key},
        }
        if request.GET.get("frame"):
            revealed = request.GET.get("frame") == "reveal"
            context.update(
                revealed=revealed,
                judged=question.kind == QuestionKind.JUDGED,
                typed=question.kind in (QuestionKind.SHORT, QuestionKind.NUMERICAL),
            )
            response = TemplateResponse(request, "admin/questionbank/preview_phone.html", context)
            response["X-Frame-Options"] = "SAMEORIGIN"  # shown in an iframe of the preview page
            return response
        context["frame_url"] = request.path
        return TemplateResponse(request, "admin/questionbank/preview.html", context)
