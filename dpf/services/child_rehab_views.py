"""Pages of the child rehabilitation assistance around the workflow's approval: the county's
follow-up list of screened or referred children without an application, one referral with
what followed it, a new screening or referral, and the hand-overs at 8."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import has_permission, permission_required
from dpf.core import audit
from dpf.core.dates import display_age
from dpf.core.errors import ValidationFailed
from dpf.services import child_rehab
from dpf.services import child_rehab_selectors as selectors
from dpf.services.forms import ChildReferralCloseForm, ChildReferralForm, ChildTransitionCloseForm

PER_PAGE = 25


def _attach(form: object, refusal: ValidationFailed) -> None:
    name = refusal.field or ""
    form.add_error(name if name in form.fields else None, refusal.message)  # type: ignore[attr-defined]


@permission_required("view", "child_referral")
def child_referrals(request: AuthedHttpRequest) -> HttpResponse:
    """Screened or referred children of my region still without an application (or, with
    ?all=1, every screening and referral)."""
    everything = request.GET.get("all") == "1"
    rows = selectors.referrals(request.user, to_follow=not everything)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "rows": list(page), "everything": everything}
    return render(request, "services/child_referrals.html", context)


@permission_required("create", "child_referral")
@require_http_methods(["GET", "POST"])
def child_referral_new(request: AuthedHttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person_for_referral(request.user, person_id)
    form = ChildReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            referral = child_rehab.child_referral_record(
                actor=request.user, person_id=person.pk, **form.cleaned_data
            )
        except ValidationFailed as refusal:
            _attach(form, refusal)
        else:
            messages.success(request, _("筛查转介已登记。"))
            return redirect("services:child_referral", referral_id=referral.pk)
    status = 400 if request.method == "POST" else 200
    context = {
        "person": person,
        "age": display_age(person.birth_date, timezone.localdate()),
        "form": form,
    }
    return render(request, "services/child_referral_new.html", context, status=status)


@permission_required("view", "child_referral")
@require_http_methods(["GET", "POST"])
def child_referral(request: AuthedHttpRequest, referral_id: int) -> HttpResponse:
    """One screening or referral: the child, what was found, the application that followed
    (or the form to stop following it)."""
    referral = selectors.referral_for(request.user, referral_id)
    form = ChildReferralCloseForm(request.POST if request.method == "POST" else None, prefix="c")
    if request.method == "POST" and form.is_valid():
        try:
            child_rehab.child_referral_close(
                actor=request.user, referral_id=referral.pk, **form.cleaned_data
            )
        except ValidationFailed as refusal:
            _attach(form, refusal)
        else:
            messages.success(request, _("已结束跟进。"))
            return redirect("services:child_referral", referral_id=referral.pk)
    elif request.method == "GET":
        audit.record_view(request, "child_referral", referral.pk)
    followed = selectors.referral_followed_by(referral)
    context = {
        "referral": referral,
        "age": display_age(referral.person.birth_date, referral.date),
        "followed": followed,
        "assistance": selectors.assistance_of(referral.person),
        "others": [r for r in selectors.referrals_of(referral.person) if r.pk != referral.pk],
        "form": form,
        "can_close": has_permission(request.user, "change", "child_referral")
        and referral.closed_on is None
        and not followed,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "services/child_referral.html", context, status=status)


@permission_required("view", "service_plan")
def child_transitions(request: AuthedHttpRequest) -> HttpResponse:
    """Children of my region whose assistance ended at 8, to hand over to the adult
    services (or, with ?done=1, those handed over)."""
    done = request.GET.get("done") == "1"
    rows = selectors.transitions(request.user, open_only=not done)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "services/child_transitions.html",
        {"page": page, "rows": list(page), "done": done},
    )


@permission_required("view", "service_plan")
@require_http_methods(["GET", "POST"])
def child_transition(request: AuthedHttpRequest, transition_id: int) -> HttpResponse:
    """One child's hand-over at 8: the assistance and the child's plans, the link to an
    adult plan, or the form to close it without one."""
    found = selectors.transition_for(request.user, transition_id)
    form = ChildTransitionCloseForm(request.POST if request.method == "POST" else None, prefix="t")
    if request.method == "POST" and form.is_valid():
        try:
            child_rehab.child_transition_close(
                actor=request.user, transition_id=found.pk, **form.cleaned_data
            )
        except ValidationFailed as refusal:
            _attach(form, refusal)
        else:
            messages.success(request, _("转衔已完成。"))
            return redirect("services:child_transition", transition_id=found.pk)
    elif request.method == "GET":
        audit.record_view(request, "child_transition", found.pk)
    context = {
        "transition": found,
        "plans": selectors.child_plans_of(found.person),
        "form": form,
        "can_act": has_permission(request.user, "create", "service_plan")
        and found.handed_over_on is None,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "services/child_transition.html", context, status=status)
