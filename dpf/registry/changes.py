"""Keeping a person's record current from the staff pages (issue 17 part 1): details,
guardian, move, death, household membership and status (the certificate's lifecycle is
``certificate_changes``).

Each change is keyword-only, takes the actor, the reason and the effective date, runs in
one transaction, is audited and leaves a ``RecordChange`` row that the person's timeline
shows. A person outside the actor's scope is "not found"; a refusal writes nothing.
Ending entitlements and closing applications on a death is the workflow's part
(``dpf.workflow.services.deaths``), which calls ``person_death_record`` here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q

from dpf.accounts.models import User
from dpf.accounts.permissions import require_permission
from dpf.accounts.scoping import person_in_scope, region_in_scope
from dpf.core import audit, crypto
from dpf.core.dates import local_today
from dpf.core.errors import NotFound
from dpf.core.inputs import refuse
from dpf.core.models import Region, RegionLevel
from dpf.core.pinyin import name_full_pinyin, name_initials
from dpf.core.text import check_text_characters, clean_person_name, fold_fullwidth_digits
from dpf.registry.change_models import ChangeKind, RecordChange
from dpf.registry.models import (
    Certificate,
    CertificateStatus,
    GuardianLink,
    Household,
    HouseholdStatus,
    Person,
    Relation,
    Residence,
)
from dpf.registry.services import (
    _move,
    certificate_end,
    household_create,
    household_status_set,
    id_lookup_hash,
    mark_facts_changed,
)

REASON_MAX = 300


def clean_reason(reason: Any) -> str:
    """The reason for a change: required (two characters at least), one line of text."""
    text = ("" if reason is None else str(reason)).strip()
    check_text_characters(text, field="reason", label_zh="原因", label_en="reason")
    if len(text) < 2:
        raise refuse("reason_missing", "请填写变更原因", "give the reason for the change", "reason")
    if len(text) > REASON_MAX:
        raise refuse(
            "reason_long", "原因不能超过300字", "the reason is longer than 300 characters", "reason"
        )
    return text


def _effective(on: Any, today: dt.date | None, field: str = "on") -> dt.date:
    """The effective date: given, and not after today (a change is recorded once it
    happened)."""
    if not isinstance(on, dt.date):
        raise refuse("date_missing", "请填写生效日期", "enter the effective date", field)
    if on > (today or local_today()):
        raise refuse(
            "future_date", "生效日期不能晚于今天", "the effective date is in the future", field
        )
    return on


def _person(actor: User | None, person: Person | int, action: str = "change") -> Person:
    """The person, locked, when the actor may change their record; "not found" otherwise
    (the same words for a person outside the actor's region)."""
    pk = person if isinstance(person, int) else person.pk
    if actor is not None:
        require_permission(actor, action, "person", pk)
    locked = Person.objects.select_for_update().filter(pk=pk).first()
    if locked is None or (
        actor is not None
        and not person_in_scope(actor, person_id=locked.pk, village_code=locked.village_code)
    ):
        raise NotFound("person")
    return locked


def _living(person: Person) -> None:
    if person.death_date is not None:
        raise refuse(
            "person_deceased",
            "该人员已登记死亡，不能再变更",
            "the person is recorded as deceased; the record can no longer change",
        )


def _record(
    *, actor: User | None, person: Person, kind: str, on: dt.date, reason: str, summary: str
) -> RecordChange:
    return RecordChange.objects.create(
        person=person,
        kind=kind,
        effective_on=on,
        reason=reason[:REASON_MAX],
        summary=summary[:300],
        actor=actor if getattr(actor, "pk", None) else None,
    )


# --- details and guardian ---------------------------------------------------------------


def _clean_phone(phone: str) -> str:
    phone = fold_fullwidth_digits((phone or "").strip())
    if phone and not (phone.isascii() and phone.isdigit() and 7 <= len(phone) <= 15):
        raise refuse("phone", "电话号码格式不正确", "the phone number is not valid", "phone")
    return phone


def _clean_ethnicity(ethnicity: str) -> str:
    ethnicity = (ethnicity or "").strip()
    check_text_characters(ethnicity, field="ethnicity", label_zh="民族", label_en="ethnicity")
    if not ethnicity:
        raise refuse("ethnicity_missing", "请填写民族", "enter the ethnic group", "ethnicity")
    if len(ethnicity) > 20:
        raise refuse("ethnicity_long", "民族过长", "the ethnicity is too long", "ethnicity")
    return ethnicity


@transaction.atomic
def person_details_change(
    *,
    actor: User | None,
    person: Person | int,
    on: dt.date,
    reason: str,
    name: str | None = None,
    phone: str | None = None,
    ethnicity: str | None = None,
    today: dt.date | None = None,
) -> Person:
    """Change the person's name, phone or ethnic group from ``on`` (``None``: unchanged).

    The phone stays encrypted; the audit entry and the timeline hold masked values only.
    Refused when nothing changes."""
    reason = clean_reason(reason)
    on = _effective(on, today)
    new: dict[str, str] = {}
    if name is not None:
        new["name"] = clean_person_name(name)
    if phone is not None:
        new["phone"] = _clean_phone(phone)
    if ethnicity is not None:
        new["ethnicity"] = _clean_ethnicity(ethnicity)
    locked = _person(actor, person)
    _living(locked)
    changed = {f: v for f, v in new.items() if getattr(locked, f) != v}
    if not changed:
        raise refuse("nothing_changed", "没有需要变更的内容", "nothing was changed")
    masks: dict[str, Callable[[str], str]] = {
        "name": crypto.mask_name,
        "phone": crypto.mask_phone,
        "ethnicity": str,
    }
    labels = {"name": "姓名", "phone": "联系电话", "ethnicity": "民族"}
    shown = {
        f: {
            "before": masks[f](getattr(locked, f)) if getattr(locked, f) else "",
            "after": masks[f](v) if v else "",
        }
        for f, v in changed.items()
    }
    for f, v in changed.items():
        setattr(locked, f, v)
    if "name" in changed:
        locked.name_initials = name_initials(locked.name)[:20]
        locked.name_pinyin = name_full_pinyin(locked.name)[:120]
    locked.save(
        update_fields=[
            *changed,
            *(["name_initials", "name_pinyin"] if "name" in changed else []),
            "updated_at",
        ]
    )
    mark_facts_changed([locked.pk])
    summary = "；".join(
        f"{labels[f]}：{s['before'] or '—'} → {s['after'] or '—'}" for f, s in shown.items()
    )
    _record(
        actor=actor, person=locked, kind=ChangeKind.DETAILS, on=on, reason=reason, summary=summary
    )
    audit.record(
        actor=actor,
        action="change",
        object_type="person",
        object_id=locked.pk,
        changes={**shown, "from": on.isoformat()},
        reason=reason,
    )
    return locked


@transaction.atomic
def guardian_change(  # noqa: C901
    *,
    actor: User | None,
    person: Person | int,
    on: dt.date,
    reason: str,
    guardian_id_number: str = "",
    relation: str = Relation.OTHER,
    today: dt.date | None = None,
) -> GuardianLink | None:
    """The person's guardian (监护人) from ``on``: the current link ends the day before;
    with ``guardian_id_number`` (a person registered in the actor's region) a new link
    starts, without it the person has no guardian from ``on``."""
    reason = clean_reason(reason)
    on = _effective(on, today)
    if relation not in Relation.values:
        raise refuse("relation", "与本人关系无效", "invalid relation", "relation")
    locked = _person(actor, person)
    _living(locked)
    guardian = None
    number = fold_fullwidth_digits((guardian_id_number or "").strip()).upper()
    if number:
        guardian = Person.objects.filter(id_number_hash=id_lookup_hash(number)).first()
        if guardian is None or (
            actor is not None
            and not person_in_scope(
                actor, person_id=guardian.pk, village_code=guardian.village_code
            )
        ):
            raise refuse(
                "guardian_unknown",
                "监护人须是本辖区已登记的人员",
                "the guardian must be a person registered in your region",
                "guardian_id_number",
            )
        if guardian.pk == locked.pk:
            raise refuse(
                "guardian_self",
                "监护人不能是本人",
                "a person cannot be their own guardian",
                "guardian_id_number",
            )
        if guardian.death_date is not None:
            raise refuse(
                "guardian_deceased",
                "监护人已登记死亡",
                "the guardian is recorded as deceased",
                "guardian_id_number",
            )
    links = GuardianLink.objects.filter(dependant=locked)
    current = links.filter(valid_to__isnull=True).first()
    if current is None and guardian is None:
        raise refuse("nothing_changed", "没有需要变更的内容", "nothing was changed")
    if current is not None and guardian is not None and current.guardian_id == guardian.pk:
        raise refuse(
            "nothing_changed",
            "该人员已是本人的监护人",
            "this person is already the guardian",
            "guardian_id_number",
        )
    if current is not None:
        if on <= current.valid_from:
            raise refuse(
                "date_range",
                "生效日期须晚于现监护关系的起始日期",
                "the date must follow the start of the current guardianship",
                "on",
            )
        current.valid_to = on - dt.timedelta(days=1)
        current.save(update_fields=["valid_to"])
    link = None
    if guardian is not None:
        link = GuardianLink.objects.create(
            guardian=guardian,
            dependant=locked,
            relation=relation,
            valid_from=on,
            source=f"user:{getattr(actor, 'pk', '')}",
        )
    mark_facts_changed([locked.pk])
    summary = (
        f"{crypto.mask_name(guardian.name)}（{Relation(relation).label}）"
        if guardian is not None
        else "无监护人"
    )
    _record(
        actor=actor, person=locked, kind=ChangeKind.GUARDIAN, on=on, reason=reason, summary=summary
    )
    audit.record(
        actor=actor,
        action="change",
        object_type="person",
        object_id=locked.pk,
        changes={
            "guardian": {
                "before": current.guardian_id if current else None,
                "after": guardian.pk if guardian else None,
            },
            "from": on.isoformat(),
        },
        reason=reason,
    )
    return link


# --- move and death ---------------------------------------------------------------------


def _village_anywhere(code: str) -> Region:
    """A village of the installation, whoever's it is: a person may move to any region
    (the administrative divisions are public), only the person must be the actor's."""
    region = Region.objects.filter(code=(code or "").strip(), level=RegionLevel.VILLAGE).first()
    if region is None:
        raise refuse(
            "village_unknown",
            "迁入的嘎查村社区不存在，请核对区划代码",
            "the village moved to does not exist; check the region code",
            "village_code",
        )
    return region


@dataclass(frozen=True)
class MoveOutcome:
    residence: Residence
    household_moved: bool
    still_in_scope: bool


@transaction.atomic
def person_move_record(
    *,
    actor: User | None,
    person: Person | int,
    village_code: str,
    on: dt.date,
    reason: str,
    today: dt.date | None = None,
) -> MoveOutcome:
    """The person lives in ``village_code`` from ``on`` (within a township, between
    townships or counties): the residence history keeps the old village up to the day
    before, the person's region codes follow (the new region's staff take over). A person
    living alone in their household takes the household along; otherwise the household
    stays (change its members on the household page)."""
    reason = clean_reason(reason)
    on = _effective(on, today)
    village = _village_anywhere(village_code)
    locked = _person(actor, person)
    _living(locked)
    if village.code == locked.village_code:
        raise refuse(
            "same_village",
            "迁入地与现居住地相同",
            "the person already lives in this village",
            "village_code",
        )
    before = locked.village_code
    residence = _move(actor=actor, person=locked, village=village, on=on)
    household_moved = False
    if locked.household_id is not None:
        others = Person.objects.filter(household_id=locked.household_id, death_date__isnull=True)
        if not others.exclude(pk=locked.pk).exists():
            Household.objects.filter(pk=locked.household_id).update(
                county_code=village.code[:6],
                township_code=village.code[:9],
                village_code=village.code,
            )
            household_moved = True
    _record(
        actor=actor,
        person=locked,
        kind=ChangeKind.MOVE,
        on=on,
        reason=reason,
        summary=f"{before} → {village.code} {village.name}",
    )
    audit.record(
        actor=actor,
        action="change",
        object_type="person",
        object_id=locked.pk,
        changes={"move": {"before": before, "after": village.code}, "from": on.isoformat()},
        reason=reason,
    )
    in_scope = actor is None or region_in_scope(actor, village.code)
    return MoveOutcome(residence, household_moved, in_scope)


@dataclass(frozen=True)
class DeathOutcome:
    person: Person
    certificates_cancelled: list[int]
    household_head_cleared: bool
    household_status_ended: bool


@transaction.atomic
def person_death_record(  # noqa: C901
    *,
    actor: User | None,
    person: Person | int,
    on: dt.date,
    reason: str,
    today: dt.date | None = None,
) -> DeathOutcome:
    """Record the person's death on ``on``: the valid certificate is cancelled (注销) from
    the next day, guardianships end on that day, the household loses its head when the
    person was the head, and its economic status ends when no living member remains.
    The entitlements and applications are the workflow's (``workflow.services.deaths``).
    """
    reason = clean_reason(reason)
    on = _effective(on, today)
    locked = _person(actor, person)
    if locked.death_date is not None:
        raise refuse(
            "already_deceased",
            "该人员已登记死亡",
            "the person is already recorded as deceased",
            "on",
        )
    if on < locked.birth_date:
        raise refuse(
            "before_birth", "死亡日期早于出生日期", "the date of death is before the birth", "on"
        )
    next_day = on + dt.timedelta(days=1)
    cancelled: list[int] = []
    for cert in Certificate.objects.filter(person=locked, status=CertificateStatus.VALID):
        if cert.valid_to is not None and cert.valid_to < next_day:
            continue  # expired before the death: nothing to cancel
        if cert.valid_from >= next_day:
            continue
        certificate_end(
            actor=actor,
            certificate=cert,
            on=next_day,
            status=CertificateStatus.CANCELLED,
            reason="死亡注销",
        )
        cancelled.append(cert.pk)
    for link in GuardianLink.objects.filter(
        Q(guardian_id=locked.pk) | Q(dependant_id=locked.pk), valid_to__isnull=True
    ):
        link.valid_to = max(on, link.valid_from)
        link.save(update_fields=["valid_to"])
    Person.objects.filter(pk=locked.pk).update(death_date=on)
    mark_facts_changed([locked.pk])
    locked.death_date = on
    head_cleared = status_ended = False
    if locked.household_id is not None:
        household = Household.objects.select_for_update().get(pk=locked.household_id)
        if household.head_id == locked.pk:
            household.head = None
            household.save(update_fields=["head"])
            head_cleared = True
        living = Person.objects.filter(household=household, death_date__isnull=True)
        if not living.exists():
            current = HouseholdStatus.objects.filter(household=household, valid_to__isnull=True)
            for row in current:
                row.valid_to = max(on, row.valid_from)
                row.save(update_fields=["valid_to"])
                status_ended = True
        mark_facts_changed(Person.objects.filter(household=household).values("pk"))
    _record(actor=actor, person=locked, kind=ChangeKind.DEATH, on=on, reason=reason, summary="")
    audit.record(
        actor=actor,
        action="change",
        object_type="person",
        object_id=locked.pk,
        changes={
            "death_date": on.isoformat(),
            "certificates_cancelled": cancelled,
            "household_head_cleared": head_cleared,
            "household_status_ended": status_ended,
        },
        reason=reason,
    )
    return DeathOutcome(locked, cancelled, head_cleared, status_ended)


# --- household --------------------------------------------------------------------------


def _household(actor: User | None, household: Household | int) -> Household:
    pk = household if isinstance(household, int) else household.pk
    if actor is not None:
        require_permission(actor, "change", "household", pk)
    locked = Household.objects.select_for_update().filter(pk=pk).first()
    if locked is None or (actor is not None and not region_in_scope(actor, locked.village_code)):
        raise NotFound("household")
    return locked


@transaction.atomic
def household_member_change(
    *,
    actor: User | None,
    person: Person | int,
    on: dt.date,
    reason: str,
    household: Household | int | None = None,
    relation: str = Relation.HEAD,
    today: dt.date | None = None,
) -> Household:
    """The person belongs to ``household`` from ``on`` with ``relation`` to its head
    (``None``: the person leaves and forms a household of their own in their village).

    Membership has no history table: the ``RecordChange`` rows of both persons' timelines
    keep the dates. The household left loses its head when the person was its head."""
    reason = clean_reason(reason)
    on = _effective(on, today)
    if relation not in Relation.values:
        raise refuse("relation", "与户主关系无效", "invalid relation to the head", "relation")
    locked = _person(actor, person)
    _living(locked)
    if household is None:
        target = household_create(actor=actor, village_code=locked.village_code)
        relation = Relation.HEAD
    else:
        target = _household(actor, household)
        if target.pk == locked.household_id and relation == locked.relation_to_head:
            raise refuse(
                "nothing_changed", "没有需要变更的内容", "nothing was changed", "household"
            )
        if target.village_code != locked.village_code:
            raise refuse(
                "household_elsewhere",
                "该家庭不在本人居住的嘎查村社区，请先登记迁移",
                "the household is in another village: record the move first",
                "household",
            )
    old = (
        Household.objects.select_for_update().filter(pk=locked.household_id).first()
        if locked.household_id
        else None
    )
    if relation == Relation.HEAD and target.head_id not in (None, locked.pk):
        raise refuse(
            "head_taken",
            "该家庭已有户主，请选择其他关系",
            "the household already has a head; choose another relation",
            "relation",
        )
    if old is not None and old.pk != target.pk and old.head_id == locked.pk:
        old.head = None
        old.save(update_fields=["head"])
    if target.head_id == locked.pk and relation != Relation.HEAD:
        target.head = None
        target.save(update_fields=["head"])
    locked.household = target
    locked.relation_to_head = relation
    locked.save(update_fields=["household", "relation_to_head", "updated_at"])
    mark_facts_changed([locked.pk])
    if relation == Relation.HEAD and target.head_id is None:
        target.head = locked
        target.save(update_fields=["head"])
    affected = [locked.pk]
    affected += list(
        Person.objects.filter(household_id__in=[target.pk, getattr(old, "pk", 0)]).values_list(
            "pk", flat=True
        )
    )
    mark_facts_changed(affected)
    summary = f"家庭 {getattr(old, 'pk', '—')} → {target.pk}（{Relation(relation).label}）"
    _record(
        actor=actor, person=locked, kind=ChangeKind.HOUSEHOLD, on=on, reason=reason, summary=summary
    )
    audit.record(
        actor=actor,
        action="change",
        object_type="person",
        object_id=locked.pk,
        changes={
            "household": {"before": getattr(old, "pk", None), "after": target.pk},
            "relation": relation,
            "from": on.isoformat(),
        },
        reason=reason,
    )
    return target


@transaction.atomic
def household_status_change(
    *,
    actor: User | None,
    household: Household | int,
    status: str,
    on: dt.date,
    reason: str,
    today: dt.date | None = None,
) -> HouseholdStatus:
    """The household's economic status from ``on`` (the open one ends the day before),
    with the reason, on every living member's timeline."""
    from dpf.registry.models import HouseholdStatusCode

    reason = clean_reason(reason)
    on = _effective(on, today)
    if status not in HouseholdStatusCode.values:
        raise refuse("status", "经济状况无效", "invalid economic status", "status")
    locked = _household(actor, household)
    current = (
        HouseholdStatus.objects.filter(household=locked, valid_to__isnull=True)
        .values_list("status", flat=True)
        .first()
    )
    if current == status:
        raise refuse("nothing_changed", "经济状况没有变化", "the status is unchanged", "status")
    row = household_status_set(actor=actor, household=locked, status=status, valid_from=on)
    label = str(HouseholdStatusCode(status).label)
    for member in Person.objects.filter(household=locked, death_date__isnull=True):
        _record(
            actor=actor,
            person=member,
            kind=ChangeKind.HOUSEHOLD_STATUS,
            on=on,
            reason=reason,
            summary=label,
        )
    audit.record(
        actor=actor,
        action="change",
        object_type="household",
        object_id=locked.pk,
        changes={"status": {"before": current, "after": status}, "from": on.isoformat()},
        reason=reason,
    )
    return row
