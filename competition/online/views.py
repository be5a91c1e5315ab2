"""The contestant's pages: register, sign in, the modes, answers and results, their own data.

Views only validate (forms) and call one service; refusals (``OnlineError``) become a page with the
code's message, or ``{"error": code, "message": ...}`` for a JSON request (``Accept: application/json``).
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from competition.online import access, selectors
from competition.online.errors import OnlineError
from competition.online.forms import AnswerForm, CodeForm, ConfirmForm, EmptyForm, RegisterForm, SignInForm
from competition.online.messages import ERRORS
from competition.online.models import Answer, Attempt, Contestant, Mode, OnlineStage
from competition.online.services import attempts, fairplay, identity, qualification

PENDING = "online_pending"
STATUS_FOR = {"code_rate_limited": 429, "rate_limited": 429, "not_signed_in": 401, "attempt_unknown": 404}


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def refuse(
    request: HttpRequest,
    stage: OnlineStage,
    exc: OnlineError,
    *,
    back: str = "",
    attempt_id: int | None = None,
) -> HttpResponse:
    """The refusal as a page (with a way back) or as JSON; nothing was changed by the request."""
    status = STATUS_FOR.get(exc.code, 409)
    message = str(ERRORS.get(exc.code, exc.message))
    if _wants_json(request):
        body = {"error": exc.code, "message": message}
        if exc.retry_after_s:
            body["retry_after_s"] = exc.retry_after_s
        return JsonResponse(body, status=status)
    context = {"stage": stage, "code": exc.code, "message": message, "back": back, "attempt_id": attempt_id}
    return render(request, "online/refused.html", context, status=status)


def stage_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    stages = (
        OnlineStage.objects.filter(closes_on__gte=today).select_related("competition").order_by("opens_on")
    )
    if len(stages) == 1:
        return redirect("online:home", slug=stages[0].slug)
    return render(request, "online/stages.html", {"stages": stages})


def home(request: HttpRequest, slug: str) -> HttpResponse:
    stage = get_object_or_404(OnlineStage, slug=slug)
    contestant = access.signed_in(request, stage)
    context = {"stage": stage, "contestant": contestant, "form": EmptyForm()}
    if contestant is not None:
        context.update(selectors.dashboard(contestant))
    return render(request, "online/home.html", context)


def privacy(request: HttpRequest, slug: str) -> HttpResponse:
    stage = get_object_or_404(OnlineStage, slug=slug)
    return render(request, "online/privacy.html", {"stage": stage})


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, slug: str) -> HttpResponse:
    stage = get_object_or_404(OnlineStage, slug=slug)
    form = RegisterForm(request.POST or None, stage=stage)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if identity.contestant_for_mobile(stage, data["mobile"]) is not None:
            return refuse(request, stage, OnlineError("already_registered", "registered"), back="signin")
        new = identity.NewContestant(
            name=data["name"],
            mobile=data["mobile"],
            district_id=data["district"].pk,
            key_group=data["key_group"],
            unit=data["unit"],
            display_name=data["display_name"],
            birth_year=data.get("birth_year"),
        )
        try:
            identity.code_send(stage=stage, mobile=new.mobile, address=access.client_address(request))
        except OnlineError as exc:
            return refuse(request, stage, exc, back="register")
        request.session[PENDING] = {"stage": stage.pk, "kind": "register", "data": new.as_session()}
        return redirect("online:verify", slug=stage.slug)
    return render(request, "online/register.html", {"stage": stage, "form": form})


@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest, slug: str) -> HttpResponse:
    stage = get_object_or_404(OnlineStage, slug=slug)
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        mobile = form.cleaned_data["mobile"]
        # The same answer whether or not the number is registered: the page does not tell who takes part.
        if identity.contestant_for_mobile(stage, mobile) is not None:
            try:
                identity.code_send(stage=stage, mobile=mobile, address=access.client_address(request))
            except OnlineError as exc:
                return refuse(request, stage, exc, back="signin")
        request.session[PENDING] = {"stage": stage.pk, "kind": "signin", "mobile": mobile}
        return redirect("online:verify", slug=stage.slug)
    return render(request, "online/signin.html", {"stage": stage, "form": form})


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, slug: str) -> HttpResponse:
    stage = get_object_or_404(OnlineStage, slug=slug)
    pending = request.session.get(PENDING)
    if not pending or pending.get("stage") != stage.pk:
        return redirect("online:signin", slug=stage.slug)
    mobile = pending["data"]["mobile"] if pending["kind"] == "register" else pending["mobile"]
    form = CodeForm(request.POST or None)
    if request.method == "POST" and "resend" in request.POST:
        try:
            if pending["kind"] == "register" or identity.contestant_for_mobile(stage, mobile):
                identity.code_send(stage=stage, mobile=mobile, address=access.client_address(request))
        except OnlineError as exc:
            return refuse(request, stage, exc, back="verify")
        return redirect("online:verify", slug=stage.slug)
    if request.method == "POST" and form.is_valid():
        try:
            identity.code_check(stage=stage, mobile=mobile, code=form.cleaned_data["code"].strip())
            if pending["kind"] == "register":
                contestant = identity.contestant_register(
                    stage=stage, data=identity.NewContestant(**pending["data"])
                )
            else:
                contestant = identity.contestant_for_mobile(stage, mobile)
                if contestant is None:
                    raise OnlineError("code_invalid", "no contestant with this number")
        except OnlineError as exc:
            return refuse(request, stage, exc, back="verify")
        request.session.pop(PENDING, None)
        access.sign_in(request, contestant)
        device = access.device_id(request)
        identity.device_seen(contestant=contestant, device=device)
        fairplay.check_device(contestant=contestant, device=device)
        return access.device_cookie_set(request, redirect("online:home", slug=stage.slug))
    masked = identity.identity.mask_mobile(mobile)
    return render(request, "online/verify.html", {"stage": stage, "form": form, "masked": masked})


@require_POST
def signout(request: HttpRequest, slug: str) -> HttpResponse:
    stage = get_object_or_404(OnlineStage, slug=slug)
    if EmptyForm(request.POST).is_valid():
        access.sign_out(request)
    return redirect("online:home", slug=stage.slug)


@access.contestant_required
def me(request: HttpRequest, stage: OnlineStage, contestant: Contestant) -> HttpResponse:
    return render(
        request, "online/me.html", {"stage": stage, "contestant": contestant, "form": ConfirmForm()}
    )


@access.contestant_required
def me_data(request: HttpRequest, stage: OnlineStage, contestant: Contestant) -> HttpResponse:
    body = json.dumps(identity.contestant_data(contestant), ensure_ascii=False, indent=2, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="jingjinji-online-{contestant.pk}.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@access.contestant_required
def me_delete(request: HttpRequest, stage: OnlineStage, contestant: Contestant) -> HttpResponse:
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return render(
            request, "online/me.html", {"stage": stage, "contestant": contestant, "form": form}, status=400
        )
    identity.contestant_delete(contestant)
    access.sign_out(request)
    return render(request, "online/deleted.html", {"stage": stage})


@require_POST
@access.contestant_required
def mode_start(
    request: HttpRequest, stage: OnlineStage, contestant: Contestant, mode: str, theme: str = ""
) -> HttpResponse:
    if not EmptyForm(request.POST).is_valid():  # pragma: no cover - only the CSRF token, checked earlier
        return redirect("online:home", slug=stage.slug)
    try:
        if mode == Mode.DAILY:
            attempt = attempts.daily_start(contestant=contestant)
        elif mode == Mode.CHALLENGE:
            attempt = attempts.challenge_start(contestant=contestant)
        elif mode == Mode.THEMED:
            attempt = attempts.themed_start(contestant=contestant, slug=theme)
        else:
            attempt = attempts.selftest_start(contestant=contestant)
    except OnlineError as exc:
        return refuse(request, stage, exc, back="home")
    return redirect("online:attempt", slug=stage.slug, attempt_id=attempt.pk)


@access.contestant_required
def themed(request: HttpRequest, stage: OnlineStage, contestant: Contestant) -> HttpResponse:
    done = dict(contestant.attempts.filter(mode=Mode.THEMED).values_list("theme", "pk"))
    quizzes = [(quiz, is_open, done.get(quiz.slug)) for quiz, is_open in attempts.themed_quizzes(contestant)]
    context = {"stage": stage, "contestant": contestant, "quizzes": quizzes, "form": EmptyForm()}
    return render(request, "online/themed.html", context)


@require_http_methods(["GET", "POST"])
def attempt_page(request: HttpRequest, slug: str, attempt_id: int) -> HttpResponse:
    attempt = access.attempt_signed_in(request, slug, attempt_id)  # one query: attempt, contestant, stage
    if attempt is None:
        return _attempt_unknown(request, slug, attempt_id)
    contestant = attempt.contestant
    stage = contestant.stage
    if request.method == "POST":
        return _answer(request, stage, contestant, attempt)
    served = attempts.question_serve(attempt=attempt)
    if served is None:
        attempt.refresh_from_db()
        return render(
            request, "online/attempt_done.html", selectors.attempt_summary(attempt) | {"stage": stage}
        )
    form = AnswerForm(initial={"position": served.position, "submission": served.submission})
    context = {
        "stage": stage,
        "served": served,
        "attempt": attempt,
        "form": form,
        "question": served.question,
    }
    if _wants_json(request):
        return JsonResponse(selectors.served_json(served))
    return render(request, "online/question.html", context)


@access.contestant_required(related=())
def _attempt_unknown(
    request: HttpRequest, stage: OnlineStage, contestant: Contestant, attempt_id: int
) -> HttpResponse:
    """Signed in, but no such attempt of theirs (someone not signed in is sent to sign in)."""
    return refuse(request, stage, OnlineError("attempt_unknown", "no such attempt of yours"), back="home")


def _answer(
    request: HttpRequest, stage: OnlineStage, contestant: Contestant, attempt: Attempt
) -> HttpResponse:
    attempt_id = attempt.pk
    per_minute = attempts.rules_of(stage).limits["answers_per_minute"]
    if access.answers_limited(request, contestant, per_minute):
        exc = OnlineError("rate_limited", "too many answers")
        return refuse(request, stage, exc, back="attempt", attempt_id=attempt_id)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        if "choice" in form.errors and not request.POST.get("choice"):
            return redirect(
                "online:attempt", slug=stage.slug, attempt_id=attempt_id
            )  # nothing chosen: ask again
        exc = OnlineError("invalid_choice", form.errors.as_text())
        return refuse(request, stage, exc, back="attempt", attempt_id=attempt_id)
    data = form.cleaned_data
    try:
        result = attempts.answer_submit(
            contestant=contestant,
            attempt_id=attempt_id,
            position=data["position"],
            choices=data["choice"],
            submission=data["submission"],
            attempt=attempt,
        )
    except OnlineError as exc:
        return refuse(request, stage, exc, back="attempt", attempt_id=attempt_id)
    if _wants_json(request):
        return JsonResponse(result.__dict__)
    return redirect("online:answered", slug=stage.slug, attempt_id=attempt_id, position=result.position)


@access.contestant_required
def answered(
    request: HttpRequest, stage: OnlineStage, contestant: Contestant, attempt_id: int, position: int
) -> HttpResponse:
    answer = get_object_or_404(
        Answer.objects.select_related("question", "attempt"),
        attempt_id=attempt_id,
        attempt__contestant=contestant,
        position=position,
    )
    context = {"stage": stage, "answer": answer, "question": answer.question, "attempt": answer.attempt}
    return render(request, "online/answered.html", context)


def boards(request: HttpRequest, slug: str) -> HttpResponse:
    stage = get_object_or_404(OnlineStage, slug=slug)
    by = request.GET.get("by", "all")
    context = {"stage": stage} | selectors.board_page(stage, by=by, key=request.GET.get("key", ""))
    return render(request, "online/boards.html", context)


@require_http_methods(["GET", "POST"])
@access.contestant_required
def invitation(request: HttpRequest, stage: OnlineStage, contestant: Contestant, token: str) -> HttpResponse:
    try:
        invite = qualification.invitation_for(contestant=contestant, token=token)
        if request.method == "POST" and EmptyForm(request.POST).is_valid():
            invite = qualification.invitation_answer(
                contestant=contestant, token=token, accept=request.POST.get("answer") == "accept"
            )
    except OnlineError as exc:
        return refuse(request, stage, exc, back="home")
    return render(request, "online/invitation.html", {"stage": stage, "invite": invite, "form": EmptyForm()})
