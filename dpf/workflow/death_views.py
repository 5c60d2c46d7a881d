"""The page recording a person's death (issue 17 part 1): the registry's record, the
entitlements' end, the applications' close and the months to recover, in one service
(``workflow.services.deaths``). Thin: a scoped selector, a form, the service."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import permission_required
from dpf.core.errors import ValidationFailed
from dpf.registry import selectors as registry_selectors
from dpf.registry.change_forms import DeathForm
from dpf.registry.forms import attach_refusal
from dpf.workflow.services.deaths import death_record


@permission_required("change", "person")
def person_death(request: AuthedHttpRequest, person_id: int) -> HttpResponse:
    """登记死亡: entitlements end on the date of death; months paid after it are listed
    for recovery (nothing deleted)."""
    person = registry_selectors.person_for_change(request.user, person_id)
    form = DeathForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = death_record(
                actor=request.user, person_id=person.pk, on=data["on"], reason=data["reason"]
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(
                request,
                _(
                    "死亡已登记：终止待遇 %(ended)s 项，关闭申请 %(closed)s 件，"
                    "注销残疾人证 %(certs)s 张。"
                )
                % {
                    "ended": len(result.entitlements_ended),
                    "closed": result.applications_closed,
                    "certs": result.certificates_cancelled,
                },
            )
            if result.overpayments:
                messages.warning(
                    request,
                    _("死亡后已发放 %(n)s 个月，共 %(total)s 元，请追回（记录已保留）：%(months)s")
                    % {
                        "n": len(result.overpayments),
                        "total": result.overpaid_total,
                        "months": "、".join(
                            f"{o.benefit} {o.month:%Y-%m} {o.amount}" for o in result.overpayments
                        ),
                    },
                )
            if result.entitlements_not_ended:
                messages.warning(
                    request,
                    _("以下待遇起始日期晚于死亡日期，请人工核查：%(names)s")
                    % {"names": "、".join(result.entitlements_not_ended)},
                )
            return redirect("registry:person", person_id=person.pk)
    context = {
        "form": form,
        "p": person,
        "title": _("登记死亡"),
        "intro": _(
            "登记后，本人享受的待遇在死亡日期终止，办理中的申请关闭，有效残疾人证注销；"
            "死亡后已发放的月份列出待追回，不删除任何记录。"
        ),
        "action_url": reverse("workflow:person_death", args=[person.pk]),
        "back_url": reverse("registry:person", args=[person.pk]),
        "back_label": person.name,
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "registry/change_form.html", context, status=status)
