"""Legal aid referral pages (法律援助转介): the list of the region's referrals (by status and
county, the overdue ones marked in words) with the referral form, and one referral with the
centre's answer and the correction form."""

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
from dpf.social import legal_aid, selectors
from dpf.social.forms import (
    LegalAidChangeForm,
    LegalAidFilterForm,
    LegalAidForm,
    LegalAidOutcomeForm,
)

PER_PAGE = 50


@permission_required("view", "legal_aid")
@require_http_methods(["GET", "POST"])
def referral_list(request: AuthedHttpRequest) -> HttpResponse:
    today = local_today()
    counties = selectors.regions_of_level(request.user, RegionLevel.COUNTY)
    chosen = LegalAidFilterForm(request.GET, counties=counties)
    status = county = ""
    if chosen.is_valid():
        status, county = chosen.cleaned_data["status"], chosen.cleaned_data["county"]
    can_create = has_permission(request.user, "create", "legal_aid")
    initial: dict[str, Any] = {
        "referred_on": today,
        "referred_to": legal_aid.form_centre(request.user),
    }
    # From a citizen request's page ("转介法律援助"): its number, checked when saved.
    number = request.GET.get("request", "")
    if number.isdigit() and 0 < int(number) < 2**31:
        initial["citizen_request_id"] = int(number)
    form = LegalAidForm(request.POST or None, initial=initial)
    code = 200
    if request.method == "POST":
        code = 400
        if form.is_valid():
            try:
                found = legal_aid.referral_create(
                    actor=request.user, today=today, **form.cleaned_data
                )
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                messages.success(request, _("已登记法律援助转介。"))
                return redirect("social:legal_aid_referral", referral_id=found.pk)
    rows = legal_aid.referrals(
        request.user,
        today=today,
        status="" if status == "overdue" else status,
        county=county,
        overdue=status == "overdue",
    )
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    listed = list(page)
    context = {
        "page": page,
        "rows": [(r, legal_aid.is_overdue(r, today)) for r in listed],
        "chosen": chosen,
        "query": urlencode({k: v for k, v in (("status", status), ("county", county)) if v}),
        "counts": legal_aid.status_counts(request.user, today=today),
        "overdue_days": legal_aid.OVERDUE_DAYS,
        "form": form,
        "can_create": can_create,
    }
    return render(request, "social/legal_aid_list.html", context, status=code)


def _initial(found: Any) -> dict[str, Any]:
    keys = ("matter", "description", "channel", "referred_on", "referred_to")
    return {key: getattr(found, key) for key in keys}


@permission_required("view", "legal_aid")
@require_http_methods(["GET", "POST"])
def referral_detail(request: AuthedHttpRequest, referral_id: int) -> HttpResponse:
    today = local_today()
    found = legal_aid.referral_for(request.user, referral_id)
    action = request.POST.get("action") if request.method == "POST" else None
    outcome = LegalAidOutcomeForm(request.POST if action == "outcome" else None, prefix="o")
    change = LegalAidChangeForm(
        request.POST if action == "change" else None, prefix="c", initial=_initial(found)
    )
    form = {"outcome": outcome, "change": change}.get(action or "")
    code = 200
    if request.method == "POST":
        code = 400
        if form is not None and form.is_valid():
            try:
                if action == "outcome":
                    legal_aid.referral_outcome(
                        actor=request.user, referral_id=found.pk, today=today, **form.cleaned_data
                    )
                else:
                    legal_aid.referral_change(
                        actor=request.user, referral_id=found.pk, today=today, **form.cleaned_data
                    )
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                messages.success(request, _("已保存。"))
                return redirect("social:legal_aid_referral", referral_id=found.pk)
    else:
        audit.record_view(request, "legal_aid", found.pk)
    context = {
        "referral": found,
        "status": found.status,
        "overdue": legal_aid.is_overdue(found, today),
        "overdue_days": legal_aid.OVERDUE_DAYS,
        "outcome": outcome,
        "change": change,
        "form": form,
        "can_change": has_permission(request.user, "change", "legal_aid"),
        "can_see_request": has_permission(request.user, "view", "citizen_request"),
    }
    return render(request, "social/legal_aid_referral.html", context, status=code)
