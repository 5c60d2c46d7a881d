"""Service pages: the institutions, the rehabilitation queue of an institution (or region),
one plan with its sessions, and a new plan for a person with a need."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dpf.accounts.permissions import has_permission, permission_required
from dpf.core import audit
from dpf.core.errors import ValidationFailed
from dpf.services import selectors, services
from dpf.services.forms import (
    DeviceFittingForm,
    DeviceFollowUpForm,
    RehabCloseForm,
    RehabPlanForm,
    RehabSessionForm,
)
from dpf.services.models import RehabKind

PER_PAGE = 25


def _attach(form: object, refusal: ValidationFailed) -> None:
    name = refusal.field or ""
    form.add_error(name if name in form.fields else None, refusal.message)  # type: ignore[attr-defined]


@permission_required("view", "service_record")
def institutions(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.institutions(request.user))
    return render(request, "services/institutions.html", {"rows": rows})


@permission_required("view", "service_record")
def rehab_queue(request: HttpRequest) -> HttpResponse:
    """Open plans of my institution's clients (or of my region), oldest first."""
    page = Paginator(selectors.rehab_plans(request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "services/rehab_queue.html", {"page": page, "rows": list(page)})


@permission_required("view", "service_record")
@require_http_methods(["GET", "POST"])
def rehab_plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = selectors.rehab_plan_for(request.user, plan_id)
    action = request.POST.get("action") if request.method == "POST" else None
    session_form = RehabSessionForm(request.POST if action == "session" else None, prefix="s")
    close_form = RehabCloseForm(request.POST if action == "close" else None, prefix="c")
    fittings = selectors.fittings_of(plan) if plan.kind == RehabKind.DEVICE else []
    fitting_form = DeviceFittingForm(
        request.POST if action == "fitting" else None,
        prefix="f",
        items=selectors.device_items_on(timezone.localdate()),
    )
    follow_up_form = DeviceFollowUpForm(
        request.POST if action == "follow_up" else None,
        prefix="u",
        fittings=[(f.pk, f"{f.item.name} {f.fitted_on}") for f in fittings],
    )
    forms_by_action = {
        "session": session_form,
        "close": close_form,
        "fitting": fitting_form,
        "follow_up": follow_up_form,
    }
    if request.method == "POST":
        try:
            if action == "fitting" and fitting_form.is_valid():
                data = fitting_form.cleaned_data
                services.device_fitting_record(
                    actor=request.user,
                    plan_id=plan.pk,
                    item_code=data["item_code"],
                    assessed_on=data["assessed_on"],
                    fitted_on=data["fitted_on"],
                    supplier=data["supplier"],
                )
                messages.success(request, _("适配记录已保存。"))
                return redirect("services:rehab_plan", plan_id=plan.pk)
            if action == "follow_up" and follow_up_form.is_valid():
                data = follow_up_form.cleaned_data
                services.device_follow_up_record(
                    actor=request.user,
                    fitting_id=data["fitting"],
                    date=data["date"],
                    satisfaction=data["satisfaction"],
                    in_use=data["in_use"],
                )
                messages.success(request, _("回访记录已保存。"))
                return redirect("services:rehab_plan", plan_id=plan.pk)
            if action == "session" and session_form.is_valid():
                services.rehab_session_record(
                    actor=request.user,
                    plan_id=plan.pk,
                    date=session_form.cleaned_data["date"],
                    content=session_form.cleaned_data["content"],
                )
                messages.success(request, _("服务记录已保存。"))
                return redirect("services:rehab_plan", plan_id=plan.pk)
            if action == "close" and close_form.is_valid():
                services.rehab_plan_close(
                    actor=request.user,
                    plan_id=plan.pk,
                    outcome=close_form.cleaned_data["outcome"],
                    closed_on=close_form.cleaned_data["closed_on"],
                )
                messages.success(request, _("服务计划已结案。"))
                return redirect("services:rehab_plan", plan_id=plan.pk)
        except ValidationFailed as refusal:
            _attach(forms_by_action.get(action or "", session_form), refusal)
    else:
        audit.record(
            actor=request.user,
            action="view",
            object_type="rehab_plan",
            object_id=plan.pk,
            request=request,
        )
    context = {
        "plan": plan,
        "sessions": selectors.sessions_of(plan),
        "session_form": session_form,
        "close_form": close_form,
        "fittings": fittings,
        "fitting_form": fitting_form,
        "follow_up_form": follow_up_form,
        "is_device_plan": plan.kind == RehabKind.DEVICE,
        "can_record": has_permission(request.user, "create", "service_record")
        and plan.closed_on is None,
        "today": timezone.localdate(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "services/rehab_plan.html", context, status=status)


@permission_required("create", "service_plan")
@require_http_methods(["GET", "POST"])
def rehab_plan_new(request: HttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person_for_plan(request.user, person_id)
    choices = [(i.pk, f"{i.name}（{i.code}）") for i in selectors.rehab_institutions()]
    form = RehabPlanForm(request.POST or None, institutions=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.rehab_plan_create(
                actor=request.user,
                person_id=person.pk,
                institution_id=data["institution"],
                kind=data["kind"],
                start=data["start"],
                end=data["end"],
                planned_sessions=data["planned_sessions"],
            )
        except ValidationFailed as refusal:
            _attach(form, refusal)
        else:
            messages.success(request, _("康复服务计划已建立。"))
            return redirect("services:rehab_plan", plan_id=plan.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "services/rehab_plan_new.html", {"person": person, "form": form}, status=status
    )
