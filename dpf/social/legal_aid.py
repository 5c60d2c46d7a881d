"""Legal aid referrals (法律援助转介, plan 三(七)): the federation's rights-protection officer
(维权) refers a disabled person of the region with a legal matter to the county justice
bureau's legal aid centre, and later records what the centre did: accepted (受理), declined
with a reason (不予受理) or concluded with a result (办结). The status follows from those
dates; a referral without any answer after ``OVERDUE_DAYS`` is overdue on the list.

A request that came in through the portal or the 12385 hotline is named by its number. The
portal sits above this app, so it registers how a number is checked
(``register_request_lookup``): the request must be one the officer may see and be the
same person's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused, require_permission
from dpf.accounts.scoping import scope_queryset
from dpf.core import audit
from dpf.core.idnumber import parse_id_number
from dpf.core.inputs import clean_text, not_after, refuse
from dpf.core.models import Region, RegionLevel
from dpf.registry.models import Person
from dpf.registry.services import id_lookup_hash
from dpf.social.models import LegalAidChannel, LegalAidReferral, LegalAidStatus, LegalMatter

OVERDUE_DAYS = 30
DESCRIPTION_MAX = 300
OUTCOME_TEXT_MAX = 500
REFERRED_TO_MAX = 100
DEFAULT_CENTRE = "法律援助中心"

# (actor, request number) -> the id of the person the request is about, when the actor may
# see that request; ``None`` otherwise.
RequestLookup = Callable[[Any, int], int | None]
_request_lookup: list[RequestLookup] = []


def register_request_lookup(lookup: RequestLookup) -> None:
    """The portal says how a citizen request's number is checked (its ``ready()``)."""
    _request_lookup[:] = [lookup]


# What each status means as a filter on the dates (the status is never stored).
STATUS_FILTERS: dict[str, Q] = {
    LegalAidStatus.REFERRED: Q(
        accepted_on__isnull=True, declined_on__isnull=True, concluded_on__isnull=True
    ),
    LegalAidStatus.ACCEPTED: Q(accepted_on__isnull=False, concluded_on__isnull=True),
    LegalAidStatus.DECLINED: Q(declined_on__isnull=False),
    LegalAidStatus.CONCLUDED: Q(concluded_on__isnull=False),
}


def overdue_q(today: dt.date) -> Q:
    """Referred more than ``OVERDUE_DAYS`` ago and no answer from the centre yet."""
    return STATUS_FILTERS[LegalAidStatus.REFERRED] & Q(
        referred_on__lt=today - dt.timedelta(days=OVERDUE_DAYS)
    )


def is_overdue(referral: LegalAidReferral, today: dt.date) -> bool:
    return referral.status == LegalAidStatus.REFERRED and (
        referral.referred_on < today - dt.timedelta(days=OVERDUE_DAYS)
    )


# --- reads ------------------------------------------------------------------------------------


def referrals(
    actor: User | None,
    *,
    today: dt.date,
    status: str = "",
    county: str = "",
    overdue: bool = False,
) -> QuerySet[LegalAidReferral]:
    """The referrals of ``actor``'s region (the person's region when referred), newest
    first; optionally of one status, one county, or overdue only."""
    require_permission(actor, "view", "legal_aid")
    rows = scope_queryset(actor, LegalAidReferral.objects.select_related("person"))
    if status in STATUS_FILTERS:
        rows = rows.filter(STATUS_FILTERS[status])
    if county:
        rows = rows.filter(county_code=county)
    if overdue:
        rows = rows.filter(overdue_q(today))
    return rows.order_by("-referred_on", "-pk")


def referral_for(actor: User | None, referral_id: int, *, lock: bool = False) -> LegalAidReferral:
    """One referral of ``actor``'s region, else "not found" (never "forbidden")."""
    require_permission(actor, "view", "legal_aid", referral_id)
    rows = scope_queryset(actor, LegalAidReferral.objects.select_related("person"))
    if lock:
        rows = rows.select_for_update(of=("self",))
    found = rows.filter(pk=referral_id).first()
    if found is None:
        raise PermissionRefused("view", "legal_aid", referral_id)
    return found


def overdue_count(actor: User | None, *, today: dt.date) -> int:
    return referrals(actor, today=today, overdue=True).count()


def default_centre(county_code: str) -> str:
    """The legal aid centre of a county ("红山区法律援助中心")."""
    county = Region.objects.filter(code=county_code or "", level=RegionLevel.COUNTY).first()
    return f"{county.name}{DEFAULT_CENTRE}" if county is not None else ""


def form_centre(actor: User | None) -> str:
    """The form's default: the centre of the county of a county or township officer."""
    region = getattr(actor, "region", None)
    if region is None or region.level not in (RegionLevel.COUNTY, RegionLevel.TOWNSHIP):
        return ""
    return default_centre(region.code[:6])


