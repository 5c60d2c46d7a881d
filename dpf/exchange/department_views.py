"""The partner department's home page (部门数据交换): the rosters it sent and how to send.

Departments push rosters through the exchange API with a token; this page is where their
account lands: their own batches and results, the roster types with their columns, and their
tokens (prefix only). Thin: one selector each.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import permission_required
from dpf.exchange import selectors
from dpf.exchange.rostertypes import ROSTER_TYPES

PER_PAGE = 20


@permission_required("import", "roster", scope="institution")
def department_home(request: AuthedHttpRequest) -> HttpResponse:
    batches = selectors.batches_for(request.user).order_by("-created_at")
    context = {
        "page": Paginator(batches, PER_PAGE).get_page(request.GET.get("page")),
        "roster_types": ROSTER_TYPES.values(),
        "tokens": list(selectors.department_tokens(request.user)),
    }
    return render(request, "exchange/department.html", context)
