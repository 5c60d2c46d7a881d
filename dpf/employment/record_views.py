"""Employment records and assisted employment pages: who works (record, end), the
zero-employment households to follow up as of a date, and assisted-employment institutions
and placements by county against the plan's targets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import has_permission, permission_required
from dpf.core import audit
from dpf.core.dates import local_today
from dpf.core.errors import ValidationFailed
from dpf.employment import records, selectors
from dpf.employment.forms import (
    AsOfForm,
    EmploymentEndForm,
    EmploymentForm,
    InstitutionForm,
    PlacementForm,
)
from dpf.employment.views import PER_PAGE, _attach


def _as_of(request: HttpRequest) -> dt.date:
    form = AsOfForm(request.GET)
    on = form.cleaned_data.get("on") if form.is_valid() else None
    return on or local_today()


@permission_required("view", "employment_record")
@require_http_methods(["GET", "POST"])
def employment_records(request: AuthedHttpRequest) -> HttpResponse:
    """Employment in force on a date in my region; record one, end one."""
    action = request.POST.get("action") if request.method == "POST" else None
    form = EmploymentForm(request.POST if action == "record" else None, prefix="r")
    end = EmploymentEndForm(request.POST if action == "end" else None, prefix="e")
    status = 200
    if request.method == "POST":
        status = 400
        try:
            if action == "record" and form.is_valid():
                records.employment_record(actor=request.user, **form.cleaned_data)
                messages.success(request, _("就业登记已保存。"))
                return redirect("employment:records")
            if action == "end" and end.is_valid():
                records.employment_end(actor=request.user, **end.cleaned_data)
                messages.success(request, _("就业登记已结束。"))
                return redirect("employment:records")
        except ValidationFailed as refusal:
            _attach(form if action == "record" else end, refusal)
    on = _as_of(request)
    page = Paginator(records.employments(request.user, on), PER_PAGE).get_page(
        request.GET.get("page")
    )
    audit.record_view(request, "employment", changes={"on": on.isoformat(), "page": page.number})
    context = {
        "on": on,
        "page": page,
        "rows": list(page),
        "form": form,
        "end": end,
        "can_change": has_permission(request.user, "change", "employment_record"),
    }
    return render(request, "employment/records.html", context, status=status)


@permission_required("view", "employment_record")
def zero_employment(request: AuthedHttpRequest) -> HttpResponse:
    """The zero-employment households of my region as of a date (the follow-up list)."""
    on = _as_of(request)
    page = Paginator(records.zero_employment_households(request.user, on), PER_PAGE).get_page(
        request.GET.get("page")
    )
    audit.record_view(
        request, "zero_employment", changes={"on": on.isoformat(), "page": page.number}
    )
    context = {"on": on, "page": page, "rows": list(page)}
    return render(request, "employment/zero_employment.html", context)


@permission_required("view", "employment_record")
@require_http_methods(["GET", "POST"])
def assisted(request: AuthedHttpRequest) -> HttpResponse:
    """Assisted employment by county (institutions open, persons placed, public-welfare
    posts) against the plan's targets; register an institution, place a person."""
    user: Any = request.user
    own = list(records.institutions(user).order_by("county_code", "name", "pk"))
    choices = [(i.pk, i.name) for i in own if i.closed_on is None]
    action = request.POST.get("action") if request.method == "POST" else None
    institution = InstitutionForm(
        request.POST if action == "institution" else None,
        prefix="i",
        counties=selectors.county_choices(user),
    )
    placement = PlacementForm(
        request.POST if action == "placement" else None, prefix="p", institutions=choices
    )
    status = 200
    if request.method == "POST":
        status = 400
        try:
            if action == "institution" and institution.is_valid():
                records.institution_register(actor=user, **institution.cleaned_data)
                messages.success(request, _("辅助性就业机构已登记。"))
                return redirect("employment:assisted")
            if action == "placement" and placement.is_valid():
                records.placement_add(actor=user, **placement.cleaned_data)
                messages.success(request, _("安置已登记。"))
                return redirect("employment:assisted")
        except ValidationFailed as refusal:
            _attach(institution if action == "institution" else placement, refusal)
    on = _as_of(request)
    page = Paginator(records.placements(user, on), PER_PAGE).get_page(request.GET.get("page"))
    audit.record_view(request, "placement", changes={"on": on.isoformat(), "page": page.number})
    context = {
        "on": on,
        "counties": records.placements_by_county(user, on),
        "institutions": own,
        "institutions_target": records.INSTITUTIONS_TARGET,
        "placed_target": records.PLACED_TARGET,
        "page": page,
        "rows": list(page),
        "institution_form": institution,
        "placement_form": placement,
        "can_create": has_permission(user, "create", "employment_record"),
    }
    return render(request, "employment/assisted.html", context, status=status)
