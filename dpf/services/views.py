"""Service pages: the institutions (registered and changed by the city), the assistive-device
subsidy catalogue (dated versions), the rehabilitation queue of an institution (or region),
one plan with its sessions, and a new plan for a person with a need."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import has_permission, permission_required
from dpf.core import audit
from dpf.core.errors import ValidationFailed
from dpf.services import child_rehab_selectors, selectors, services
from dpf.services.forms import (
    CareEndForm,
    CarePlacementForm,
    CatalogueDateForm,
    DeviceFittingForm,
    DeviceFollowUpForm,
    DeviceItemEndForm,
    DeviceItemForm,
    InstitutionForm,
    NotEnrolledForm,
    NotEnrolledResolveForm,
    NotEnrolledVisitForm,
    RehabCloseForm,
    RehabPlanForm,
    RehabSessionForm,
    RenovationAcceptForm,
    RenovationAssessForm,
    RenovationCompleteForm,
    RenovationPlanForm,
    SchoolingEnrolForm,
    SchoolingLeaveForm,
)
from dpf.services.models import RehabKind
from dpf.workflow import documents as document_files

PER_PAGE = 25


def _attach(form: object, refusal: ValidationFailed) -> None:
    name = refusal.field or ""
    form.add_error(name if name in form.fields else None, refusal.message)  # type: ignore[attr-defined]


@permission_required("view", "service_record")
def institutions(request: AuthedHttpRequest) -> HttpResponse:
    rows = list(selectors.institutions(request.user))
    return render(request, "services/institutions.html", {"rows": rows})


def _institution_form(request: AuthedHttpRequest, *, creating: bool, **kwargs: Any) -> Any:
    return InstitutionForm(
        request.POST if request.method == "POST" else None,
        townships=selectors.township_choices(request.user),
        creating=creating,
        **kwargs,
    )


@permission_required("create", "institution")
@require_http_methods(["GET", "POST"])
def institution_new(request: AuthedHttpRequest) -> HttpResponse:
    """Register an institution of the city's list (its code is then its accounts')."""
    form = _institution_form(request, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            found = services.institution_register(actor=request.user, **form.cleaned_data)
        except ValidationFailed as refusal:
            _attach(form, refusal)
        else:
            messages.success(request, _("服务机构已登记。"))
            return redirect("services:institution", institution_id=found.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "services/institution_form.html", {"form": form}, status=status)


@permission_required("view", "service_record")
def institution(request: AuthedHttpRequest, institution_id: int) -> HttpResponse:
    """One institution of my region (or my own institution): what the city recorded."""
    found = selectors.institution_for(request.user, institution_id)
    context = {"institution": found, "rows": [found]}
    return render(request, "services/institution.html", context)


INSTITUTION_FIELDS = (
    "name",
    "kind",
    "township_code",
    "licence_number",
    "capacity",
    "services_offered",
    "designated_from",
    "designated_to",
)


@permission_required("change", "institution")
@require_http_methods(["GET", "POST"])
def institution_edit(request: AuthedHttpRequest, institution_id: int) -> HttpResponse:
    """Correct an institution, or set or end its designation (the city's)."""
    found = selectors.institution_for(request.user, institution_id)
    initial = {key: getattr(found, key) for key in INSTITUTION_FIELDS}
    form = _institution_form(request, creating=False, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.institution_change(
                actor=request.user, institution_id=found.pk, **form.cleaned_data
            )
        except ValidationFailed as refusal:
            _attach(form, refusal)
        else:
            messages.success(request, _("已保存。"))
            return redirect("services:institution", institution_id=found.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "institution": found}
    return render(request, "services/institution_form.html", context, status=status)


@permission_required("view", "service_record")
def device_catalogue(request: AuthedHttpRequest) -> HttpResponse:
    """The assistive-device subsidy catalogue: the versions in force on a date (today by
    default) and every version."""
    chosen = CatalogueDateForm(request.GET)
    on = (chosen.cleaned_data["on"] if chosen.is_valid() else None) or timezone.localdate()
    in_force, history = selectors.device_catalogue(on)
    context = {"chosen": chosen, "on": on, "in_force": in_force, "history": history}
    return render(request, "services/device_catalogue.html", context)


@permission_required("create", "device_catalogue")
@require_http_methods(["GET", "POST"])
def device_item_new(request: AuthedHttpRequest) -> HttpResponse:
    """A new dated version of the catalogue: a new device, or a new standard of one."""
    form = DeviceItemForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.device_item_add(actor=request.user, **form.cleaned_data)
        except ValidationFailed as refusal:
            _attach(form, refusal)
        else:
            messages.success(request, _("补贴目录已新增。"))
            return redirect("services:device_catalogue")
    status = 400 if request.method == "POST" else 200
    return render(request, "services/device_item_new.html", {"form": form}, status=status)


@permission_required("change", "device_catalogue")
@require_http_methods(["GET", "POST"])
def device_item_end(request: AuthedHttpRequest, item_id: int) -> HttpResponse:
    """End a version in force: its last day."""
    item = selectors.device_item(item_id)
    form = DeviceItemEndForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.device_item_end(
                actor=request.user, item_id=item.pk, valid_to=form.cleaned_data["valid_to"]
            )
        except ValidationFailed as refusal:
            _attach(form, refusal)
        else:
            messages.success(request, _("已设定失效日期。"))
            return redirect("services:device_catalogue")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "item": item}
    return render(request, "services/device_item_end.html", context, status=status)


@permission_required("view", "service_record")
def rehab_queue(request: AuthedHttpRequest) -> HttpResponse:
    """Open plans of my institution's clients (or of my region), oldest first."""
    page = Paginator(selectors.rehab_plans(request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "services/rehab_queue.html", {"page": page, "rows": list(page)})


@permission_required("view", "service_record")
@require_http_methods(["GET", "POST"])
def rehab_plan(request: AuthedHttpRequest, plan_id: int) -> HttpResponse:
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
        audit.record_view(request, "rehab_plan", plan.pk)
    context = {
        "plan": plan,
        "sessions": selectors.sessions_of(plan),
        "session_form": session_form,
        "close_form": close_form,
        "fittings": fittings,
        "fitting_form": fitting_form,
        "follow_up_form": follow_up_form,
        "is_device_plan": plan.kind == RehabKind.DEVICE,
        "budget": child_rehab_selectors.plan_budget(plan),
        "can_record": has_permission(request.user, "create", "service_record")
        and plan.closed_on is None,
        "today": timezone.localdate(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "services/rehab_plan.html", context, status=status)


@permission_required("create", "service_plan")
@require_http_methods(["GET", "POST"])
def rehab_plan_new(request: AuthedHttpRequest, person_id: int) -> HttpResponse:
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
                cost=data["cost"],
            )
        except ValidationFailed as refusal:
            _attach(form, refusal)
        else:
            messages.success(request, _("康复服务计划已建立。"))
            return redirect("services:rehab_plan", plan_id=plan.pk)
    status = 400 if request.method == "POST" else 200
    today = timezone.localdate()
    child = child_rehab_selectors.is_child_on(person, today)
    context = {
        "person": person,
        "form": form,
        "budget": child_rehab_selectors.child_budget(person, today.year) if child else None,
    }
    return render(request, "services/rehab_plan_new.html", context, status=status)


@permission_required("view", "home_renovation")
def renovation_queue(request: AuthedHttpRequest) -> HttpResponse:
    """Home renovations of my region under way (or, ?accepted=1, accepted)."""
    accepted = request.GET.get("accepted") == "1"
    page = Paginator(selectors.renovations(request.user, accepted=accepted), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "rows": list(page), "accepted": accepted}
    return render(request, "services/renovation_queue.html", context)


@permission_required("view", "home_renovation")
@require_http_methods(["GET", "POST"])
def renovation(request: AuthedHttpRequest, renovation_id: int) -> HttpResponse:
    """One renovation: assessment, items, completion, acceptance; the next step's form."""
    record = selectors.renovation_for(request.user, renovation_id)
    action = request.POST.get("action") if request.method == "POST" else None
    plan_form = RenovationPlanForm(request.POST if action == "approve" else None, prefix="p")
    complete_form = RenovationCompleteForm(
        request.POST if action == "complete" else None,
        request.FILES if action == "complete" else None,
        prefix="c",
    )
    accept_form = RenovationAcceptForm(request.POST if action == "accept" else None, prefix="a")
    forms_by_action = {"approve": plan_form, "complete": complete_form, "accept": accept_form}
    if request.method == "POST":
        try:
            if action == "approve" and plan_form.is_valid():
                services.renovation_plan_approve(
                    actor=request.user,
                    renovation_id=record.pk,
                    items=plan_form.items(),  # type: ignore[arg-type]
                    contractor=plan_form.cleaned_data["contractor"],
                    approved_on=plan_form.cleaned_data["approved_on"],
                )
                messages.success(request, _("改造方案已批准。"))
                return redirect("services:renovation", renovation_id=record.pk)
            if action == "complete" and complete_form.is_valid():
                # Read within bounds: one file more than allowed is enough to refuse.
                files = complete_form.cleaned_data["photos"][: services.MAX_PHOTOS + 1]
                services.renovation_complete(
                    actor=request.user,
                    renovation_id=record.pk,
                    completed_on=complete_form.cleaned_data["completed_on"],
                    photos=[(f.name or "", f.read(services.PHOTO_MAX_BYTES + 1)) for f in files],
                    note=complete_form.cleaned_data["note"],
                )
                messages.success(request, _("已登记完工。"))
                return redirect("services:renovation", renovation_id=record.pk)
            if action == "accept" and accept_form.is_valid():
                services.renovation_accept(
                    actor=request.user,
                    renovation_id=record.pk,
                    accepted_on=accept_form.cleaned_data["accepted_on"],
                    note=accept_form.cleaned_data["note"],
                )
                messages.success(request, _("已验收。"))
                return redirect("services:renovation", renovation_id=record.pk)
        except ValidationFailed as refusal:
            _attach(forms_by_action.get(action or "", plan_form), refusal)
    else:
        audit.record_view(request, "home_renovation", record.pk)
    items = list(record.items.order_by("pk"))
    context = {
        "record": record,
        "items": items,
        "photos": selectors.renovation_photos(record),
        "total": sum((i.cost for i in items), 0),
        "plan_form": plan_form,
        "complete_form": complete_form,
        "accept_form": accept_form,
        "can_record": has_permission(request.user, "change", "home_renovation"),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "services/renovation.html", context, status=status)


@permission_required("view", "home_renovation")
@require_GET
def renovation_photo(request: AuthedHttpRequest, renovation_id: int, number: int) -> FileResponse:
    """One completion photo, only through this scoped and audited view (never a static
    address): shown in the browser, its type fixed by its checked content."""
    photo = selectors.renovation_photo_for(request.user, renovation_id, number)
    content = document_files.read(photo.stored_name, folder=services.PHOTO_FOLDER)
    audit.record_view(request, "home_renovation", renovation_id, changes={"photo": number})
    extension = document_files.EXTENSION[photo.content_type]
    response = FileResponse(
        io.BytesIO(content),
        content_type=photo.content_type,
        filename=f"renovation-{renovation_id}-{number}{extension}",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@permission_required("create", "home_renovation")
@require_http_methods(["GET", "POST"])
def renovation_new(request: AuthedHttpRequest, person_id: int) -> HttpResponse:
    """Assess a certified person's home: the household's renovation starts."""
    person = selectors.person_for_plan(request.user, person_id)
    form = RenovationAssessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record = services.renovation_assess(
                actor=request.user,
                person_id=person.pk,
                assessed_on=form.cleaned_data["assessed_on"],
                assessment=form.cleaned_data["assessment"],
            )
        except ValidationFailed as refusal:
            _attach(form, refusal)
        else:
            messages.success(request, _("入户评估已记录。"))
            return redirect("services:renovation", renovation_id=record.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "services/renovation_new.html", {"person": person, "form": form}, status=status
    )


@permission_required("view", "education_record")
def schooling_queue(request: AuthedHttpRequest) -> HttpResponse:
    """Children of 6-15 not in school in my region, to be followed until resolved."""
    page = Paginator(selectors.not_enrolled_queue(request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "services/schooling_queue.html", {"page": page, "rows": list(page)})


@permission_required("view", "education_record")
@require_http_methods(["GET", "POST"])
def schooling_child(request: AuthedHttpRequest, person_id: int) -> HttpResponse:
    """One child's schooling: the status in force, the history, and what to record next."""
    person = selectors.child_for(request.user, person_id)
    action = request.POST.get("action") if request.method == "POST" else None
    forms_by_action = {
        "enrol": SchoolingEnrolForm(request.POST if action == "enrol" else None, prefix="e"),
        "leave": SchoolingLeaveForm(request.POST if action == "leave" else None, prefix="l"),
        "not_enrolled": NotEnrolledForm(
            request.POST if action == "not_enrolled" else None, prefix="n"
        ),
        "visit": NotEnrolledVisitForm(request.POST if action == "visit" else None, prefix="v"),
        "resolve": NotEnrolledResolveForm(
            request.POST if action == "resolve" else None, prefix="r"
        ),
    }
    enrolments, records = selectors.schooling_of(person)
    open_record = next((r for r in records if r.resolved_on is None), None)
    if request.method == "POST":
        form = forms_by_action.get(action or "")
        try:
            if form is not None and form.is_valid():
                data = form.cleaned_data
                done = _schooling_write(request, action or "", person.pk, open_record, data)
                if done:
                    messages.success(request, done)
                    return redirect("services:schooling_child", person_id=person.pk)
        except ValidationFailed as refusal:
            _attach(form, refusal)
    else:
        audit.record_view(request, "schooling", person.pk)
    today = timezone.localdate()
    context = {
        "person": person,
        "enrolments": enrolments,
        "records": records,
        "open_record": open_record,
        "status": selectors.schooling_status_on(enrolments, records, today),
        "in_school": any(e.in_force_on(today) for e in enrolments),
        "can_record": has_permission(request.user, "create", "education_record"),
        **{f"{name}_form": form for name, form in forms_by_action.items()},
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "services/schooling_child.html", context, status=status)


def _schooling_write(
    request: AuthedHttpRequest, action: str, person_id: int, open_record: object, data: dict
) -> str:
    actor = request.user
    if action == "enrol":
        services.schooling_enrol(actor=actor, person_id=person_id, **data)
        return _("就学记录已保存。")
    if action == "leave":
        services.schooling_leave(actor=actor, person_id=person_id, **data)
        return _("已登记离校，并列入未入学跟进名单。")
    if action == "not_enrolled":
        services.not_enrolled_record(actor=actor, person_id=person_id, **data)
        return _("已列入未入学跟进名单。")
    record_id = getattr(open_record, "pk", 0)
    if action == "visit" and record_id:
        services.not_enrolled_visit(actor=actor, record_id=record_id, **data)
        return _("走访记录已保存。")
    if action == "resolve" and record_id:
        services.not_enrolled_resolve(actor=actor, record_id=record_id, **data)
        return _("跟进已解决。")
    return ""


@permission_required("view", "service_record")
def care_queue(request: AuthedHttpRequest) -> HttpResponse:
    """Care placements in force today at my institution (or in my region); ?ended=1: the
    ones that ended."""
    ended = request.GET.get("ended") == "1"
    rows = selectors.care_placements(request.user, timezone.localdate(), current=not ended)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "rows": list(page), "ended": ended}
    return render(request, "services/care_queue.html", context)


@permission_required("view", "service_record")
@require_http_methods(["GET", "POST"])
def care_placement(request: AuthedHttpRequest, placement_id: int) -> HttpResponse:
    placement = selectors.care_placement_for(request.user, placement_id)
    form = CareEndForm(request.POST if request.method == "POST" else None, prefix="e")
    if request.method == "POST" and form.is_valid():
        try:
            services.care_placement_end(
                actor=request.user,
                placement_id=placement.pk,
                ended_on=form.cleaned_data["ended_on"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationFailed as refusal:
            _attach(form, refusal)
        else:
            messages.success(request, _("托养已结束。"))
            return redirect("services:care_placement", placement_id=placement.pk)
    elif request.method == "GET":
        audit.record_view(request, "care_placement", placement.pk)
    context = {
        "placement": placement,
        "form": form,
        "can_end": has_permission(request.user, "create", "service_record")
        and placement.ended_on is None,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "services/care_placement.html", context, status=status)


@permission_required("create", "service_plan")
@require_http_methods(["GET", "POST"])
def care_placement_new(request: AuthedHttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person_for_plan(request.user, person_id)
    choices = [(i.pk, f"{i.name}（{i.code}）") for i in selectors.care_institutions()]
    form = CarePlacementForm(request.POST or None, institutions=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            placement = services.care_placement_create(
                actor=request.user,
                person_id=person.pk,
                institution_id=data["institution"],
                kind=data["kind"],
                start=data["start"],
                months=data["months"],
                monthly_subsidy=data["monthly_subsidy"],
            )
        except ValidationFailed as refusal:
            _attach(form, refusal)
        else:
            messages.success(request, _("托养安置已登记。"))
            return redirect("services:care_placement", placement_id=placement.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "services/care_placement_new.html", {"person": person, "form": form}, status=status
    )