# --- writes -----------------------------------------------------------------------------------


def _person(actor: User | None, id_number: str) -> Person:
    number = parse_id_number(id_number or "")
    person = (
        scope_queryset(actor, Person.objects.all())
        .filter(id_number_hash=id_lookup_hash(number.normalized))
        .first()
    )
    if person is None:
        raise refuse(
            "person",
            "该人员不存在或不在权限范围内",
            "no such person in your region",
            "id_number",
        )
    return person


def _request_person(actor: User | None, number: int) -> int:
    found = _request_lookup[0](actor, number) if _request_lookup else None
    if found is None:
        raise refuse(
            "request_unknown",
            "诉求编号不存在或不在权限范围内",
            "no such citizen request in your region",
            "citizen_request_id",
        )
    return found


def _person_and_request(
    actor: User | None, id_number: str, number: int | None
) -> tuple[Person, int | None]:
    """The person named by ID number, or (the ID number left empty) the person of the
    citizen request named by its number; a request named with an ID number must be that
    person's."""
    if not (id_number or "").strip():
        if number is None:
            raise refuse("required", "请填写身份证号码", "please give the ID number", "id_number")
        person = (
            scope_queryset(actor, Person.objects.all())
            .filter(pk=_request_person(actor, number))
            .first()
        )
        if person is None:
            raise refuse(
                "person",
                "该诉求的人员不在权限范围内",
                "the person of this request is not in your region",
                "citizen_request_id",
            )
        return person, number
    person = _person(actor, id_number)
    return person, _request(actor, person, number)


def _request(actor: User | None, person: Person, number: int | None) -> int | None:
    if number is None:
        return None
    if _request_person(actor, number) != person.pk:
        raise refuse(
            "request_other_person",
            "该诉求不是此人员提出的",
            "the citizen request is another person's",
            "citizen_request_id",
        )
    return number


def _checked(
    *,
    county_code: str,
    today: dt.date,
    matter: str,
    description: str,
    channel: str,
    referred_on: dt.date,
    referred_to: str,
) -> dict[str, Any]:
    if matter not in LegalMatter.values:
        raise refuse("matter", "请选择事项类别", "choose the kind of matter", "matter")
    if channel not in LegalAidChannel.values:
        raise refuse("channel", "请选择来源渠道", "choose how the request came in", "channel")
    not_after(referred_on, today, field="referred_on", label=("转介日期", "referral date"))
    centre = (referred_to or "").strip() or default_centre(county_code)
    return {
        "matter": matter,
        "description": clean_text(
            description,
            field="description",
            label=("事项简述", "description"),
            limit=DESCRIPTION_MAX,
        ),
        "channel": channel,
        "referred_on": referred_on,
        "referred_to": clean_text(
            centre,
            field="referred_to",
            label=("转介至", "legal aid centre"),
            limit=REFERRED_TO_MAX,
        ),
    }


def referral_create(
    *,
    actor: User | None,
    today: dt.date,
    id_number: str,
    matter: str,
    description: str,
    channel: str,
    referred_on: dt.date,
    referred_to: str = "",
    citizen_request_id: int | None = None,
) -> LegalAidReferral:
    """Refer a person of the actor's region to the legal aid centre (the county's centre
    when ``referred_to`` is left empty). The person is named by ID number, or by the
    citizen request the referral comes from (its number, the ID number left empty)."""
    require_permission(actor, "create", "legal_aid")
    person, request_id = _person_and_request(actor, id_number, citizen_request_id)
    fields = _checked(
        county_code=person.county_code,
        today=today,
        matter=matter,
        description=description,
        channel=channel,
        referred_on=referred_on,
        referred_to=referred_to,
    )
    with transaction.atomic():
        referral = LegalAidReferral.objects.create(
            person=person,
            county_code=person.county_code,
            township_code=person.township_code,
            village_code=person.village_code,
            citizen_request_id=request_id,
            created_by=actor,
            **fields,
        )
        audit.record(
            actor=actor,
            action="create",
            object_type="legal_aid",
            object_id=referral.pk,
            changes={
                "person": person.pk,
                "matter": matter,
                "channel": channel,
                "referred_on": referred_on.isoformat(),
                "citizen_request": request_id,
            },
        )
    return referral


