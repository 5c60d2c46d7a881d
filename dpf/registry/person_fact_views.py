"""Staff pages recording a person's outside payments and 特困 status (issue 15 parts 2, 3).

Thin: parse the form, call ``registry.person_facts``, show refusals next to their field.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import permission_required
from dpf.core.errors import ValidationFailed
from dpf.registry import person_facts, selectors
from dpf.registry.forms import attach_refusal
from dpf.registry.person_fact_forms import OutsidePaymentForm, PersonStatusForm


def _status(form: OutsidePaymentForm | PersonStatusForm) -> int:
    return 400 if form.is_bound and form.errors else 200


@permission_required("change", "person")
def outside_payment_new(request: AuthedHttpRequest, person_id: int) -> HttpResponse:
    """Record a payment another department makes to the person (工伤护理费, 孤儿保障 …)."""
    person = selectors.person_for_change(request.user, person_id)
    form = OutsidePaymentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person_facts.outside_payment_record(
                actor=request.user,
                person=person,
                kind=data["kind"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                monthly_amount=data["monthly_amount"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("外部发放已记录"))
            return redirect("registry:person", person_id=person.pk)
    context = {
        "form": form,
        "p": person,
        "title": _("记录外部发放"),
        "intro": _(
            "其他部门发放的工伤保险生活护理费、孤儿基本生活保障、老年人护理补贴或优抚对象"
            "护理费。同一类型的发放期间不能重叠。"
        ),
        "action": "registry:outside_payment_new",
    }
    return render(request, "registry/person_fact_form.html", context, status=_status(form))


@permission_required("change", "person")
def person_status_new(request: AuthedHttpRequest, person_id: int) -> HttpResponse:
    """Record the person's own 特困 status (the household's status is left as it is)."""
    person = selectors.person_for_change(request.user, person_id)
    form = PersonStatusForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person_facts.person_status_set(
                actor=request.user,
                person=person,
                status=data["status"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("人员类别已记录"))
            return redirect("registry:person", person_id=person.pk)
    context = {
        "form": form,
        "p": person,
        "title": _("记录特困供养人员"),
        "intro": _("特困供养是本人的身份，不影响家庭其他成员的补贴。"),
        "action": "registry:person_status_new",
    }
    return render(request, "registry/person_fact_form.html", context, status=_status(form))
