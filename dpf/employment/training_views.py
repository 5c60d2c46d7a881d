"""Training pages: the courses of my region (and a new one), and one course's attendees
(enrol by ID number, record completion)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import has_permission, permission_required
from dpf.core import audit
from dpf.core.errors import ValidationFailed
from dpf.employment import selectors, training
from dpf.employment.forms import CompleteForm, CourseForm, EnrolForm
from dpf.employment.views import PER_PAGE, _attach, _year


@permission_required("view", "training")
@require_http_methods(["GET", "POST"])
def courses(request: AuthedHttpRequest) -> HttpResponse:
    form = CourseForm(request.POST or None, counties=selectors.county_choices(request.user))
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
    context = {
        "rows": rows,
        "year": year,
        "total_times": sum(r["person_times"] for r in rows),
        # A person lives in one county, so the counties' persons add up.
        "total_persons": sum(r["persons"] for r in rows),
    }
    return render(request, "employment/training_report.html", context)
