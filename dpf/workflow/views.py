"""Staff pages of the workflow: the queues, proactive proposals, reviews, bulk approval
and entitlements (one application's pages: ``application_views``). HTTP only: parse, call
one service or selector, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import has_permission, permission_required
from dpf.core import audit
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.regions import display_names
from dpf.jobs import selectors as job_selectors
from dpf.jobs.models import ACTIVE
from dpf.workflow import proposal_queue, selectors, services
from dpf.workflow.forms import (
    EntitlementActionForm,
    ReviewForm,
    attach_refusal,
)
from dpf.workflow.procedures import procedures

PER_PAGE = 25


# Queues --------------------------------------------------------------------------------


def _queue(request: HttpRequest, items: Any, *, title: str, overdue_page: bool) -> HttpResponse:
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    today = selectors.today()
    context = {
        "title": title,
        "page": page,
        "rows": selectors.task_rows(list(page.object_list), today),
        "overdue_page": overdue_page,
        "overdue_count": selectors.overdue_mine(request.user, today),
        "today": today,
    }
    return render(request, "workflow/tasks.html", context)


@permission_required("view", "application")
def tasks(request: AuthedHttpRequest) -> HttpResponse:
    """My tasks: items at a step of my role in my region, soonest due first."""
    return _queue(
        request, selectors.my_tasks(request.user), title=_("我的待办"), overdue_page=False
    )


@permission_required("view", "application")
def overdue(request: AuthedHttpRequest) -> HttpResponse:
    """Every overdue step in my region (whoever acts on it)."""
    return _queue(request, selectors.overdue(request.user), title=_("超期事项"), overdue_page=True)


@permission_required("view", "work_item")
def proposals(request: AuthedHttpRequest) -> HttpResponse:
    """The scan's proposals, one row a person with the benefits proposed (each with its rule
    explanation), filtered by benefit, township and village; the city admin starts the scan
    here and follows its job on this page."""
    filters = proposal_queue.Filters(
        benefit=request.GET.get("benefit", "")[:40],
        township=request.GET.get("township", "")[:9],
        village=request.GET.get("village", "")[:12],
    )
    # A choice not on offer (another region's township, an unknown benefit) is dropped.
    benefits = proposal_queue.benefit_choices()
    if filters.benefit not in {code for code, _zh, _en in benefits}:
        filters = proposal_queue.Filters(township=filters.township, village=filters.village)
    townships = proposal_queue.township_choices(request.user)
    villages = proposal_queue.village_choices(request.user, filters.township)
    if filters.township not in {code for code, _name in townships}:
        filters = proposal_queue.Filters(benefit=filters.benefit)
    elif filters.village not in {code for code, _name in villages}:
        filters = proposal_queue.Filters(benefit=filters.benefit, township=filters.township)
    page, people = proposal_queue.people_page(
        request.user, filters, request.GET.get("page"), selectors.today()
    )
    may_scan = has_permission(request.user, "manage", "schedule")
    scan_job = job_selectors.latest_job("schedule:benefits.scan") if may_scan else None
    context = {
        "page": page,
        "people": people,
        "filters": filters,
        "benefit_choices": benefits,
        "township_choices": townships,
        "village_choices": villages,
        "filter_query": urlencode(
            {"benefit": filters.benefit, "township": filters.township, "village": filters.village}
        ),
        "last_scan": selectors.last_scan(),
        "may_scan": may_scan,
        "scan_job": scan_job,
        "scan_running": scan_job is not None and scan_job.status in ACTIVE,
    }
    return render(request, "workflow/proposals.html", context)


@permission_required("create", "application")
@require_POST
def proposal_start(request: AuthedHttpRequest, item_id: int) -> HttpResponse:
    try:
        application = services.proposal_start(actor=request.user, work_item_id=item_id)
    except ValidationFailed as refusal:
        messages.error(request, refusal.message)
        return redirect("workflow:proposals")
    return redirect("workflow:proposal_confirm", pk=application.pk)


@permission_required("view", "work_item")
def reviews(request: AuthedHttpRequest) -> HttpResponse:
    """The scan's review items: receiving but no longer eligible."""
    page = Paginator(selectors.reviews(request.user), PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    names = display_names({r.township_code for r in rows})
    return render(request, "workflow/reviews.html", {"page": page, "rows": rows, "names": names})


@permission_required("change", "entitlement")
def review(request: AuthedHttpRequest, item_id: int) -> HttpResponse:
    """Act on one review item: suspend or terminate with the reason, or dismiss."""
    item = selectors.work_item_for(request.user, item_id)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_resolve(
                actor=request.user,
                work_item_id=item.pk,
                action=form.cleaned_data["action"],
                on=form.cleaned_data["on"],
                reason_code=form.cleaned_data["reason_code"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("已处理。"))
            return redirect("workflow:reviews")
    audit.record_view(request, "work_item", item.pk)
    context = {
        "item": item,
        "form": form,
        "result": selectors.with_explanations([item], selectors.today())[0].eligibility,
    }
    return render(request, "workflow/review.html", context, status=400 if form.errors else 200)


# Bulk approval -------------------------------------------------------------------------


def _choices(request: HttpRequest) -> list[tuple[int, str]]:
    out = []
    for raw in request.POST.getlist("item")[: services.BULK_LIMIT]:
        pk, _sep, step = raw.partition(":")
        if pk.isdigit() and step:
            out.append((int(pk), step))
    return out


@permission_required("change", "bulk_decision")
def bulk(request: AuthedHttpRequest) -> HttpResponse:
    """Choose items of my tasks → a summary page → confirm. Each item is decided at the
    step shown on the summary (an item that moved meanwhile is reported, not decided)."""
    stage = request.POST.get("stage", "choose") if request.method == "POST" else "choose"
    if stage == "confirm":
        outcome = services.bulk_advance(actor=request.user, choices=_choices(request))
        context = {"outcome": outcome}
        return render(request, "workflow/bulk_done.html", context)
    if stage == "summary":
        choices = dict(_choices(request))
        items = selectors.my_tasks(request.user).filter(pk__in=list(choices))
        rows = selectors.task_rows(list(items))
        if not rows:
            messages.error(request, _("请至少选择一项。"))
        else:
            procs = procedures()
            summary = []
            for row in rows:
                following = procs.for_benefit(row.item.benefit.code).after(row.item.step_code)
                summary.append({"row": row, "next": following, "approves": following is None})
            approvals = sum(1 for s in summary if s["approves"])
            return render(
                request, "workflow/bulk_summary.html", {"summary": summary, "approvals": approvals}
            )
    page = Paginator(selectors.my_tasks(request.user), 100).get_page(request.GET.get("page"))
    rows = selectors.task_rows(list(page.object_list))
    return render(request, "workflow/bulk.html", {"page": page, "rows": rows})


# Entitlements ------------------------------------------------------------------------------


@permission_required("view", "entitlement")
def entitlement(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """One entitlement with its history; county officers suspend, resume or terminate."""
    ent = selectors.entitlement_for(request.user, pk)
    form = EntitlementActionForm(request.POST or None)
    if request.method == "POST":
        if not has_permission(request.user, "change", "entitlement"):
            raise NotFound("entitlement")
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["action"] == "resume":
                    new = services.resume(
                        actor=request.user,
                        entitlement_id=ent.pk,
                        on=data["on"],
                        reason=data["reason"],
                    )
                    messages.success(request, _("已恢复。"))
                    return redirect("workflow:entitlement", pk=new.pk)
                handler = services.suspend if data["action"] == "suspend" else services.terminate
                handler(
                    actor=request.user,
                    entitlement_id=ent.pk,
                    on=data["on"],
                    reason_code=data["reason_code"],
                    reason=data["reason"],
                )
            except ValidationFailed as refusal:
                attach_refusal(form, refusal)
            else:
                messages.success(request, _("已保存。"))
                return redirect("workflow:entitlement", pk=ent.pk)
    audit.record_view(request, "entitlement", ent.pk)
    context = {
        "ent": ent,
        "events": selectors.entitlement_history(ent),
        "form": form,
        "can_change": has_permission(request.user, "change", "entitlement"),
    }
    return render(request, "workflow/entitlement.html", context, status=400 if form.errors else 200)
