"""Benefit pages: the catalogue, the worker's queue and its items, the rule-change preview.

Thin: parse the request, call one selector or service, render. Records outside the user's
scope are ``NotFound`` in the selectors and answer 404 (``DeniedAccessMiddleware``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import has_permission, permission_required
from dpf.benefits import selectors, services
from dpf.benefits.forms import CloseItemForm, RuleChangeForm, attach_refusal
from dpf.benefits.models import WorkItem, WorkItemKind
from dpf.core import audit
from dpf.core.access import public
from dpf.core.errors import ValidationFailed
from dpf.rules.catalogue import rule_names


def _as_of(request: HttpRequest) -> dt.date:
    raw = request.GET.get("as_of", "")
    if not raw:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Http404 from None


@public
def catalogue(request: HttpRequest) -> HttpResponse:
    """The benefit catalogue with the rules and standards in force (no personal data)."""
    as_of = _as_of(request)
    context = {
        "as_of": as_of,
        "entries": selectors.catalogue(as_of),
        "can_edit": has_permission(request.user, "change", "rule_version"),
    }
    return render(request, "benefits/catalogue.html", context)


@permission_required("view", "work_item")
def queue(request: AuthedHttpRequest) -> HttpResponse:
    """One queue per purpose: the proposals (主动发现) are worked on ``workflow:proposals``
    (with the rule explanation and the action), the reviews on ``workflow:reviews``; this
    former address sends there."""
    if request.GET.get("kind") == WorkItemKind.REVIEW:
        return redirect("workflow:reviews")
    return redirect("workflow:proposals")


@permission_required("view", "work_item")
def item(request: AuthedHttpRequest, item_id: int) -> HttpResponse:
    """One queue item with the rule explanation, computed now; the worker closes it here."""
    work_item = selectors.work_item_for(request.user, item_id)
    form = CloseItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.work_item_close(
                actor=request.user,
                item=work_item,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("已保存处理结果。"))
            return redirect(_queue_of(work_item))
    audit.record_view(request, "work_item", work_item.pk)
    context: dict[str, Any] = {
        "item": work_item,
        "form": form,
        "result": selectors.work_item_eligibility(work_item, timezone.localdate()),
        "stored": work_item.explanation,
    }
    return render(request, "benefits/item.html", context)


def _queue_of(item: WorkItem) -> str:
    return "workflow:reviews" if item.kind == WorkItemKind.REVIEW else "workflow:proposals"


@permission_required("change", "rule_version")
def rule_preview(request: AuthedHttpRequest) -> HttpResponse:
    """Edit a rule: the per-county gains and losses are shown before it is published."""
    initial = {"benefit": request.GET.get("benefit", "")}
    form = RuleChangeForm(request.POST or None, initial=initial)
    rows = None
    fingerprint = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        publish = request.POST.get("action") == "publish"
        try:
            if publish and data["confirm"] == form.fingerprint():
                version = services.rule_version_publish(
                    actor=request.user,
                    benefit=data["benefit"],
                    text=data["text"],
                    region_code=data["region_code"] or "",
                    mode=data["mode"],
                    valid_from=data["valid_from"],
                    note=data["note"],
                )
                messages.success(
                    request,
                    _("已发布新的规则版本，自 %(date)s 起生效。")
                    % {"date": version.valid_from.isoformat()},
                )
                return redirect(reverse("benefits:catalogue") + f"#{data['benefit'].code}")
            rows = services.rule_change_preview(
                actor=request.user,
                benefit=data["benefit"],
                text=data["text"],
                region_code=data["region_code"] or "",
                mode=data["mode"],
                as_of=data["as_of"],
            )
            fingerprint = form.fingerprint()
            if publish:
                messages.warning(request, _("规则在预览后被修改，请核对新的预览结果后再发布。"))
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
            rows = None
    totals = None
    if rows is not None:
        totals = {
            key: sum(getattr(r, key) for r in rows)
            for key in (
                "current",
                "proposed",
                "gaining",
                "losing",
                "money_current",
                "money_proposed",
                "money_change",
            )
        }
    context = {
        "form": form,
        "rows": rows,
        "totals": totals,
        "fingerprint": fingerprint,
        "rule_names": rule_names(),
    }
    refused = request.method == "POST" and bool(form.errors)
    return render(request, "benefits/rule_preview.html", context, status=400 if refused else 200)
