"""The admin import page: upload -> preview table (an outcome per row) -> confirm commits all or nothing.

The upload is kept between the two steps in Django storage, named by a random token bound to the user
who uploaded it (``questionbank.pending_imports``), so any server process can commit a preview another
made, and one user cannot confirm another's upload. The confirm step previews the file again (the bank
may have changed) and commits only if it is still clean. QuestionAdmin.get_urls includes
``import_urls(admin_site)``; the page is ``admin:questionbank_question_import``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from questionbank.engine.formats import FORMATS
from questionbank.imports import (
    IMPORT_PERMISSION,
    ImportPreview,
    ImportRefused,
    import_commit,
    import_preview,
)
from questionbank.models import Question
from questionbank.pending_imports import (
    pending_import_forget,
    pending_import_keep,
    pending_import_read,
)

MAX_UPLOAD = 30 * 1024 * 1024
SHOWN_ROWS = 1000  # rows listed in the preview table; invalid and duplicate rows are always listed


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("file"), help_text=_("XLSX/CSV template, Kahoot! XLSX, Moodle XML, GIFT or JSON")
    )
    format = forms.ChoiceField(
        label=_("format"), required=False, choices=[("", _("detect from the file")), *FORMATS.items()]
    )
    allow_duplicates = forms.BooleanField(label=_("import near-duplicates too"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 30 MB."))
        return upload


def import_view(request: HttpRequest, admin_site) -> HttpResponse:
    if not request.user.has_perm(IMPORT_PERMISSION):
        raise PermissionDenied
    context = {
        **admin_site.each_context(request),
        "opts": Question._meta,
        "title": _("Import questions"),
        "formats": FORMATS,
    }
    token = request.POST.get("token", "")
    if request.method == "POST" and token:
        stored = pending_import_read(token, user=request.user, now=timezone.now())
        if stored is None:
            messages.error(request, _("The upload has expired; choose the file again."))
            return HttpResponseRedirect(request.path)
        pending, data = stored
        if "cancel" in request.POST:
            pending_import_forget(token)
            return HttpResponseRedirect(request.path)
        preview = import_preview(
            data, fmt=pending.format or None, filename=pending.filename, user=request.user
        )
        if "confirm" in request.POST and preview.ok:
            try:
                result = import_commit(preview, user=request.user, allow_duplicates=pending.allow_duplicates)
            except ImportRefused as exc:
                messages.error(request, str(exc))
            else:
                pending_import_forget(token)
                messages.success(
                    request,
                    _(
                        "Imported %(created)s new and %(updated)s updated questions "
                        "(%(unchanged)s unchanged, %(skipped)s near-duplicates skipped)."
                    )
                    % {
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                        "skipped": result.duplicates_skipped,
                    },
                )
                return HttpResponseRedirect(reverse(f"{admin_site.name}:questionbank_question_changelist"))
        return _preview_response(request, context, preview, token, pending.allow_duplicates)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        pending = pending_import_keep(
            data,
            user=request.user,
            filename=upload.name,
            fmt=form.cleaned_data["format"],
            allow_duplicates=form.cleaned_data["allow_duplicates"],
            now=timezone.now(),
        )
        preview = import_preview(data, fmt=pending.format or None, filename=upload.name, user=request.user)
        if preview.file_error:
            # Nothing of the file can be imported, so nothing is kept for a commit.
            pending_import_forget(pending.token)
            return _preview_response(request, context, preview, "", pending.allow_duplicates)
        return _preview_response(request, context, preview, pending.token, pending.allow_duplicates)
    return TemplateResponse(request, "admin/questionbank/import_form.html", {**context, "form": form})


def _preview_response(
    request, context, preview: ImportPreview, token: str, allow_duplicates: bool
) -> HttpResponse:
    flagged = [
        r
        for r in preview.rows
        if r.outcome in ("invalid", "duplicate", "skipped") or r.warnings or r.notes or r.flags
    ]
    shown = preview.rows[:SHOWN_ROWS]
    shown += [r for r in flagged if r.row > (shown[-1].row if shown else 0)]
    return TemplateResponse(
        request,
        "admin/questionbank/import_preview.html",
        {
            **context,
            "title": _("Import preview"),
            "preview": preview,
            "counts": preview.counts,
            "rows": shown,
            "hidden": len(preview.rows) - len(shown),
            "token": token,
            "allow_duplicates": allow_duplicates,
        },
    )


def import_urls(admin_site) -> list:
    """URL patterns for QuestionAdmin.get_urls (relative to admin/questionbank/question/)."""
    return [
        path(
            "import/",
            admin_site.admin_view(lambda request: import_view(request, admin_site)),
            name="questionbank_question_import",
        )
    ]
