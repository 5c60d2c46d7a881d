"""Bank account changes waiting for an officer (发放账户核实): the queue of the officer's
region and the page where one is verified against the person or rejected."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import permission_required
from dpf.core.errors import DomainError, ValidationFailed
from dpf.core.regions import display_names
from dpf.workflow import selectors, services
from dpf.workflow.forms import PayeeDecisionForm, attach_refusal
from dpf.workflow.models import PayeeAccount

PER_PAGE = 25


@permission_required("view", "payee_account")
def payee_accounts(request: AuthedHttpRequest) -> HttpResponse:
    """Pending changes in my region, oldest first."""
    rows = selectors.pending_payee_accounts(request.user)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    names = display_names({a.person.village_code for a in items})
    return render(
        request, "workflow/payee_accounts.html", {"page": page, "rows": items, "names": names}
    )


@permission_required("approve", "payee_account")
@require_http_methods(["GET", "POST"])
def payee_account(request: AuthedHttpRequest, account_id: int) -> HttpResponse:
    account = selectors.payee_account_for(request.user, account_id)
    form = PayeeDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "verify":
                services.payee_account_verify(
                    actor=request.user,
                    account_id=account.pk,
                    checked_in_person=data["checked_in_person"],
                    note=data["note"],
                )
                done = _("账户已核实，从今天起发放到该账户。")
            else:
                services.payee_account_reject(
                    actor=request.user, account_id=account.pk, note=data["note"]
                )
                done = _("已记录核实未通过，仍发放到原账户。")
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        except DomainError as refusal:  # decided by someone else meanwhile
            form.add_error(None, refusal.message)
        else:
            messages.success(request, done)
            return redirect("workflow:payee_accounts")
    context = {
        "a": account,
        "form": form,
        "pending": account.status == PayeeAccount.Status.PENDING,
        "village_name": display_names({account.person.village_code}).get(
            account.person.village_code, ""
        ),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "workflow/payee_account.html", context, status=status)
