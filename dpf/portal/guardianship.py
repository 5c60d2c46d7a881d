"""A guardian registers a dependant (监护关系登记): the claim with its proof, the review.

The citizen names the dependant by ID number and certificate number (both: the same match
as registration, and the same one refusal whatever was wrong, so nobody learns who is
registered) and attaches a proof (a PDF, JPEG or PNG, checked by content like every
uploaded document). An officer of the dependant's township or county reviews it: approval
records the registry's ``GuardianLink`` from the day of the decision (the citizen then acts
for the dependant, ``dpf.portal.selectors``); rejection needs a reason. Every step audited.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from dpf.accounts.models import User
from dpf.accounts.permissions import require_permission
from dpf.accounts.scoping import scope_queryset
from dpf.core import audit
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.inputs import refuse
from dpf.core.models import EffectiveDated
from dpf.portal.models import CitizenAccount, ClaimStatus, GuardianClaim
from dpf.portal.services import _matching_person
from dpf.registry.models import GuardianLink, Relation
from dpf.workflow import documents

NOTE_MAX = 500
# What a guardian may be to a dependant (not the household head: that is no relation).
CLAIM_RELATIONS = [r for r in Relation if r != Relation.HEAD]


def _no_match() -> ValidationFailed:
    return refuse(
        "dependant_no_match",
        "身份证号码与残疾人证号不匹配。请核对被监护人的证件后重试，或带证件和证明材料到村（社区）或乡镇（街道）办理",
        "the ID number and certificate number do not match: check the dependant's papers "
        "and try again, or bring them and the proof to your village, community or township "
        "office",
        "dependant_id_number",
    )


@transaction.atomic
def claim_submit(
    *,
    actor: User,
    dependant_id_number: str,
    dependant_certificate_number: str,
    relation: str,
    proof_name: str,
    proof_data: bytes,
    now: dt.datetime | None = None,
) -> GuardianClaim:
    """Submit a claim to act for a dependant, with its proof (nothing is linked yet)."""
    require_permission(actor, "create", "guardian_claim")
    now = now or timezone.now()
    today = timezone.localdate(now)
    account = CitizenAccount.objects.filter(user=actor).select_related("person").first()
    if account is None:
        raise NotFound("citizen account")
    if relation not in {r.value for r in CLAIM_RELATIONS}:
        raise refuse("relation_required", "请选择关系", "choose the relation", "relation")
    dependant = _matching_person(dependant_id_number, dependant_certificate_number, today)
    if dependant is None:
        raise _no_match()
    if dependant.pk == account.person_id:
        raise refuse(
            "dependant_self",
            "不能登记自己为被监护人",
            "you cannot register yourself as your dependant",
            "dependant_id_number",
        )
    already = GuardianLink.objects.filter(
        EffectiveDated.as_of_q(today), guardian_id=account.person_id, dependant=dependant
    ).exists()
    if already:
        raise refuse(
            "guardian_exists",
            "您已经是该人员的监护人",
            "you are already this person's guardian",
            "dependant_id_number",
        )
    checked = documents.check(proof_name, proof_data)
    stored = documents.store(checked, proof_data)
    try:
        with transaction.atomic():
            claim = GuardianClaim.objects.create(
                claimant=actor,
                guardian_id=account.person_id,
                dependant=dependant,
                relation=relation,
                proof_name=checked.safe_name,
                proof_stored=stored,
                proof_content_type=checked.content_type,
                proof_size=checked.size,
                proof_sha256=checked.sha256,
                county_code=dependant.county_code,
                township_code=dependant.township_code,
                village_code=dependant.village_code,
                created_at=now,
            )
    except IntegrityError:
        documents.remove(stored)
        raise refuse(
            "claim_pending",
            "您已为该人员提交过申请，正在审核",
            "you already asked for this person: the request is being reviewed",
            "dependant_id_number",
        ) from None
    audit.record(
        actor=actor,
        action="create",
        object_type="guardian_claim",
        object_id=claim.pk,
        changes={"dependant": dependant.pk, "relation": relation, "proof": checked.sha256[:12]},
    )
    return claim


def claims_of(actor: User | None) -> QuerySet[GuardianClaim]:
    """The citizen's own claims, newest first."""
    return (
        GuardianClaim.objects.filter(claimant=actor)
        .select_related("dependant")
        .order_by("-created_at", "-id")
    )


def claims_to_review(
    actor: User | None, *, status: str = ClaimStatus.PENDING
) -> QuerySet[GuardianClaim]:
    """The claims about dependants of ``actor``'s region (deny by default)."""
    require_permission(actor, "view", "guardian_claim")
    claims = GuardianClaim.objects.select_related("guardian", "dependant")
    return scope_queryset(actor, claims.filter(status=status)).order_by("created_at", "id")


def claim_get(actor: User | None, claim_id: int) -> GuardianClaim:
    require_permission(actor, "view", "guardian_claim", claim_id)
    claims = GuardianClaim.objects.select_related("guardian", "dependant", "claimant")
    claim = scope_queryset(actor, claims).filter(pk=claim_id).first()
    if claim is None:
        raise NotFound("guardian claim")
    return claim


def proof_read(actor: User | None, claim_id: int) -> tuple[GuardianClaim, bytes]:
    """The proof document, for a reviewer of the claim (audited as a view)."""
    claim = claim_get(actor, claim_id)
    data = documents.read(claim.proof_stored)
    audit.record(actor=actor, action="view", object_type="guardian_claim_proof", object_id=claim.pk)
    return claim, data


@transaction.atomic
def claim_decide(
    *,
    actor: User | None,
    claim_id: int,
    approve: bool,
    note: str = "",
    now: dt.datetime | None = None,
) -> GuardianClaim:
    """Approve (the guardianship is recorded from today) or reject (with a reason)."""
    require_permission(actor, "approve", "guardian_claim", claim_id)
    now = now or timezone.now()
    today = timezone.localdate(now)
    claims = GuardianClaim.objects.select_for_update()
    claim = scope_queryset(actor, claims).filter(pk=claim_id).first()
    if claim is None:
        raise NotFound("guardian claim")
    if claim.status != ClaimStatus.PENDING:
        raise refuse("claim_decided", "该申请已经审核过", "this request was already decided", None)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise refuse(
            "note_too_long",
            f"审核意见最多{NOTE_MAX}字",
            f"the note has at most {NOTE_MAX} characters",
            "note",
        )
    if not approve and not note:
        raise refuse(
            "reason_required",
            "不通过时请写明原因，申请人会看到",
            "give the reason for the refusal: the applicant sees it",
            "note",
        )
    if approve:
        claim.link = GuardianLink.objects.create(
            guardian_id=claim.guardian_id,
            dependant_id=claim.dependant_id,
            relation=claim.relation,
            valid_from=today,
            source=f"guardian_claim:{claim.pk}",
        )
    claim.status = ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED
    claim.decided_at = now
    claim.decided_by = actor
    claim.decision_note = note
    claim.save(update_fields=["status", "decided_at", "decided_by", "decision_note", "link"])
    audit.record(
        actor=actor,
        action="approve",
        object_type="guardian_claim",
        object_id=claim.pk,
        changes={"status": claim.status, "link": claim.link_id},
        reason=note,
    )
    return claim
