"""Staff pages of the registry: search, person, household, registration, certificates.

Thin: parse the request, call one selector or service, render. Routes are declared from
the permission table (``permission_required``); records outside the user's scope are
``NotFound`` in the selectors and answer 404 (``DeniedAccessMiddleware``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import has_permission, permission_required
from dpf.core import audit
from dpf.core.errors import ValidationFailed
from dpf.core.idnumber import mask_id_number
from dpf.core.text import fold_fullwidth_digits
from dpf.registry import reveal, search_selectors, selectors, services, transfer_selectors
from dpf.registry.forms import (
    CertificateForm,
    HouseholdForm,
    PersonForm,
    SearchForm,
    TransferDecisionForm,
    attach_refusal,
)

PER_PAGE = 20


def _status(form: Any) -> int:
    """A refused form answers 400 (the page shows why); anything else 200."""
    return 400 if form.is_bound and form.errors else 200


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or "1"))
    except ValueError:
        return 1


@permission_required("view", "person")
def search(request: AuthedHttpRequest) -> HttpResponse:
    """One search box. The form posts (an ID number never ends up in a URL); a name
    search pages through GET links, which carry the name, the region and the page."""
    data = request.POST if request.method == "POST" else request.GET
    bound = bool(data.get("q") or data.get("region"))
    choices = selectors.region_filter_choices(request.user)
    form = SearchForm(data if bound else None, region_choices=choices)
    result = None
    page_query = searched_for = ""
    if bound and form.is_valid():
        query, region = form.cleaned_data["q"], form.cleaned_data["region"]
        if request.method == "GET" and search_selectors.looks_like_number(query):
            form.add_error("q", _("身份证号码和残疾人证号请在搜索框中输入，不能放在网址中。"))
        else:
            try:
                result = search_selectors.search_persons(
                    request.user,
                    query=query,
                    region_code=region or None,
                    page=_page_number(request.GET.get("page")),
                    per_page=PER_PAGE,
                )
            except ValidationFailed as refusal:
                attach_refusal(form, refusal, {"query": "q"})
            else:
                if search_selectors.looks_like_number(query):
                    # A found number is not echoed back in clear: the box is emptied and
                    # the page names the masked number it searched for.
                    searched_for = mask_id_number(fold_fullwidth_digits(query.strip()).upper())
                    form = SearchForm({"q": "", "region": region}, region_choices=choices)
                else:
                    page_query = urlencode({"q": query, "region": region or ""})
    context = {
        "form": form,
        "result": result,
        "page_query": page_query,
        "searched_for": searched_for,
    }
    return render(request, "registry/search.html", context, status=_status(form))


@permission_required("view", "person")
@require_POST
def search_lookup(request: AuthedHttpRequest) -> JsonResponse:
    """The search box's suggestions (search as you type) as JSON, for the page's script.

    POST only, so a number typed never ends up in a URL; the same selector, scope and
    refusals as the page, and like the page no audit entry (opening a person is audited).
    Each match carries only what the picker shows: name, masked ID number, township, link.
    """
    try:
        found = search_selectors.lookup_persons(
            request.user,
            query=request.POST.get("q", "")[:50],
            region_code=request.POST.get("region", "") or None,
        )
    except ValidationFailed as refusal:
        return JsonResponse({"error": refusal.code, "message": refusal.message}, status=400)
    matches = [
        {
            "name": m.name,
            "id_number_masked": m.id_number_masked,
            "township": m.township_name,
            "url": reverse("registry:person", args=[m.pk]),
        }
        for m in found.matches
    ]
    return JsonResponse({"kind": found.kind, "matches": matches, "more": found.more})


@permission_required("view", "person")
def person(request: AuthedHttpRequest, person_id: int) -> HttpResponse:
    detail = selectors.person_detail(request.user, person_id)
    audit.record_view(request, "person", person_id)
    context = {
        "d": detail,
        "p": detail.person,
        "can_add_certificate": has_permission(request.user, "create", "certificate"),
        "can_add_member": has_permission(request.user, "create", "person"),
        "can_reveal": has_permission(request.user, "reveal", "person"),
        "can_record_facts": has_permission(request.user, "change", "person"),
        "can_change_certificate": has_permission(request.user, "change", "certificate"),
    }
    return render(request, "registry/person.html", context)


@permission_required("create", "person")
def person_new(request: AuthedHttpRequest) -> HttpResponse:
    """Register a person, optionally into an existing household and with a certificate."""
    with_certificate = has_permission(request.user, "create", "certificate")
    initial = {}
    if request.method == "GET" and request.GET.get("household", "").isdigit():
        initial = {"household": request.GET["household"], "relation_to_head": ""}
    form = PersonForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        village_choices=selectors.village_choices(request.user),
        with_certificate=with_certificate,
    )
    duplicate_of = None
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_register_with_certificate(
                actor=request.user, **form.service_arguments()
            )
        except ValidationFailed as refusal:
            # In the user's scope: a link to the record. Outside it: a neutral answer
            # (TransferRequested) naming neither the person nor the region.
            if isinstance(refusal, services.DuplicatePerson):
                duplicate_of = refusal.person_id
            attach_refusal(form, refusal, PersonForm.REFUSAL_FIELDS)
        else:
            messages.success(request, _("已登记：%(name)s") % {"name": person.name})
            return redirect("registry:person", person_id=person.pk)
    context = {"form": form, "duplicate_of": duplicate_of}
    return render(request, "registry/person_form.html", context, status=_status(form))


@permission_required("create", "certificate")
def certificate_new(request: AuthedHttpRequest, person_id: int) -> HttpResponse:
    person = selectors.person_for_change(request.user, person_id)
    form = CertificateForm(request.POST if request.method == "POST" else None)
    held = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.certificate_issue(
                actor=request.user,
                person=person,
                number=data["number"] or None,
                category=data["category"],
                level=data["level"],
                issue_date=data["issue_date"],
            )
        except ValidationFailed as refusal:
            if refusal.code == services.CERTIFICATE_OVERLAP:
                # The refusal says "renew or re-assess": link the certificate it means.
                held = selectors.certificate_held(person, data["issue_date"])
            attach_refusal(form, refusal, CertificateForm.REFUSAL_FIELDS)
        else:
            messages.success(request, _("残疾人证已登记"))
            return redirect("registry:person", person_id=person.pk)
    context = {
        "form": form,
        "p": person,
        "held": held,
        "can_change_certificate": has_permission(request.user, "change", "certificate"),
    }
    return render(request, "registry/certificate_form.html", context, status=_status(form))


@permission_required("create", "household")
def household_new(request: AuthedHttpRequest) -> HttpResponse:
    form = HouseholdForm(
        request.POST if request.method == "POST" else None,
        village_choices=selectors.village_choices(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = services.household_register(
                actor=request.user,
                village_code=data["village"],
                address=data["address"],
                status=data["status"],
                status_from=data["status_from"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal, HouseholdForm.REFUSAL_FIELDS)
        else:
            messages.success(request, _("家庭已登记，编号 %(id)s。") % {"id": household.pk})
            return redirect("registry:household", household_id=household.pk)
    return render(request, "registry/household_form.html", {"form": form}, status=_status(form))


@permission_required("view", "household")
def household(request: AuthedHttpRequest, household_id: int) -> HttpResponse:
    detail = selectors.household_detail(request.user, household_id)
    audit.record_view(request, "household", household_id)
    context = {
        "d": detail,
        "can_add_member": has_permission(request.user, "create", "person"),
        "can_change_household": has_permission(request.user, "change", "household"),
    }
    return render(request, "registry/household.html", context)


@permission_required("view", "transfer_request")
def transfers(request: AuthedHttpRequest) -> HttpResponse:
    """Transfer requests (迁移申请) of persons in the user's region: registrations of their
    ID numbers by workers elsewhere, to accept (the person moves there) or decline."""
    form = TransferDecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        transfer = transfer_selectors.transfer_request_for_decision(request.user, data["transfer"])
        try:
            services.transfer_request_decide(
                actor=request.user,
                transfer=transfer,
                accept=data["decision"] == "accept",
                on=data["on"] or selectors.today(),
                note=data["note"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal, TransferDecisionForm.REFUSAL_FIELDS)
        else:
            if data["decision"] == "accept":
                messages.success(request, _("已接收迁移申请，人员已迁入申请的嘎查村社区。"))
            else:
                messages.success(request, _("已拒绝迁移申请。"))
            return redirect("registry:transfers")
    context = {
        "rows": transfer_selectors.pending_transfer_requests(request.user),
        "form": form,
        "failed": form.data.get("transfer", "") if form.errors else "",
        "today": selectors.today(),
    }
    return render(request, "registry/transfers.html", context, status=_status(form))


@permission_required("reveal", "person")
@require_POST
@never_cache
def reveal_person(request: AuthedHttpRequest, person_id: int) -> HttpResponse:
    """显示完整信息: POST with a reason; the full values of one person in scope, audited."""
    reason = request.POST.get("reason", "")
    fragment = request.headers.get("HX-Request") == "true"
    try:
        revealed = reveal.reveal_person(
            actor=request.user, person_id=person_id, reason=reason, request=request
        )
    except ValidationFailed as exc:
        context = {"person_id": person_id, "reveal_error": exc, "reveal_reason": reason[:300]}
        template = "registry/_reveal_form.html" if fragment else "registry/reveal.html"
        return render(request, template, context, status=400)
    template = "registry/_revealed.html" if fragment else "registry/reveal.html"
    return render(request, template, {"revealed": revealed, "person_id": person_id})
