"""Bulk actions on the question list that are not workflow moves (adding tags), and the intermediate page
an action shows to ask for more (the tags to add, a reason) before it runs."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from questionbank import services
from questionbank.admin.forms import AddTagsForm


def intermediate_page(model_admin, request: HttpRequest, queryset, action: str, template: str, **extra):
    """A page that posts the action again with the selection and ``apply`` (plus what it asked for)."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "queryset": queryset[:200],
        "count": queryset.count(),
        "action": action,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "reason": request.POST.get("reason", ""),
        "media": model_admin.media + (extra["form"].media if "form" in extra else forms.Media()),
        **extra,
    }
    return TemplateResponse(request, template, context)


@admin.action(description=_("Add tags to selected questions…"), permissions=["change"])
def tag_selected(model_admin, request, queryset):
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
    return intermediate_page(
        model_admin,
        request,
        queryset,
        "tag_selected",
        "admin/questionbank/question/add_tags.html",
        title=_("Add tags"),
        form=form if form.is_bound else AddTagsForm(),
    )
