"""Graduate pages (高校残疾人毕业生“一人一档、一人一策”): the files of my region with the
employed and seeking per county as of a date, a file opened or amended, and one file with
its support actions and the form to add one."""

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
from dpf.employment import graduates, selectors
from dpf.employment.forms import GraduateFileForm, GraduateFilterForm, SupportActionForm
from dpf.employment.views import PER_PAGE, _attach


@permission_required("view", "graduate_file")
def graduate_list(request: AuthedHttpRequest) -> HttpResponse:
    """The files of my region, filtered by year, county and state as of a date."""
    user: Any = request.user
    counties = selectors.county_choices(user)
    filters = GraduateFilterForm(request.GET, counties=counties)
    chosen: dict[str, Any] = filters.cleaned_data if filters.is_valid() else {}
    on: dt.date = chosen.get("on") or local_today()
    year = chosen.get("graduation_year")
    county = chosen.get("county_code") or ""
    state = chosen.get("state") or ""
    rows = graduates.graduate_files(user, on, graduation_year=year, county_code=county, state=state)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    names = dict(counties)
    listed = [(row, names.get(row.person.county_code, "")) for row in page]
    audit.record_view(
        request,
        "graduate_file",
        changes={
            "on": on.isoformat(),
            "filter": {"year": year, "county_code": county, "state": state},
            "page": page.number,
        },
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "on": on,
        "filters": filters,
        "query": query.urlencode(),
        "counties": graduates.graduates_by_county(user, on, graduation_year=year),
        "page": page,
        "rows": listed,
        "can_create": has_permission(user, "create", "graduate_file"),
    }
    return render(request, "employment/graduates.html", context)


def _file_form(request: HttpRequest, file_id: int | None) -> HttpResponse:
    user: Any = request.user
    current = graduates.graduate_file_for(user, file_id) if file_id else None
    initial = (
        {
            "school": current.school,
            "major": current.major,
            "education": current.education,
            "graduation_year": current.graduation_year,
            "wish": current.wish,
        }
        if current
        else None
    )
    form = GraduateFileForm(request.POST or None, initial=initial, opening=current is None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if current is None:
                    row = graduates.graduate_file_create(actor=user, **form.cleaned_data)
                    messages.success(request, _("毕业生档案已建立。"))
                else:
                    row = graduates.graduate_file_change(
                        actor=user, file_id=current.pk, **form.cleaned_data
                    )
                    messages.success(request, _("毕业生档案已修改。"))
            except ValidationFailed as refusal:
                _attach(form, refusal)
            else:
                return redirect("employment:graduate", file_id=row.pk)
    context = {"form": form, "current": current}
    return render(request, "employment/graduate_form.html", context, status=status)


@permission_required("create", "graduate_file")
@require_http_methods(["GET", "POST"])
def graduate_new(request: AuthedHttpRequest) -> HttpResponse:
    """Open a graduate's file (the person found by ID number in my region)."""
    return _file_form(request, None)


@permission_required("change", "graduate_file")
@require_http_methods(["GET", "POST"])
def graduate_edit(request: AuthedHttpRequest, file_id: int) -> HttpResponse:
    """Amend a file of my region."""
    return _file_form(request, file_id)


@permission_required("view", "graduate_file")
@require_http_methods(["GET", "POST"])
def graduate(request: AuthedHttpRequest, file_id: int) -> HttpResponse:
    """One file: the graduate, the state today with the employment in force, the support
    actions newest first, and a support action added."""
    user: Any = request.user
    current = graduates.graduate_file_for(user, file_id)
    employers = [(e.pk, e.name) for e in selectors.employers(user)]
    form = SupportActionForm(request.POST or None, employers=employers)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                graduates.support_action_add(actor=user, file_id=current.pk, **form.cleaned_data)
            except ValidationFailed as refusal:
                _attach(form, refusal)
            else:
                messages.success(request, _("帮扶措施已登记。"))
                return redirect("employment:graduate", file_id=current.pk)
    else:
        audit.record_view(request, "graduate_file", current.pk)
    today = local_today()
    employment = graduates.employment_of(current, today)
    context = {
        "file": current,
        "today": today,
        "employment": employment,
        "state": graduates.STATE_LABELS[graduates.EMPLOYED if employment else graduates.SEEKING],
        "actions": graduates.actions_of(current),
        "form": form,
        "can_change": has_permission(user, "change", "graduate_file"),
    }
    return render(request, "employment/graduate.html", context, status=status)
