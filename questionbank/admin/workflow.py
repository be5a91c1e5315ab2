"""The review workflow in the question admin: the change form's buttons, the view they post to, the bulk
actions on the list and the workflow history inline.

What is offered comes from the engine (``questionbank.engine.workflow``): the buttons are
``actions_open(status, editor=..., reviewer=...)``, there is one bulk action per ``Action`` with the
permission ``may_make`` asks for, and a move that ``needs_reason`` asks for one. Only the words shown
(``LABELS``) are the admin's own. Every move goes through ``services.question_transition``, so the engine
also decides each move on the question itself (the author, the source, the reason).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from questionbank import services
from questionbank.admin.actions import intermediate_page
from questionbank.engine.workflow import Action, Status, WorkflowError, actions_open, may_make, needs_reason
from questionbank.messages import action_word, workflow_message
from questionbank.models import Question, QuestionTransition

# The words for each move: on the change form's button, and on the list's bulk action.
LABELS = {
    Action.SUBMIT: (_("Submit for review"), _("Submit selected questions for review")),
    Action.APPROVE: (_("Approve"), _("Approve selected questions")),
    Action.RETIRE: (_("Retire"), _("Retire selected questions")),
    Action.RETURN: (_("Return to draft"), _("Return selected questions to draft…")),
}
EDITOR_PERMISSION = "change"  # the ModelAdmin permission an editor's move needs
REVIEWER_PERMISSION = "review"  # QuestionAdmin.has_review_permission


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


def _bulk_permission(action: Action) -> str:
    return EDITOR_PERMISSION if may_make(action, editor=True, reviewer=False) else REVIEWER_PERMISSION


def _bulk_action(action: Action) -> Callable:
    def run(model_admin, request, queryset):
        if not needs_reason(action):
            model_admin.bulk_transition(request, queryset, action)
            return None
        reason = request.POST.get("reason", "").strip()
        if request.POST.get("apply") and reason:
            model_admin.bulk_transition(request, queryset, action, reason)
            return None
        if request.POST.get("apply"):
            messages.error(request, _("Say why the questions go back to draft."))
        return intermediate_page(
            model_admin,
            request,
            queryset,
            run.__name__,
            "admin/questionbank/question/return_reason.html",
            title=_("Return questions to draft"),
        )

    run.__name__ = f"{action.value}_selected"
    run.__qualname__ = run.__name__
    return admin.action(description=LABELS[action][1], permissions=[_bulk_permission(action)])(run)


# One bulk action per workflow move, named "<action>_selected" (e.g. "approve_selected").
BULK_ACTIONS = [_bulk_action(action) for action in Action]


class WorkflowAdmin:
    """The workflow part of ``QuestionAdmin`` (a mixin for a ModelAdmin of ``Question``)."""

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm(services.REVIEWER_PERMISSION)

    def workflow_buttons(self, request, obj) -> list[dict]:
        """The change form's buttons: the moves the engine opens to this user on this question."""
        open_ = actions_open(
            Status(obj.status),
            editor=self.has_change_permission(request, obj),
            reviewer=self.has_review_permission(request),
            author=obj.author_id is not None and obj.author_id == request.user.pk,
        )
        return [
            {"action": action.value, "label": LABELS[action][0], "reason": needs_reason(action)}
            for action in open_
        ]

    def workflow_view(self, request, object_id):
        return require_POST(self._workflow_post)(request, object_id)

    def _workflow_post(self, request, object_id):
        question = get_object_or_404(Question, pk=unquote(object_id))
        if not self.has_view_permission(request, question):
            raise PermissionDenied
        raw = request.POST.get("action", "")
        if raw not in {a.value for a in Action}:
            messages.error(request, _("Unknown workflow action."))
            return self._back_to(question)
        action = Action(raw)
        # An editor's move by someone who may not edit is refused here; a reviewer's move by a
        # non-reviewer is refused by the engine, with its message.
        if not may_make(action, editor=self.has_change_permission(request, question), reviewer=True):
            raise PermissionDenied
        try:
            services.question_transition(
                question=question, action=action, user=request.user, reason=request.POST.get("reason", "")
            )
        except WorkflowError as exc:
            messages.error(request, workflow_message(exc, action))
        else:
            messages.success(
                request,
                _("%(key)s is now %(status)s.")
                % {"key": question.key, "status": question.get_status_display()},
            )
        return self._back_to(question)

    def _back_to(self, question):
        return HttpResponseRedirect(reverse("admin:questionbank_question_change", args=[quote(question.pk)]))

    def bulk_transition(self, request, queryset, action: Action, reason: str = "") -> None:
        moved, refused = services.questions_transition(
            questions=list(queryset), action=action, user=request.user, reason=reason
        )
        if moved:
            messages.success(
                request,
                _("%(n)d question(s): %(action)s done.") % {"n": moved, "action": action_word(action)},
            )
        if refused:
            shown = "; ".join(refused[:10]) + (" …" if len(refused) > 10 else "")
            messages.warning(request, _("%(n)d refused: %(which)s") % {"n": len(refused), "which": shown})
