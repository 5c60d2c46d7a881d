"""Staff pages of the portal: the queue of complaints and home-visit requests (township and
county officers; a village worker's: those assigned to them), one request's handling and
its assignment down the region tree, and opening a portal account for a person of one's
region."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import has_permission, permission_required
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.regions import display_names
from dpf.portal import casework, selectors, services
from dpf.portal.forms import IntakeForm, RequestActionForm, RequestAssignForm, WorkerAccountForm
from dpf.portal.models import CitizenRequest, RequestStatus
from dpf.workflow.forms import attach_refusal
from dpf.workflow.selectors import person_by_id_number

PER_PAGE = 25
ASSIGN_PREFIX = "assign"  # the assignment form shares the request page with the action form


@permission_required("view", "citizen_request")
def request_queue(request: AuthedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    mine = request.GET.get("assigned") == "me"
    today = selectors.today()
    rows = selectors.request_queue(request.user, status, today, mine=mine)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    names = display_names({r.township_code for r in items} | {r.assigned_region for r in items})
    shown = status if status in [*RequestStatus.values, selectors.OVERDUE] else ""
    filters = [("status", shown)] if shown else []
    filters += [("assigned", "me")] if mine else []
    context = {
        "page": page,
        "rows": items,
        "names": names,
        "today": today,
        "overdue": selectors.overdue_counts(request.user, today),
        "escalated": selectors.escalated_count(request.user),
        "assigned_to_me": selectors.assigned_to_me_count(request.user),
        "mine": mine,
        "status": shown,
        "query": urlencode(filters),  # kept from page to page
        "statuses": [*RequestStatus.choices, (selectors.OVERDUE, _("已逾期"))],
    }
    return render(request, "portal/staff_requests.html", context)


def _request_page(
    request: AuthedHttpRequest,
    found: CitizenRequest,
    *,
    form: RequestActionForm | None = None,
    assign_form: RequestAssignForm | None = None,
    status: int = 200,
) -> HttpResponse:
    closed = found.status == RequestStatus.CLOSED
    targets = [] if closed else selectors.assignment_targets(request.user, found)
    if assign_form is None and targets:
        assign_form = RequestAssignForm(
            targets=[(t.value, t.label) for t in targets],
            initial={"expected_assignment": casework.assignment_of(found)},
            prefix=ASSIGN_PREFIX,
        )
    events = selectors.request_events(found, internal=True)
    context = {
        "r": found,
        "events": events,
        "names": display_names({found.assigned_region} | {e.assigned_region for e in events}),
        "show_assignee": True,
        "form": form or RequestActionForm(initial={"expected_status": found.status}),
        # Offered when there is someone below to assign to; a refused choice is shown
        # with its reason even when there is not (a village worker's forged post).
        "assign_form": assign_form if targets or (assign_form and assign_form.errors) else None,
        "today": selectors.today(),
        # A matter for a lawyer goes on to the county's legal aid centre (dpf.social).
        "may_refer": has_permission(request.user, "create", "legal_aid"),
    }
    return render(request, "portal/staff_request.html", context, status=status)


@permission_required("change", "citizen_request")
@require_http_methods(["GET", "POST"])
def request_handle(request: AuthedHttpRequest, request_id: int) -> HttpResponse:
    found = selectors.request_for_staff(request.user, request_id)
    form = RequestActionForm(request.POST or None, initial={"expected_status": found.status})
    if request.method == "POST" and form.is_valid():
        try:
            casework.request_act(
                actor=request.user,
                request_id=found.pk,
                action=form.cleaned_data["action"],
                note=form.cleaned_data["note"],
                satisfaction=form.cleaned_data["satisfaction"],
                expected_status=form.cleaned_data["expected_status"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("已处理。"))
            return redirect("portal:staff_request", request_id=found.pk)
    status = 400 if request.method == "POST" else 200
    return _request_page(request, found, form=form, status=status)


@permission_required("change", "citizen_request")
@require_http_methods(["POST"])
def request_assign(request: AuthedHttpRequest, request_id: int) -> HttpResponse:
    found = selectors.request_for_staff(request.user, request_id)
    targets = selectors.assignment_targets(request.user, found)
    form = RequestAssignForm(
        request.POST, targets=[(t.value, t.label) for t in targets], prefix=ASSIGN_PREFIX
    )
    if form.is_valid():
        to_region, to_user_id = form.cleaned_data["target"]
        try:
            casework.request_assign(
                actor=request.user,
                request_id=found.pk,
                to_region=to_region,
                to_user_id=to_user_id,
                note=form.cleaned_data["note"],
                expected_assignment=form.cleaned_data["expected_assignment"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("已分派，办理期限不变。"))
            return redirect("portal:staff_request", request_id=found.pk)
    return _request_page(request, found, assign_form=form, status=400)


@permission_required("create", "citizen_request")
@require_http_methods(["GET", "POST"])
def request_intake(request: AuthedHttpRequest) -> HttpResponse:
    """An officer records a request made at the window or on the 12385 hotline."""
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = person_by_id_number(request.user, form.cleaned_data["id_number"])
            created = casework.request_intake(
                actor=request.user,
                person_id=person.pk,
                channel=form.cleaned_data["channel"],
                kind=form.cleaned_data["kind"],
                category=form.cleaned_data["category"],
                text=form.cleaned_data["text"],
                contact_preference=form.cleaned_data["contact_preference"],
            )
        except NotFound:
            form.add_error(
                "id_number",
                _("本辖区没有登记这个身份证号码的人员"),
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("已登记，办理期限已计算。"))
            return redirect("portal:staff_request", request_id=created.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/staff_intake.html", {"form": form}, status=status)


@permission_required("create", "citizen_account")
@require_http_methods(["GET", "POST"])
def account_new(request: AuthedHttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person_for_staff(request.user, person_id)
    form = WorkerAccountForm(request.POST or None)
    opened = None
    if request.method == "POST" and form.is_valid():
        try:
            opened = services.account_open_by_worker(
                actor=request.user,
                person_id=person.pk,
                username=form.cleaned_data["username"],
                phone=form.cleaned_data["phone"],
                send_to_phone=form.cleaned_data["send_to_phone"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
    context = {
        "person": person,
        "form": form,
        "opened": opened,
        "has_account": opened is None and selectors.has_account(person),
    }
    status = 400 if request.method == "POST" and opened is None else 200
    response = render(request, "portal/staff_account.html", context, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response
