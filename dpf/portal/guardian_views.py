"""Guardianship requests (监护关系登记): the citizen's page and the officers' review.

Thin: parse, call ``dpf.portal.guardianship``, render. A request outside the officer's
region answers 404 (``NotFound``); the proof is served only through the scoped, audited
view, as an attachment.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import has_permission, permission_required
from dpf.core.errors import ValidationFailed
from dpf.portal import guardianship
from dpf.portal.citizen_views import Acting, _render, citizen_page
from dpf.portal.forms import ClaimDecisionForm, GuardianClaimForm
from dpf.workflow import documents as document_files
from dpf.workflow.forms import attach_refusal


def _relations() -> list[tuple[str, str]]:
    return [(r.value, str(r.label)) for r in guardianship.CLAIM_RELATIONS]


@citizen_page("create", "guardian_claim")
def dependants(request: AuthedHttpRequest, acting: Acting) -> HttpResponse:
    """Ask to act for a dependant; the citizen's requests and their outcome."""
    form = GuardianClaimForm(request.POST or None, request.FILES or None, relations=_relations())
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["proof"]
        try:
            guardianship.claim_submit(
                actor=request.user,
                dependant_id_number=form.cleaned_data["dependant_id_number"],
                dependant_certificate_number=form.cleaned_data["dependant_certificate_number"],
                relation=form.cleaned_data["relation"],
                proof_name=uploaded.name or "",
                proof_data=uploaded.read(document_files.MAX_BYTES + 1),
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(
                request, _("申请已提交，乡镇（街道）或旗县区残联审核通过后，您就可以代为办理。")
            )
            return redirect("portal:dependants")
    context = {"form": form, "claims": guardianship.claims_of(request.user)}
    status = 400 if form.is_bound and form.errors else 200
    return _render(request, "portal/dependants.html", acting, context, status=status)


@permission_required("view", "guardian_claim")
def claim_queue(request: AuthedHttpRequest) -> HttpResponse:
    claims = guardianship.claims_to_review(request.user)
    return render(request, "portal/staff_guardians.html", {"claims": claims})


@permission_required("view", "guardian_claim")
def claim_detail(request: AuthedHttpRequest, claim_id: int) -> HttpResponse:
    claim = guardianship.claim_get(request.user, claim_id)
    can_decide = has_permission(request.user, "approve", "guardian_claim")
    form = ClaimDecisionForm(request.POST or None) if can_decide else None
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            guardianship.claim_decide(
                actor=request.user,
                claim_id=claim.pk,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
            )
        except ValidationFailed as refusal:
            attach_refusal(form, refusal)
        else:
            messages.success(request, _("审核结果已保存"))
            return redirect("portal:staff_guardians")
    status = 400 if form is not None and form.is_bound and form.errors else 200
    context = {"claim": claim, "form": form}
    return render(request, "portal/staff_guardian.html", context, status=status)


@permission_required("view", "guardian_claim")
def claim_proof(request: AuthedHttpRequest, claim_id: int) -> FileResponse:
    claim, content = guardianship.proof_read(request.user, claim_id)
    extension = document_files.EXTENSION.get(claim.proof_content_type, "")
    response = FileResponse(
        io.BytesIO(content),
        content_type=claim.proof_content_type,
        as_attachment=True,
        filename=f"guardian-proof-{claim.pk}{extension}",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
