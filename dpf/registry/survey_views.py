"""Pages of the yearly needs survey: progress by region down to a village's list of
persons, the worker's survey form (draft, submit, no contact) and the city's round.

Thin: parse, call one selector or service, render. Routes are declared from the
permission table; a person or region outside the user's scope is ``NotFound`` (404).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import has_permission, permission_required
from dpf.core import audit
from dpf.core.dates import local_today as today
from dpf.core.errors import ValidationFailed
from dpf.core.models import RegionLevel
from dpf.registry import survey_selectors as selectors
from dpf.registry import surveys
from dpf.registry.forms import attach_refusal
from dpf.registry.models import EmploymentStatus
from dpf.registry.survey_forms import NoContactForm, RoundForm, SurveyAnswersForm


def _year(raw: str | None, default: int) -> int:
    try:
        return int(raw or default)
    except ValueError:
        return default


def _progress_url(year: int, region: str = "") -> str:
    query = {"year": year, **({"region": region} if region else {})}
    return f"{reverse('registry:survey')}?{urlencode(query)}"


def _may_open_round(user: Any) -> bool:
    region = getattr(user, "region", None)
    return (
        has_permission(user, "change", "survey")
        and region is not None
        and region.level in (RegionLevel.CITY, RegionLevel.PROVINCE)
    )


def _progress_page(request: HttpRequest, round_form: RoundForm | None = None) -> HttpResponse:
    on = today()
    current = selectors.current_round(on)
    year = _year(request.GET.get("year"), current.year if current else on.year)
    progress = None
    if selectors.round_for(year) is not None:
        progress = selectors.survey_progress(request.user, year, request.GET.get("region"))
    may_open = _may_open_round(request.user)
    if may_open and round_form is None:
        round_form = RoundForm(initial=RoundForm.initial_for(on))
    context = {
        "progress": progress,
        "year": year,
        "rounds": selectors.rounds(),
        "round_form": round_form if may_open else None,
        "may_survey": has_permission(request.user, "create", "survey"),
    }
    status = 400 if round_form is not None and round_form.errors else 200
    return render(request, "registry/survey_progress.html", context, status=status)


@permission_required("view", "survey")
def survey(request: AuthedHttpRequest) -> HttpResponse:
    """The round's progress in the user's region: counts per county, township or village,
    and at a village its list of persons (done, draft, no contact, left)."""
    return _progress_page(request)


@permission_required("change", "survey")
@require_POST
def survey_round_new(request: AuthedHttpRequest) -> HttpResponse:
    """Open a year's round (the city)."""
    form = RoundForm(request.POST)
    if form.is_valid():
        try:
            opened = surveys.survey_round_open(
                actor=request.user,
                year=form.cleaned_data["year"],
                reference_date=form.cleaned_data["reference_date"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("已开启%(year)s年度需求调查。") % {"year": opened.year})
            return redirect(_progress_url(opened.year))
    return _progress_page(request, round_form=form)


def _form_page(
    request: HttpRequest,
    person_id: int,
    year: int,
    form: SurveyAnswersForm | None = None,
    no_contact_form: NoContactForm | None = None,
) -> HttpResponse:
    view = selectors.survey_form(request.user, person_id, year, on=today())
    audit.record_view(request, "survey", person_id)
    if form is None:
        record = view.draft
        initial = SurveyAnswersForm.initial_from(record) if record else {"survey_date": today()}
        if record is None and view.employments:
            # Pre-filled from the registry's employment facts (the worker can still change it).
            initial["employment_status"] = EmploymentStatus.EMPLOYED
        form = SurveyAnswersForm(initial=initial)
    if no_contact_form is None:
        no_contact_form = NoContactForm(initial={"contact_date": today()})
    failed = form.is_bound and bool(form.errors)
    failed = failed or (no_contact_form.is_bound and bool(no_contact_form.errors))
    context = {
        "v": view,
        "form": form,
        "no_contact_form": no_contact_form,
        "back": _progress_url(year, view.person.village_code),
        "failed": failed,
    }
    return render(request, "registry/survey_form.html", context, status=400 if failed else 200)


@permission_required("create", "survey")
def survey_person(request: AuthedHttpRequest, year: int, person_id: int) -> HttpResponse:
    """One person's survey of ``year``: "save draft" keeps what is filled in; "submit"
    records it once the person confirmed."""
    if request.method != "POST":
        return _form_page(request, person_id, year)
    form = SurveyAnswersForm(request.POST)
    selectors.survey_form(request.user, person_id, year)  # 404 outside the scope
    if form.is_valid():
        submit = request.POST.get("action") == "submit"
        try:
            if submit:
                surveys.survey_submit(
                    actor=request.user,
                    person_id=person_id,
                    year=year,
                    answers=form.answers(),
                    person_confirmed=form.cleaned_data["person_confirmed"],
                    today=today(),
                )
            else:
                surveys.survey_save_draft(
                    actor=request.user,
                    person_id=person_id,
                    year=year,
                    answers=form.answers(),
                    today=today(),
                )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            if submit:
                messages.success(request, _("调查表已提交。"))
                view = selectors.survey_form(request.user, person_id, year)
                return redirect(_progress_url(year, view.person.village_code))
            messages.success(request, _("草稿已保存，可以稍后继续填写。"))
            return redirect("registry:survey_person", year=year, person_id=person_id)
    return _form_page(request, person_id, year, form=form)


@permission_required("create", "survey")
@require_POST
def survey_no_contact(request: AuthedHttpRequest, year: int, person_id: int) -> HttpResponse:
    """Record why the person could not be surveyed this year."""
    view = selectors.survey_form(request.user, person_id, year)  # 404 outside the scope
    form = NoContactForm(request.POST)
    if form.is_valid():
        try:
            surveys.survey_no_contact(
                actor=request.user,
                person_id=person_id,
                year=year,
                reason=form.cleaned_data["reason"],
                contact_date=form.cleaned_data["contact_date"],
                today=today(),
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("已登记未调查原因。"))
            return redirect(_progress_url(year, view.person.village_code))
    return _form_page(request, person_id, year, no_contact_form=form)