def referral_change(
    *,
    actor: User | None,
    referral_id: int,
    today: dt.date,
    matter: str,
    description: str,
    channel: str,
    referred_on: dt.date,
    referred_to: str,
) -> LegalAidReferral:
    """Correct a referral; the changed fields are audited (the description's text is not
    written to the log: it names the person's dispute)."""
    require_permission(actor, "change", "legal_aid", referral_id)
    with transaction.atomic():
        referral = referral_for(actor, referral_id, lock=True)
        fields = _checked(
            county_code=referral.county_code,
            today=today,
            matter=matter,
            description=description,
            channel=channel,
            referred_on=referred_on,
            referred_to=referred_to,
        )
        answered = [
            d for d in (referral.accepted_on, referral.declined_on, referral.concluded_on) if d
        ]
        if answered and referred_on > min(answered):
            raise refuse(
                "referral_after_outcome",
                "转介日期不能晚于已登记的受理、不予受理或办结日期",
                "the referral date cannot be after the outcome already recorded",
                "referred_on",
            )
        changes: dict[str, Any] = audit.changed_fields(
            {key: getattr(referral, key) for key in fields}, fields
        )
        if "description" in changes:
            changes["description"] = "changed"  # free text about the matter: never logged
        if not changes:
            return referral
        for key, value in fields.items():
            setattr(referral, key, value)
        referral.save(update_fields=list(fields))
        audit.record(
            actor=actor,
            action="change",
            object_type="legal_aid",
            object_id=referral.pk,
            changes=changes,
        )
    return referral


OUTCOMES = (LegalAidStatus.ACCEPTED, LegalAidStatus.DECLINED, LegalAidStatus.CONCLUDED)


def referral_outcome(
    *,
    actor: User | None,
    referral_id: int,
    today: dt.date,
    outcome: str,
    outcome_on: dt.date,
    note: str = "",
) -> LegalAidReferral:
    """Record the centre's answer: accepted (from a referral awaiting an answer), declined
    with the reason (likewise; final), or concluded with the result (from a referral
    awaiting an answer or accepted). The date is not in the future and not before the
    referral, nor a conclusion before the acceptance."""
    require_permission(actor, "change", "legal_aid", referral_id)
    if outcome not in OUTCOMES:
        raise refuse("outcome", "请选择办理结果", "choose the outcome", "outcome")
    with transaction.atomic():
        referral = referral_for(actor, referral_id, lock=True)
        status = referral.status
        allowed = {
            LegalAidStatus.ACCEPTED: (LegalAidStatus.REFERRED,),
            LegalAidStatus.DECLINED: (LegalAidStatus.REFERRED,),
            LegalAidStatus.CONCLUDED: (LegalAidStatus.REFERRED, LegalAidStatus.ACCEPTED),
        }[LegalAidStatus(outcome)]
        if status not in allowed:
            raise refuse(
                "outcome_not_allowed",
                f"该转介当前为“{status.label}”，不能登记为“{LegalAidStatus(outcome).label}”",
                f"a referral that is {status.value} cannot be recorded as {outcome}",
                "outcome",
            )
        not_after(outcome_on, today, field="outcome_on", label=("办理日期", "outcome date"))
        if outcome_on < referral.referred_on:
            raise refuse(
                "outcome_before_referral",
                "受理、不予受理或办结日期不能早于转介日期",
                "the outcome cannot be dated before the referral",
                "outcome_on",
            )
        if referral.accepted_on is not None and outcome_on < referral.accepted_on:
            raise refuse(
                "concluded_before_accepted",
                "办结日期不能早于受理日期",
                "the conclusion cannot be dated before the acceptance",
                "outcome_on",
            )
        if outcome == LegalAidStatus.ACCEPTED:
            referral.accepted_on = outcome_on
            fields = ["accepted_on"]
        elif outcome == LegalAidStatus.DECLINED:
            referral.decline_reason = clean_text(
                note,
                field="note",
                label=("不予受理原因", "reason for declining"),
                limit=OUTCOME_TEXT_MAX,
            )
            referral.declined_on = outcome_on
            fields = ["declined_on", "decline_reason"]
        else:
            referral.result = clean_text(
                note, field="note", label=("办理结果", "result"), limit=OUTCOME_TEXT_MAX
            )
            referral.concluded_on = outcome_on
            fields = ["concluded_on", "result"]
        referral.save(update_fields=fields)
        audit.record(
            actor=actor,
            action="change",
            object_type="legal_aid",
            object_id=referral.pk,
            changes={"outcome": outcome, "on": outcome_on.isoformat()},
        )
    return referral


def status_counts(actor: User | None, *, today: dt.date) -> dict[str, int]:
    """The region's referrals by status, and the overdue ones (the list's summary)."""
    counts = {str(status): Count("pk", filter=q) for status, q in STATUS_FILTERS.items()}
    return (
        referrals(actor, today=today)
        .order_by()
        .aggregate(**counts, overdue=Count("pk", filter=overdue_q(today)))
    )
