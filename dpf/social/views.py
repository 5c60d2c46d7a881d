"""Social assistance pages: the emergency priority list of a township or village (masked on
screen, exported in full with a stated purpose); return-to-poverty alerts (the list, the
scan, one case's visit, measures and closure); volunteers, social organisations; the
register of service facilities; culture and sport activities with their participants."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import has_permission, permission_required
from dpf.core import audit
from dpf.core.dates import local_today
from dpf.core.errors import ValidationFailed
from dpf.core.models import RegionLevel
from dpf.registry.forms import attach_refusal
from dpf.social import (
    culture,
    emergency,
    facilities,
    monitoring,
    organisations,
    selectors,
    volunteer_registration,
    volunteers,
)
from dpf.social.forms import (
    AccountForm,
    ActivityForm,
    AttendanceForm,
    CloseForm,
    DecisionForm,
    DeliveryForm,
    EmergencyExportForm,
    EmergencyNeedForm,
    EvaluationForm,
    EventForm,
    FacilityFilterForm,
    FacilityForm,
    IncubatedForm,
    MeasureForm,
    OrganisationForm,
    ParticipantForm,
    ProjectForm,
    ServedForm,
    TeamForm,
    VisitForm,
    VolunteerForm,
)
from dpf.social.models import RiskCaseStatus

PER_PAGE = 50
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@permission_required("view", "emergency_list")
@require_http_methods(["GET", "POST"])
def emergency_list(request: AuthedHttpRequest) -> HttpResponse:
    today = local_today()
    region_code = request.POST.get("region") or request.GET.get("region") or ""
    region_code = region_code or selectors.default_emergency_region(request.user)
    action = request.POST.get("action") if request.method == "POST" else None
    form = EmergencyExportForm(request.POST if action == "export" else None)
    need = EmergencyNeedForm(request.POST if action == "need" else None, prefix="n")
    status = 200
    if action == "need":
        status = 400
        if need.is_valid():
            try:
                emergency.emergency_need_record(actor=request.user, on=today, **need.cleaned_data)
            except ValidationFailed as refusal:
                attach_refusal(need, refusal)
            else:
                messages.success(request, _("已保存。"))
                return redirect(f"{request.path}?region={region_code}")
    elif request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                name, content, _count = emergency.emergency_export(
                    actor=request.user,
                    region_code=region_code,
                    on=today,
                    purpose=form.cleaned_data["purpose"],
                    fmt=form.cleaned_data["fmt"],
                )
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                kind = CONTENT_TYPES[form.cleaned_data["fmt"]]
                response = HttpResponse(content, content_type=kind)
                response["Content-Disposition"] = f'attachment; filename="{name}"'
                response["Cache-Control"] = "no-store"
                return response
    region, rows = None, list[emergency.PriorityPerson]()
    if region_code:
        region, rows = emergency.emergency_list(
            actor=request.user, region_code=region_code, on=today
        )
    context = {
        "region": region,
        "rows": rows,
        "form": form,
        "today": today,
        "choices": selectors.emergency_regions(request.user, region),
        "can_export": has_permission(request.user, "export", "emergency_list"),
        "can_change": has_permission(request.user, "change", "emergency_list"),
        "need": need,
        "reasons": emergency.REASONS,
    }
    return render(request, "social/emergency.html", context, status=status)


# --- return-to-poverty monitoring -------------------------------------------------------------


@permission_required("view", "risk_case")
@require_http_methods(["GET", "POST"])
def risk_cases(request: AuthedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        result = monitoring.risk_scan(actor=request.user, on=local_today())
        messages.success(
            request,
            _("扫描完成：%(found)s 户符合风险规则，新增预警 %(opened)s 件。")
            % {"found": result.found, "opened": result.opened},
        )
        return redirect("social:risk_cases")
    status = request.GET.get("status", "")
    status = status if status in RiskCaseStatus.values else ""
    page = Paginator(monitoring.cases(request.user, status=status), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "rows": list(page),
        "status": status,
        "statuses": RiskCaseStatus.choices,
        "counts": monitoring.open_counts(request.user),
        "can_scan": has_permission(request.user, "create", "risk_case"),
        "rules": monitoring.rules_in_force(local_today()),
        "thresholds": monitoring.thresholds_on(local_today()),
    }
    return render(request, "social/risk_cases.html", context)


@permission_required("view", "risk_case")
@require_http_methods(["GET", "POST"])
def risk_case(request: AuthedHttpRequest, case_id: int) -> HttpResponse:
    case = monitoring.case_for(request.user, case_id)
    action = request.POST.get("action") if request.method == "POST" else None
    visit = VisitForm(request.POST if action == "visit" else None, prefix="v")
    measure = MeasureForm(request.POST if action == "measure" else None, prefix="m")
    close = CloseForm(request.POST if action == "close" else None, prefix="c")
    forms_by_action = {"visit": visit, "measure": measure, "close": close}
    status = 200
    if request.method == "POST":
        status = 400
        form = forms_by_action.get(action or "")
        if form is not None and form.is_valid():
            data = form.cleaned_data
            try:
                if action == "visit":
                    monitoring.case_visit(actor=request.user, case_id=case.pk, **data)
                elif action == "measure":
                    monitoring.measure_add(actor=request.user, case_id=case.pk, **data)
                else:
                    monitoring.case_close(actor=request.user, case_id=case.pk, **data)
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                messages.success(request, _("已保存。"))
                return redirect("social:risk_case", case_id=case.pk)
    else:
        audit.record_view(request, "risk_case", case.pk)
    context = {
        "case": case,
        "measures": monitoring.measures_of(case),
        "visit": visit,
        "measure": measure,
        "close": close,
        "can_change": has_permission(request.user, "change", "risk_case"),
        "form": forms_by_action.get(action or ""),
    }
    return render(request, "social/risk_case.html", context, status=status)


# --- volunteers -------------------------------------------------------------------------------


def _team_choices(user: Any) -> list[tuple[int, str]]:
    return [(t.pk, t.name) for t in volunteers.teams(user)]


@permission_required("view", "volunteer")
@require_http_methods(["GET", "POST"])
def volunteer_list(request: AuthedHttpRequest) -> HttpResponse:
    teams = _team_choices(request.user)
    action = request.POST.get("action") if request.method == "POST" else None
    register = VolunteerForm(
        request.POST if action == "register" else None,
        prefix="r",
        villages=selectors.regions_of_level(request.user, RegionLevel.VILLAGE),
        teams=teams,
    )
    team = TeamForm(
        request.POST if action == "team" else None,
        prefix="t",
        townships=selectors.regions_of_level(request.user, RegionLevel.TOWNSHIP),
    )
    account = AccountForm(request.POST if action == "account" else None, prefix="a")
    raw_id = request.POST.get("volunteer_id", "") if action == "decide" else ""
    deciding = int(raw_id) if raw_id.isdigit() and len(raw_id) < 10 else None
    decision = DecisionForm(request.POST, prefix=f"d{deciding}") if deciding else None
    form = {"register": register, "team": team, "account": account, "decide": decision}.get(
        action or ""
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form is not None and form.is_valid():
            data = form.cleaned_data
            try:
                if action == "decide" and deciding is not None:
                    approve = data["decision"] == "approve"
                    volunteer_registration.volunteer_decide(
                        actor=request.user,
                        volunteer_id=deciding,
                        approve=approve,
                        reason=data["reason"],
                        today=local_today(),
                    )
                    messages.success(
                        request, _("注册已通过。") if approve else _("注册未通过，已告知原因。")
                    )
                elif action == "register":
                    volunteers.volunteer_register(actor=request.user, today=local_today(), **data)
                    messages.success(request, _("志愿者已登记。"))
                elif action == "team":
                    volunteers.team_create(actor=request.user, **data)
                    messages.success(request, _("志愿服务队已登记。"))
                else:
                    user, password = volunteers.volunteer_account_open(actor=request.user, **data)
                    # Shown once, on this answer only (never stored in clear, never logged).
                    context = {"account": user, "password": password}
                    response = render(request, "social/volunteer_account.html", context)
                    response["Cache-Control"] = "no-store"
                    return response
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                return redirect("social:volunteers")
    page = Paginator(volunteers.volunteers(request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    waiting = list(volunteer_registration.pending(request.user)[:PER_PAGE])
    context = {
        "page": page,
        "rows": list(page),
        "pending": [
            (v, decision if v.pk == deciding and decision else DecisionForm(prefix=f"d{v.pk}"))
            for v in waiting
        ],
        "pending_rows": waiting,
        "teams": list(volunteers.teams(request.user)),
        "register": register,
        "team": team,
        "form": form,
        "can_create": has_permission(request.user, "create", "volunteer"),
        "can_decide": has_permission(request.user, "change", "volunteer"),
    }
    return render(request, "social/volunteers.html", context, status=status)


@permission_required("view", "volunteer")
@require_http_methods(["GET", "POST"])
def event_list(request: AuthedHttpRequest) -> HttpResponse:
    form = EventForm(
        request.POST or None,
        townships=selectors.regions_of_level(request.user, RegionLevel.TOWNSHIP),
        teams=_team_choices(request.user),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                event = volunteers.event_create(actor=request.user, **form.cleaned_data)
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                messages.success(request, _("志愿活动已发布。"))
                return redirect("social:event", event_id=event.pk)
    page = Paginator(volunteers.events(request.user), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": list(page),
        "form": form,
        "can_create": has_permission(request.user, "create", "volunteer"),
    }
    return render(request, "social/events.html", context, status=status)


@permission_required("view", "volunteer")
@require_http_methods(["GET", "POST"])
def event_detail(request: AuthedHttpRequest, event_id: int) -> HttpResponse:
    event = volunteers.event_for(request.user, event_id)
    action = request.POST.get("action") if request.method == "POST" else None
    attendance = AttendanceForm(request.POST if action == "attendance" else None, prefix="at")
    served = ServedForm(request.POST if action == "served" else None, prefix="s")
    form = {"attendance": attendance, "served": served}.get(action or "")
    status = 200
    if request.method == "POST":
        status = 400
        if form is not None and form.is_valid():
            try:
                if action == "attendance":
                    volunteers.attendance_record(
                        actor=request.user, event_id=event.pk, **attendance.cleaned_data
                    )
                else:
                    volunteers.served_add(
                        actor=request.user, event_id=event.pk, **served.cleaned_data
                    )
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                messages.success(request, _("已保存。"))
                return redirect("social:event", event_id=event.pk)
    context = {
        "event": event,
        "signups": volunteers.signups_of(event),
        "served_persons": volunteers.served_of(event),
        "attendance": attendance,
        "served": served,
        "form": form,
        "can_change": has_permission(request.user, "change", "volunteer"),
    }
    return render(request, "social/event.html", context, status=status)


@permission_required("view", "volunteer_record", scope="self")
@require_http_methods(["GET", "POST"])
def my_events(request: AuthedHttpRequest) -> HttpResponse:
    """A volunteer's own events: sign up, see where to meet and whom to serve."""
    error = None
    status = 200
    if request.method == "POST":
        try:
            event_id = int(request.POST.get("event_id", ""))
        except ValueError:
            event_id = 0
        try:
            volunteers.event_signup(actor=request.user, event_id=event_id)
        except ValidationFailed as refusal:
            error = refusal.message
            status = 400
        else:
            messages.success(request, _("报名成功。"))
            return redirect("social:my_events")
    context = {"rows": volunteers.my_events(actor=request.user), "error": error}
    return render(request, "social/my_events.html", context, status=status)


