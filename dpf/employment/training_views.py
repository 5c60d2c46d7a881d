"""Training pages: the courses of my region (and a new one), one course's attendees (enrol by
ID number, record completion), the report by county, and the register of training bases and
skills-master studios (list with the counts by county, one base with its courses, register,
edit)."""

from __future__ import annotations

import datetime as dt
from typing import Any

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
from dpf.employment import bases, selectors, training
from dpf.employment.forms import (
    CompleteForm,
    CourseForm,
    EnrolForm,
    TrainingBaseFilterForm,
    TrainingBaseForm,
)
from dpf.employment.views import PER_PAGE, _attach, _year


@permission_required("view", "training")
@require_http_methods(["GET", "POST"])
def courses(request: AuthedHttpRequest) -> HttpResponse:
    form = CourseForm(
        request.POST or None,
        counties=selectors.county_choices(request.user),
        bases=bases.base_choices(request.user),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                course = training.course_create(actor=request.user, **form.cleaned_data)
            except ValidationFailed as refusal:
                _attach(form, refusal)
            else:
                messages.success(request, _("培训已登记。"))
                return redirect("employment:training_course", course_id=course.pk)
    page = Paginator(training.courses(request.user), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": list(page),
        "form": form,
        "can_create": has_permission(request.user, "create", "training"),
    }
    return render(request, "employment/training.html", context, status=status)


@permission_required("view", "training")
@require_http_methods(["GET", "POST"])
def course(request: AuthedHttpRequest, course_id: int) -> HttpResponse:
    current = training.course_for(request.user, course_id)
    action = request.POST.get("action") if request.method == "POST" else None
    enrol = EnrolForm(request.POST if action == "enrol" else None, prefix="e")
    complete = CompleteForm(request.POST if action == "complete" else None, prefix="c")
    status = 200
    if request.method == "POST":
        status = 400
        try:
            if action == "enrol" and enrol.is_valid():
                training.attendance_add(
                    actor=request.user,
                    course_id=current.pk,
                    id_number=enrol.cleaned_data["id_number"],
                )
                messages.success(request, _("学员已加入培训。"))
                return redirect("employment:training_course", course_id=current.pk)
            if action == "complete" and complete.is_valid():
                training.attendance_complete(
                    actor=request.user,
                    course_id=current.pk,
                    attendance_id=complete.cleaned_data["attendance_id"],
                    completed_on=complete.cleaned_data["completed_on"],
                )
                messages.success(request, _("结业已登记。"))
                return redirect("employment:training_course", course_id=current.pk)
        except ValidationFailed as refusal:
            _attach(enrol if action == "enrol" else complete, refusal)
    else:
        audit.record_view(request, "training_course", current.pk)
    context = {
        "course": current,
        "attendances": training.attendances_of(request.user, current),
        "enrol": enrol,
        "complete": complete,
        "can_change": has_permission(request.user, "change", "training"),
    }
    return render(request, "employment/training_course.html", context, status=status)


@permission_required("view", "training")
def training_report(request: AuthedHttpRequest) -> HttpResponse:
    """Completed training (person-times, as I02 counts them) by county for one year."""
    year = _year(request)
    rows = training.training_by_county(request.user, year=year)
    today = local_today()
    by_county = bases.bases_by_county(request.user, year=year, today=today)
    context = {
        "rows": rows,
        "year": year,
        "on": min(dt.date(year, 12, 31), today),
        "total_times": sum(r["person_times"] for r in rows),
        # A person lives in one county, so the counties' persons add up.
        "total_persons": sum(r["persons"] for r in rows),
        "base_counties": by_county,
        "base_totals": bases.county_totals(by_county),
    }
    return render(request, "employment/training_report.html", context)


# --- training bases and skills-master studios -------------------------------------------------


@permission_required("view", "training")
def training_bases(request: AuthedHttpRequest) -> HttpResponse:
    """The bases and studios of my region, filtered by county and kind, each with the
    courses held and the person-times completed there in a year; the counts by county."""
    user: Any = request.user
    counties = selectors.county_choices(user)
    filters = TrainingBaseFilterForm(request.GET, counties=counties)
    chosen: dict[str, Any] = filters.cleaned_data if filters.is_valid() else {}
    today = local_today()
    year: int = chosen.get("year") or today.year
    county, kind = chosen.get("county_code") or "", chosen.get("kind") or ""
    rows = bases.base_rows(
        user,
        start=dt.date(year, 1, 1),
        end=dt.date(year, 12, 31),
        county_code=county,
        kind=kind,
    )
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    by_county = bases.bases_by_county(user, year=year, today=today)
    context = {
        "filters": filters,
        "year": year,
        "on": min(dt.date(year, 12, 31), today),
        "query": query.urlencode(),
        "page": page,
        "rows": list(page),
        "base_counties": by_county,
        "base_totals": bases.county_totals(by_county),
        "can_create": has_permission(user, "create", "training"),
    }
    return render(request, "employment/training_bases.html", context)


@permission_required("view", "training")
def training_base(request: AuthedHttpRequest, base_id: int) -> HttpResponse:
    """One base or studio: what it is, and the courses held there."""
    current = bases.base_for(request.user, base_id)
    page = Paginator(bases.courses_at(request.user, current), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "base": current,
        "county_name": dict(selectors.county_choices(request.user)).get(current.county_code, ""),
        "in_force": current.in_force_on(local_today()),
        "page": page,
        "courses": list(page),
        "can_change": has_permission(request.user, "change", "training"),
    }
    return render(request, "employment/training_base.html", context)


def _base_form(request: AuthedHttpRequest, base_id: int | None) -> HttpResponse:
    user: Any = request.user
    current = bases.base_for(user, base_id) if base_id else None
    initial = {key: getattr(current, key) for key in bases.FIELDS} if current else None
    form = TrainingBaseForm(
        request.POST or None, initial=initial, counties=selectors.county_choices(user)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if current is None:
                    row = bases.base_register(actor=user, today=local_today(), **form.cleaned_data)
                    messages.success(request, _("培训基地已登记。"))
                else:
                    row = bases.base_change(
                        actor=user, base_id=current.pk, today=local_today(), **form.cleaned_data
                    )
                    messages.success(request, _("培训基地已修改。"))
            except ValidationFailed as refusal:
                _attach(form, refusal)
            else:
                return redirect("employment:training_base", base_id=row.pk)
    context = {"form": form, "current": current}
    return render(request, "employment/training_base_form.html", context, status=status)


@permission_required("create", "training")
@require_http_methods(["GET", "POST"])
def training_base_new(request: AuthedHttpRequest) -> HttpResponse:
    """Register a training base or skills-master studio of a county of my region."""
    return _base_form(request, None)


@permission_required("change", "training")
@require_http_methods(["GET", "POST"])
def training_base_edit(request: AuthedHttpRequest, base_id: int) -> HttpResponse:
    """Correct a base of my region, or record the end of its designation."""
    return _base_form(request, base_id)
