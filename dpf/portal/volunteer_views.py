"""The citizen's own registration as a volunteer (助残志愿者注册): the consent text, the
form, the registration's state and the withdrawal. Always for the account holder
themself, whoever the portal is acting for (``dpf.social.volunteer_registration``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dpf.accounts.http import AuthedHttpRequest
from dpf.core.dates import local_today
from dpf.core.errors import ValidationFailed
from dpf.core.regions import display_names
from dpf.portal.citizen_views import Acting, citizen_page
from dpf.portal.forms import VolunteerSignupForm
from dpf.registry.models import Person
from dpf.social import volunteer_registration as registration
from dpf.social.models import LIVE_VOLUNTEER_STATUSES
from dpf.workflow.forms import attach_refusal


def _villages(person: Person) -> list[tuple[str, list[tuple[str, str]]]]:
    """The villages of the citizen's county grouped by township, names in the page's
    language (two queries)."""
    villages = list(registration.villages_for(person).values_list("code", flat=True))
    names = display_names({*villages, *(code[:9] for code in villages)})
    groups: dict[str, list[tuple[str, str]]] = {}
    for code in villages:
        groups.setdefault(code[:9], []).append((code, names.get(code, code)))
    return [(names.get(township, township), rows) for township, rows in groups.items()]


@citizen_page("create", "volunteer_registration")
@require_http_methods(["GET", "POST"])
def volunteer(request: AuthedHttpRequest, acting: Acting) -> HttpResponse:
    person = registration.own_person(request.user)
    current = registration.own_registration(request.user)
    live = current is not None and current.status in LIVE_VOLUNTEER_STATUSES
    form = VolunteerSignupForm(
        request.POST if request.method == "POST" else None,
        villages=_villages(person),
        teams=[(t.pk, t.name) for t in registration.teams_for(person)],
        initial={"village_code": person.village_code},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                registration.volunteer_apply(
                    actor=request.user, today=local_today(), **form.cleaned_data
                )
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                messages.success(request, _("已提交志愿者注册，工作人员审核后生效。"))
                return redirect("portal:volunteer")
    village = display_names({current.village_code}) if current else {}
    context = {
        "acting": acting,
        "registration": current,
        "live": live,
        "village_name": village.get(current.village_code, "") if current else "",
        "form": form,
        "self_name": person.name,
    }
    return render(request, "portal/volunteer.html", context, status=status)


@citizen_page("change", "volunteer_registration")
@require_POST
def volunteer_withdraw(request: AuthedHttpRequest, acting: Acting) -> HttpResponse:
    try:
        registration.volunteer_withdraw_own(actor=request.user, today=local_today())
    except ValidationFailed as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("您已撤回同意，志愿者注册已结束。"))
    return redirect("portal:volunteer")