# --- social organisations ---------------------------------------------------------------------


@permission_required("view", "social_organisation")
@require_http_methods(["GET", "POST"])
def organisation_list(request: AuthedHttpRequest) -> HttpResponse:
    form = OrganisationForm(
        request.POST or None,
        townships=selectors.regions_of_level(request.user, RegionLevel.TOWNSHIP),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                found = organisations.organisation_register(actor=request.user, **form.cleaned_data)
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                messages.success(request, _("社会组织已登记。"))
                return redirect("social:organisation", organisation_id=found.pk)
    page = Paginator(organisations.organisations(request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "rows": list(page),
        "form": form,
        "can_create": has_permission(request.user, "create", "social_organisation"),
    }
    return render(request, "social/organisations.html", context, status=status)


@permission_required("view", "social_organisation")
@require_http_methods(["GET", "POST"])
def organisation_detail(request: AuthedHttpRequest, organisation_id: int) -> HttpResponse:
    found = organisations.organisation_for(request.user, organisation_id)
    action = request.POST.get("action") if request.method == "POST" else None
    incubated = IncubatedForm(request.POST if action == "incubated" else None, prefix="i")
    project = ProjectForm(request.POST if action == "project" else None, prefix="p")
    form = {"incubated": incubated, "project": project}.get(action or "")
    status = 200
    if request.method == "POST":
        status = 400
        if form is not None and form.is_valid():
            try:
                if action == "incubated":
                    organisations.organisation_incubated(
                        actor=request.user, organisation_id=found.pk, **incubated.cleaned_data
                    )
                else:
                    created = organisations.project_create(
                        actor=request.user, organisation_id=found.pk, **project.cleaned_data
                    )
                    messages.success(request, _("购买服务项目已登记。"))
                    return redirect("social:project", project_id=created.pk)
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                messages.success(request, _("已保存。"))
                return redirect("social:organisation", organisation_id=found.pk)
    context = {
        "organisation": found,
        "projects": organisations.projects_of(found),
        "incubated": incubated,
        "project": project,
        "form": form,
        "can_change": has_permission(request.user, "change", "social_organisation"),
    }
    return render(request, "social/organisation.html", context, status=status)


@permission_required("view", "social_organisation")
@require_http_methods(["GET", "POST"])
def project_detail(request: AuthedHttpRequest, project_id: int) -> HttpResponse:
    found = organisations.project_for(request.user, project_id)
    action = request.POST.get("action") if request.method == "POST" else None
    delivery = DeliveryForm(request.POST if action == "delivery" else None, prefix="d")
    evaluation = EvaluationForm(request.POST if action == "evaluate" else None, prefix="e")
    form = {"delivery": delivery, "evaluate": evaluation}.get(action or "")
    status = 200
    if request.method == "POST":
        status = 400
        if form is not None and form.is_valid():
            try:
                if action == "delivery":
                    organisations.delivery_record(
                        actor=request.user, project_id=found.pk, **delivery.cleaned_data
                    )
                else:
                    organisations.project_evaluate(
                        actor=request.user, project_id=found.pk, **evaluation.cleaned_data
                    )
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                messages.success(request, _("已保存。"))
                return redirect("social:project", project_id=found.pk)
    context = {
        "project": found,
        "deliveries": organisations.deliveries_of(found),
        "delivery": delivery,
        "evaluation": evaluation,
        "form": form,
        "can_change": has_permission(request.user, "change", "social_organisation"),
    }
    return render(request, "social/project.html", context, status=status)


# --- service facilities -----------------------------------------------------------------------


def _facility_initial(found: Any) -> dict[str, Any]:
    fields = ("name", "kind", "township_code", "floor_area", "state", "opening_year")
    dates = ("planned_on", "building_from", "opened_on", "closed_on")
    return {key: getattr(found, key) for key in (*fields, *dates)}


@permission_required("view", "facility")
@require_http_methods(["GET", "POST"])
def facility_list(request: AuthedHttpRequest) -> HttpResponse:
    counties = selectors.regions_of_level(request.user, RegionLevel.COUNTY)
    chosen = FacilityFilterForm(request.GET, counties=counties)
    county = kind = ""
    if chosen.is_valid():
        county, kind = chosen.cleaned_data["county"], chosen.cleaned_data["kind"]
    form = FacilityForm(
        request.POST or None,
        townships=selectors.regions_of_level(request.user, RegionLevel.TOWNSHIP),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                found = facilities.facility_record(
                    actor=request.user, today=local_today(), **form.cleaned_data
                )
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                messages.success(request, _("服务设施已登记。"))
                return redirect("social:facility", facility_id=found.pk)
    rows = facilities.facilities(request.user, county=county, kind=kind)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": list(page),
        "chosen": chosen,
        "query": urlencode({k: v for k, v in (("county", county), ("kind", kind)) if v}),
        "totals": facilities.facility_totals(rows),
        "form": form,
        "can_create": has_permission(request.user, "create", "facility"),
    }
    return render(request, "social/facilities.html", context, status=status)


@permission_required("view", "facility")
@require_http_methods(["GET", "POST"])
def facility_detail(request: AuthedHttpRequest, facility_id: int) -> HttpResponse:
    found = facilities.facility_for(request.user, facility_id)
    form = FacilityForm(
        request.POST or None,
        initial=_facility_initial(found),
        townships=selectors.regions_of_level(request.user, RegionLevel.TOWNSHIP),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                facilities.facility_change(
                    actor=request.user,
                    facility_id=found.pk,
                    today=local_today(),
                    **form.cleaned_data,
                )
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                messages.success(request, _("已保存。"))
                return redirect("social:facility", facility_id=found.pk)
    context = {
        "facility": found,
        "form": form,
        "can_change": has_permission(request.user, "change", "facility"),
    }
    return render(request, "social/facility.html", context, status=status)


# --- culture and sport ------------------------------------------------------------------------


def _year(raw: str | None, default: int) -> int:
    try:
        year = int(raw or "")
    except ValueError:
        return default
    return year if 2000 <= year <= default + 1 else default


@permission_required("view", "culture_activity")
@require_http_methods(["GET", "POST"])
def activity_list(request: AuthedHttpRequest) -> HttpResponse:
    today = local_today()
    year = _year(request.GET.get("year"), today.year)
    form = ActivityForm(
        request.POST or None,
        counties=selectors.regions_of_level(request.user, RegionLevel.COUNTY),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                found = culture.activity_create(
                    actor=request.user, today=today, **form.cleaned_data
                )
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                messages.success(request, _("文化体育活动已登记。"))
                return redirect("social:activity", activity_id=found.pk)
    page = Paginator(culture.activities(request.user, year=year), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "rows": list(page),
        "year": year,
        "years": list(range(today.year + 1, today.year - 6, -1)),
        "counts": culture.participation_by_county(request.user, year=year),
        "form": form,
        "can_create": has_permission(request.user, "create", "culture_activity"),
    }
    return render(request, "social/activities.html", context, status=status)


@permission_required("view", "culture_activity")
@require_http_methods(["GET", "POST"])
def activity_detail(request: AuthedHttpRequest, activity_id: int) -> HttpResponse:
    found = culture.activity_for(request.user, activity_id)
    form = ParticipantForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                culture.participant_add(
                    actor=request.user,
                    activity_id=found.pk,
                    today=local_today(),
                    **form.cleaned_data,
                )
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                messages.success(request, _("已登记参与人员。"))
                return redirect("social:activity", activity_id=found.pk)
    context = {
        "activity": found,
        "participants": culture.participants_of(found),
        "form": form,
        "can_change": has_permission(request.user, "change", "culture_activity"),
    }
    return render(request, "social/activity.html", context, status=status)
