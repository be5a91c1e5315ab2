"""The organisers' pages beside the host pages: participation, boards, flagged players, qualification."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from competition.online import selectors
from competition.online.errors import OnlineError
from competition.online.forms import EmptyForm, FlagDecisionForm, QualificationForm
from competition.online.messages import ERRORS
from competition.online.models import Flag, OnlineStage, QualificationRun
from competition.online.services import fairplay, qualification
from competition.permissions import may_manage_competition


def _stage_for(request: HttpRequest, slug: str) -> OnlineStage:
    stage = get_object_or_404(OnlineStage.objects.select_related("competition"), slug=slug)
    if not may_manage_competition(request.user, stage.competition):
        raise PermissionDenied
    return stage


@login_required
def overview(request: HttpRequest, slug: str) -> HttpResponse:
    stage = _stage_for(request, slug)
    flags = (
        Flag.objects.filter(contestant__stage=stage, status=Flag.Status.OPEN)
        .select_related("contestant__district")
        .order_by("-created_at")[:200]
    )
    decided = (
        Flag.objects.filter(contestant__stage=stage)
        .exclude(status=Flag.Status.OPEN)
        .select_related("contestant", "decided_by")
        .order_by("-decided_at")[:50]
    )
    context = {
        "stage": stage,
        "districts": selectors.participation(stage, by="district"),
        "divisions": selectors.participation(stage, by="division"),
        "groups": selectors.participation(stage, by="group"),
        "units": selectors.participation(stage, by="unit"),
        "flags": [(f, FlagDecisionForm()) for f in flags],
        "decided": decided,
        "runs": stage.qualifications.all()[:20],
        "qualification_form": QualificationForm(
            initial={"cutoff": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}
        ),
    }
    return render(request, "online/organiser.html", context)


@login_required
def flag_decide(request: HttpRequest, slug: str, flag_id: int) -> HttpResponse:
    stage = _stage_for(request, slug)
    flag = get_object_or_404(Flag, pk=flag_id, contestant__stage=stage)
    form = FlagDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            fairplay.flag_decide(
                flag=flag,
                actor=request.user,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except OnlineError as exc:
            return render(
                request,
                "online/refused.html",
                {
                    "stage": stage,
                    "code": exc.code,
                    "message": ERRORS.get(exc.code, exc.message),
                    "back": "organiser",
                },
                status=409,
            )
        return redirect("online:organiser", slug=stage.slug)
    return render(request, "online/flag.html", {"stage": stage, "flag": flag, "form": form})


@login_required
def qualification_new(request: HttpRequest, slug: str) -> HttpResponse:
    stage = _stage_for(request, slug)
    form = QualificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        run = qualification.qualification_run(
            stage=stage,
            rule=data["rule"],
            per_district=data["per_district"],
            members=data["members"],
            cutoff=data["cutoff"],
            actor=request.user,
        )
        return redirect("online:qualification", slug=stage.slug, run_id=run.pk)
    return render(
        request,
        "online/qualification_new.html",
        {"stage": stage, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def qualification_page(request: HttpRequest, slug: str, run_id: int) -> HttpResponse:
    stage = _stage_for(request, slug)
    run = get_object_or_404(QualificationRun, pk=run_id, stage=stage)
    if request.method == "POST" and EmptyForm(request.POST).is_valid():
        qualification.qualifiers_invite(run=run, base_url=request.build_absolute_uri("/"))
        return redirect("online:qualification", slug=stage.slug, run_id=run.pk)
    qualifiers = run.qualifiers.select_related("contestant", "district__division", "registration").order_by(
        "district__division__order", "district__order", "rank"
    )
    context = {"stage": stage, "run": run, "qualifiers": qualifiers, "form": EmptyForm()}
    return render(request, "online/qualification.html", context)
