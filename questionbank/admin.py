"""The question editors' admin: filters, search, the review workflow, revisions with diffs, a phone preview.

Writes go through ``questionbank.services``: ``question_save`` (a reversion revision and ``search_text``
on every edit) and ``question_transition`` (who, when and why for every workflow move). The status field
is never edited in the form; it moves only by the workflow buttons and the bulk actions.

Search (see ``question_search``): the admin searches ``Question.search_text`` (stem and choices in one
column, kept by the services).

* PostgreSQL: every word must occur as a substring (``ILIKE '%word%'``), backed by a pg_trgm GIN index
  (migration 0003). Chinese has no spaces between words and the ``simple`` text search configuration
  does not segment it, so full-text search alone would only find whole runs of Chinese text; trigram
  substring search finds any fragment of three or more characters through the index (shorter fragments
  still work, by a scan). OR-ed with it is a ``websearch_to_tsquery('simple', ...)`` full-text match on
  the same column, backed by a GIN expression index, so Latin-script queries also get the web-search
  syntax ("quoted phrases", ``or``, ``-word``).
* SQLite (the embedded default): every word as a case-insensitive substring (``LIKE``), no index.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import quote, unquote
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from reversion_compare.admin import CompareVersionAdmin
from reversion_compare.helpers import html_diff

from questionbank import services
from questionbank.engine.workflow import Action, WorkflowError
from questionbank.models import Question, QuestionKind, QuestionTransition, Status, Tag, TaggedQuestion

MAX_CHOICES = 6
SHAPES = ["▲", "◆", "●", "■", "⬟", "★"]
LETTERS = ["A", "B", "C", "D", "E", "F"]
CHOICE_KINDS = {QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE}
ONE_CORRECT_KINDS = {QuestionKind.SINGLE, QuestionKind.TRUE_FALSE}
# Links on the change list to views other modules add (import, item statistics, draw preview): a URL
# name they register is matched by these words; a link is shown only when its URL resolves.
EXTRA_LINKS = [("import", _("Import")), ("stat", _("Item statistics")), ("draw", _("Draw preview"))]


# --- search --------------------------------------------------------------------------------------------


_LATIN = re.compile(r"[A-Za-z]")


def question_search(queryset: QuerySet, search_term: str, *, vendor: str | None = None) -> QuerySet:
    """Questions whose stem or choices contain every word of ``search_term`` (see the module docstring)."""
    words = search_term.split()
    if not words:
        return queryset
    vendor = vendor or connection.vendor
    every_word = Q()
    for word in words:
        every_word &= Q(search_text__icontains=word)
    found = every_word | Q(key=search_term.strip())
    if vendor == "postgresql" and _LATIN.search(search_term):
        from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorExact

        # to_tsvector('simple', COALESCE(search_text, '')) @@ websearch_to_tsquery('simple', ...): the
        # expression of the GIN index made by migration 0003 (django.contrib.postgres need not be installed).
        vector = SearchVector("search_text", config="simple")
        query = SearchQuery(search_term, config="simple", search_type="websearch")
        found |= Q(SearchVectorExact(vector, query))
    return queryset.filter(found)


# --- list filters ----------------------------------------------------------------------------------------


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


# --- the form ------------------------------------------------------------------------------------------


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
        if kind == QuestionKind.JUDGED:
            if not (data.get("reference_answer") or "").strip():
                self.add_error("reference_answer", _("A host-judged question needs a reference answer."))
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


QuestionForm = type("QuestionForm", (QuestionFormBase,), {"__module__": __name__, **_choice_fields()})


# --- inlines ---------------------------------------------------------------------------------------------


class TransitionInline(admin.TabularInline):
    model = QuestionTransition
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields
    ordering = ["-at", "-id"]
    verbose_name = _("workflow step")
    verbose_name_plural = _("workflow history")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Whoever may see the question sees its workflow history.
        return request.user.has_perm("questionbank.view_question")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


# --- the question admin --------------------------------------------------------------------------------


@admin.register(Question)
class QuestionAdmin(CompareVersionAdmin):
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
    actions = ["submit_selected", "approve_selected", "retire_selected", "return_selected", "tag_selected"]
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
            extra_context["workflow_actions"] = self._workflow_buttons(request, obj)
            extra_context["workflow_url"] = reverse(
                "admin:questionbank_question_workflow", args=[quote(obj.pk)]
            )
            extra_context["preview_url"] = reverse(
                "admin:questionbank_question_preview", args=[quote(obj.pk)]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def _workflow_buttons(self, request, obj) -> list[dict]:
        reviewer = request.user.has_perm(services.REVIEWER_PERMISSION)
        editor = self.has_change_permission(request, obj)
        buttons = []
        if obj.status == Status.DRAFT and editor:
            buttons.append({"action": "submit", "label": _("Submit for review"), "reason": False})
        if obj.status == Status.REVIEW and reviewer:
            buttons.append({"action": "approve", "label": _("Approve"), "reason": False})
        if obj.status == Status.APPROVED and reviewer:
            buttons.append({"action": "retire", "label": _("Retire"), "reason": False})
        if obj.status != Status.DRAFT and reviewer:
            buttons.append({"action": "return", "label": _("Return to draft"), "reason": True})
        return buttons

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
        self._extra_link_names = []
        for module, function in (
            ("questionbank.admin_import", "import_urls"),
            ("questionbank.admin_views", "stats_urls"),
        ):
            try:
                imported = __import__(module, fromlist=[function])
            except ImportError:
                continue
            patterns = list(getattr(imported, function)(site))
            own += patterns
            self._extra_link_names += [p.name for p in patterns if getattr(p, "name", None)]
        return own + super().get_urls()

    def _extra_links(self) -> list[tuple[str, str]]:
        links = []
        names = getattr(self, "_extra_link_names", [])
        for word, label in EXTRA_LINKS:
            for name in names:
                if word not in name:
                    continue
                try:
                    links.append((reverse(f"{self.admin_site.name}:{name}"), label))
                    break
                except NoReverseMatch:
                    continue
        return links

    def changelist_view(self, request, extra_context=None):
        extra_context = {"extra_links": self._extra_links(), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def workflow_view(self, request, object_id):
        return require_POST(self._workflow_post)(request, object_id)

    def _workflow_post(self, request, object_id):
        question = get_object_or_404(Question, pk=unquote(object_id))
        action = request.POST.get("action", "")
        # Submitting is an editor's move; the workflow itself refuses reviewer moves to non-reviewers.
        if action == Action.SUBMIT and not self.has_change_permission(request, question):
            raise PermissionDenied
        if not self.has_view_permission(request, question):
            raise PermissionDenied
        reason = request.POST.get("reason", "")
        if action not in {a.value for a in Action}:
            messages.error(request, _("Unknown workflow action."))
        else:
            try:
                services.question_transition(
                    question=question, action=action, user=request.user, reason=reason
                )
            except WorkflowError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    _("%(key)s is now %(status)s.")
                    % {"key": question.key, "status": question.get_status_display()},
                )
        return HttpResponseRedirect(reverse("admin:questionbank_question_change", args=[quote(question.pk)]))

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
            context.update(revealed=revealed, judged=question.kind == QuestionKind.JUDGED)
            response = TemplateResponse(request, "admin/questionbank/preview_phone.html", context)
            response["X-Frame-Options"] = "SAMEORIGIN"  # shown in an iframe of the preview page
            return response
        context["frame_url"] = request.path
        return TemplateResponse(request, "admin/questionbank/preview.html", context)

    # --- bulk actions ---

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm(services.REVIEWER_PERMISSION)

    def _bulk(self, request, queryset, action: str, reason: str = ""):
        moved, refused = services.questions_transition(
            questions=list(queryset), action=action, user=request.user, reason=reason
        )
        if moved:
            messages.success(
                request, _("%(n)d question(s): %(action)s done.") % {"n": moved, "action": action}
            )
        if refused:
            shown = "; ".join(refused[:10]) + (" …" if len(refused) > 10 else "")
            messages.warning(request, _("%(n)d refused: %(which)s") % {"n": len(refused), "which": shown})

    @admin.action(description=_("Submit selected questions for review"), permissions=["change"])
    def submit_selected(self, request, queryset):
        self._bulk(request, queryset, "submit")

    @admin.action(description=_("Approve selected questions"), permissions=["review"])
    def approve_selected(self, request, queryset):
        self._bulk(request, queryset, "approve")

    @admin.action(description=_("Retire selected questions"), permissions=["review"])
    def retire_selected(self, request, queryset):
        self._bulk(request, queryset, "retire")

    @admin.action(description=_("Return selected questions to draft…"), permissions=["review"])
    def return_selected(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if request.POST.get("apply") and reason:
            self._bulk(request, queryset, "return", reason)
            return None
        if request.POST.get("apply"):
            messages.error(request, _("Say why the questions go back to draft."))
        return self._intermediate(
            request,
            queryset,
            "return_selected",
            "admin/questionbank/question/return_reason.html",
            title=_("Return questions to draft"),
        )

    @admin.action(description=_("Add tags to selected questions…"), permissions=["change"])
    def tag_selected(self, request, queryset):
        form = AddTagsForm(request.POST if request.POST.get("apply") else None)
        if form.is_bound and form.is_valid():
            tags = list(form.cleaned_data["tags"])
            ids = list(queryset.values_list("pk", flat=True))
            services.questions_tag(question_ids=ids, tags=tags, user=request.user)
            messages.success(
                request,
                _("Tagged %(n)d question(s) with %(tags)s.")
                % {"n": len(ids), "tags": ", ".join(str(t) for t in tags)},
            )
            return None
        return self._intermediate(
            request,
            queryset,
            "tag_selected",
            "admin/questionbank/question/add_tags.html",
            title=_("Add tags"),
            form=form if form.is_bound else AddTagsForm(),
        )

    def _intermediate(self, request: HttpRequest, queryset, action: str, template: str, **extra):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "queryset": queryset[:200],
            "count": queryset.count(),
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "reason": request.POST.get("reason", ""),
            "media": self.media + (extra["form"].media if "form" in extra else forms.Media()),
            **extra,
        }
        return TemplateResponse(request, template, context)


class AddTagsForm(forms.Form):
    tags = forms.ModelMultipleChoiceField(
        label=_("tags"),
        queryset=Tag.objects.exclude(kind=Tag.Kind.DOMAIN),
        widget=FilteredSelectMultiple(_("tags"), is_stacked=False),
    )


# --- tags ----------------------------------------------------------------------------------------------


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
        from django.db.models import Count

        return super().get_queryset(request).annotate(n_questions=Count("tagged_questions"))

    def get_ordering(self, request):
        # Domains with their benchmarks under them, then themes, then free tags.
        from django.db.models import Case, F, IntegerField, Value, When
        from django.db.models.functions import Coalesce

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
