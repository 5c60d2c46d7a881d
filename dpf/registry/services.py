"""Every write to the registry: one function per use case, transactional and audited.

Overlap of effective-dated facts is refused here on every database (PostgreSQL's
exclusion constraints are the second line, and the only one under concurrent writers
that bypass this layer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from dpf.accounts.models import User
from dpf.accounts.scoping import person_in_scope, region_in_scope
from dpf.core import audit, crypto
from dpf.core.certnumber import make_certificate_number, parse_certificate_number
from dpf.core.dates import local_today
from dpf.core.errors import ValidationFailed
from dpf.core.idnumber import (
    ADDRESS_CODE_UNKNOWN,
    IdNumber,
    mask_id_number,
    parse_id_number,
    warning_message,
)
from dpf.core.inputs import refuse
from dpf.core.models import Region, RegionLevel, check_interval, overlapping
from dpf.core.pinyin import name_full_pinyin, name_initials
from dpf.core.text import check_text_characters, clean_person_name, fold_fullwidth_digits
from dpf.registry.models import (
    Certificate,
    CertificateStatus,
    FactsMark,
    Household,
    HouseholdStatus,
    Person,
    Relation,
    Residence,
    TransferRequest,
    TransferStatus,
)

CERTIFICATE_YEARS = 10

# The refusal of a second certificate for the same dates: the page then links the one held.
CERTIFICATE_OVERLAP = "certificate_overlap"


def mark_facts_changed(person_ids: Any) -> int:
    """Queue people for the incremental scan and for the figures kept current
    (``announce_facts_changed``): their ``FactsMark`` is set to now, in one
    set-based upsert whatever their number; takes ids or a queryset of ids. Returns the
    number of persons marked. The one writer of the marks (the demo's bulk writer also
    marks the persons it creates)."""
    persons = Person.objects.filter(pk__in=person_ids).values("id").order_by()
    try:
        select, params = persons.query.sql_with_params()
    except EmptyResultSet:  # no ids at all
        announce_facts_changed()
        return 0
    marks = connection.ops.quote_name(FactsMark._meta.db_table)
    # "WHERE true": SQLite would read the ON of the upsert as the SELECT's join otherwise.
    # The table name is the model's, quoted; the persons' query is the ORM's, with its
    # parameters.
    statement = (
        f"INSERT INTO {marks} (person_id, changed_at) "  # noqa: S608
        f"SELECT marked.id, %s FROM ({select}) marked WHERE true "
        "ON CONFLICT (person_id) DO UPDATE SET changed_at = excluded.changed_at"
    )
    with connection.cursor() as cur:
        cur.execute(statement, [connection.ops.adapt_datetimefield_value(timezone.now()), *params])
        changed = cur.rowcount
    announce_facts_changed()
    return changed


# Apps above the registry that keep figures derived from persons' facts current (the
# indicators' newest snapshot) register here, in their ``ready()``, a function run once
# after each transaction that changed facts commits. Which persons changed, it reads from
# their ``FactsMark``, the same mark the incremental scan reads: no second record.
_FACTS_LISTENERS: dict[str, Callable[[], None]] = {}


def on_facts_changed(name: str, listener: Callable[[], None]) -> None:
    _FACTS_LISTENERS[name] = listener


def _facts_listeners() -> None:
    for listener in list(_FACTS_LISTENERS.values()):
        listener()


def announce_facts_changed() -> None:
    """Every write that marks a person's facts changed calls this: the listeners run once
    after the transaction commits (never if it rolls back). A failing listener is logged
    and does not undo or refuse the change (``robust``)."""
    if not _FACTS_LISTENERS:
        return
    if connection.in_atomic_block and any(
        entry[1] is _facts_listeners for entry in connection.run_on_commit
    ):
        return  # already due after this transaction
    transaction.on_commit(_facts_listeners, robust=True)


def id_lookup_hash(normalized_id: str) -> str:
    return crypto.lookup_hash(normalized_id, purpose="id")


def certificate_lookup_hash(number: str) -> str:
    return crypto.lookup_hash(number, purpose="certificate")


def _village(code: str, actor: User | None) -> Region:
    region = Region.objects.filter(code=code, level=RegionLevel.VILLAGE).first()
    if region is None:
        raise refuse(
            "village_unknown", "所选嘎查村社区不存在", "the village does not exist", "village_code"
        )
    if actor is not None and not region_in_scope(actor, code):
        # Same words as "unknown": a user learns nothing about regions outside the scope.
        raise refuse(
            "village_unknown", "所选嘎查村社区不存在", "the village does not exist", "village_code"
        )
    return region


@transaction.atomic
def household_create(*, actor: User | None, village_code: str, address: str = "") -> Household:
    address = (address or "").strip()
    check_text_characters(address, field="address", label_zh="住址", label_en="address")
    if len(address) > 200:
        raise refuse("address_long", "住址过长", "the address is too long", "address")
    village = _village(village_code, actor)
    household = Household.objects.create(
        county_code=village.code[:6],
        township_code=village.code[:9],
        village_code=village.code,
        address=address,
    )
    audit.record(actor=actor, action="create", object_type="household", object_id=household.pk)
    return household


class DuplicatePerson(ValidationFailed):
    """The ID number is registered to a person the actor may see (``person_id`` links it;
    ``None`` when a concurrent registration was undone before it could be looked up)."""

    def __init__(self, person_id: int | None) -> None:
        super().__init__(
            "duplicate_person",
            "该身份证号码已登记",
            "a person with this ID number is already registered",
            field="id_number",
        )
        self.person_id = person_id


class TransferRequested(ValidationFailed):
    """The ID number is registered in a region outside the actor's scope: the registration
    became a transfer request to that region. The words name neither the person nor the
    region (no existence oracle beyond "this needs checking")."""

    def __init__(self) -> None:
        super().__init__(
            "needs_checking",
            "该身份证号码需要核实，已转交上级残联处理",
            "this ID number needs checking and has been passed to the disabled persons' federation",
            field="id_number",
        )


class AddressCodeUnconfirmed(ValidationFailed):
    """The ID number's address code is unknown and the worker has not confirmed having read
    the warning for this very code (a ticked box for another number does not count)."""

    def __init__(self, parsed: IdNumber) -> None:
        zh, en = warning_message(ADDRESS_CODE_UNKNOWN, parsed)
        super().__init__(
            "address_code_unconfirmed",
            f"{zh}；核对无误后请勾选确认",
            f"{en}; once checked, tick the confirmation",
            field="id_number",
        )
        self.address_code = parsed.region_code


def _check_warnings_confirmed(parsed: IdNumber, confirmed_address_code: str) -> None:
    if ADDRESS_CODE_UNKNOWN in parsed.warnings and confirmed_address_code != parsed.region_code:
        raise AddressCodeUnconfirmed(parsed)


class _Taken(Exception):
    """Another registration of the same ID number committed first (unique hash)."""


@dataclass(frozen=True)
class _Entry:
    """A registration's checked input."""

    name: str
    parsed: IdNumber
    digest: str
    phone: str
    village: Region
    ethnicity: str


def _registration_entry(
    *,
    actor: User | None,
    name: str,
    id_number: str,
    phone: str,
    village_code: str,
    ethnicity: str,
    today: dt.date | None,
    confirmed_address_code: str = "",
) -> _Entry:
    name = clean_person_name(name)
    ethnicity = (ethnicity or "").strip() or "汉族"
    check_text_characters(ethnicity, field="ethnicity", label_zh="民族", label_en="ethnicity")
    if len(ethnicity) > 20:
        raise refuse("ethnicity_long", "民族过长", "the ethnicity is too long", "ethnicity")
    parsed = parse_id_number(id_number, today=today)
    _check_warnings_confirmed(parsed, confirmed_address_code)
    phone = fold_fullwidth_digits((phone or "").strip())
    if phone and not (phone.isascii() and phone.isdigit() and 7 <= len(phone) <= 15):
        raise refuse("phone", "电话号码格式不正确", "the phone number is not valid", "phone")
    village = _village(village_code, actor)
    return _Entry(name, parsed, id_lookup_hash(parsed.normalized), phone, village, ethnicity)


def _refuse_if_registered(actor: User | None, entry: _Entry) -> None:
    """Refuse an ID number already registered: as a duplicate the actor may open when their
    scope holds the record (or for the system), otherwise as a transfer request to the
    holding region, written and audited in its own transaction before the refusal."""
    holder = Person.objects.filter(id_number_hash=entry.digest).values("pk", "village_code").first()
    if holder is None:
        return
    if actor is None or person_in_scope(
        actor, person_id=holder["pk"], village_code=holder["village_code"]
    ):
        raise DuplicatePerson(holder["pk"])
    transfer_request_open(actor=actor, person_id=holder["pk"], entry=entry)
    raise TransferRequested()


def person_register(
    *,
    actor: User | None,
    name: str,
    id_number: str,
    village_code: str,
    ethnicity: str = "汉族",
    phone: str = "",
    household: Household | None = None,
    relation_to_head: str = Relation.HEAD,
    residence_from: dt.date | None = None,
    today: dt.date | None = None,
    confirmed_address_code: str = "",
) -> Person:
    """Register a person; sex and birth date come from the ID number.

    An ID number whose address code is unknown (``IdNumber.warnings``) is accepted only
    when ``confirmed_address_code`` repeats that code (the worker read the warning and
    ticked it), else :class:`AddressCodeUnconfirmed`; the warning is kept in the audit entry.

    An ID number already registered raises :class:`DuplicatePerson` when the actor's scope
    holds the record, otherwise :class:`TransferRequested` (a transfer request to the
    holding region stays written, audited as ``possible_probe``). Call it outside any
    enclosing transaction for the request to survive the refusal.
    """
    entry = _registration_entry(
        actor=actor,
        name=name,
        id_number=id_number,
        phone=phone,
        village_code=village_code,
        ethnicity=ethnicity,
        today=today,
        confirmed_address_code=confirmed_address_code,
    )
    _refuse_if_registered(actor, entry)
    try:
        return _person_create(
            actor=actor,
            entry=entry,
            household=household,
            relation_to_head=relation_to_head,
            residence_from=residence_from,
        )
    except _Taken:
        _refuse_if_registered(actor, entry)
        raise DuplicatePerson(None) from None  # the other registration was undone meanwhile


@transaction.atomic
def _person_create(
    *,
    actor: User | None,
    entry: _Entry,
    household: Household | None,
    relation_to_head: str,
    residence_from: dt.date | None,
) -> Person:
    """Write the person (raises :class:`_Taken` when the ID number was registered since
    the check: the unique hash decides between concurrent registrations)."""
    parsed, village, name = entry.parsed, entry.village, entry.name
    if household is None:
        household = household_create(actor=actor, village_code=village.code)
        relation_to_head = Relation.HEAD
    try:
        with transaction.atomic():
            person = Person.objects.create(
                name=name,
                name_initials=name_initials(name)[:20],
                name_pinyin=name_full_pinyin(name)[:120],
                id_number=parsed.normalized,
                id_number_hash=entry.digest,
                id_number_masked=mask_id_number(parsed.normalized),
                id_upgraded_from_15=parsed.upgraded_from_15,
                sex=parsed.sex,
                birth_date=parsed.birth_date,
                ethnicity=entry.ethnicity,
                phone=entry.phone,
                household=household,
                relation_to_head=relation_to_head,
                county_code=village.code[:6],
                township_code=village.code[:9],
                village_code=village.code,
            )
            mark_facts_changed([person.pk])
    except IntegrityError:
        raise _Taken() from None
    if household.head_id is None and relation_to_head == Relation.HEAD:
        household.head = person
        household.save(update_fields=["head"])
    Residence.objects.create(
        person=person,
        county_code=person.county_code,
        township_code=person.township_code,
        village_code=person.village_code,
        valid_from=residence_from or parsed.birth_date,
        source=f"user:{getattr(actor, 'pk', '')}",
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="person",
        object_id=person.pk,
        changes={
            "id_number": parsed.masked,
            "name": crypto.mask_name(name),
            **({"warnings": list(parsed.warnings)} if parsed.warnings else {}),
        },
    )
    return person


@transaction.atomic
def certificate_issue(
    *,
    actor: User | None,
    person: Person,
    number: str | None = None,
    category: int | None = None,
    level: int | None = None,
    issue_date: dt.date,
    valid_from: dt.date | None = None,
    expires_on: dt.date | None = None,
    issuing_county: str | None = None,
    today: dt.date | None = None,
) -> Certificate:
    """Issue a certificate. Give either the 20-character number or category and level.

    Refused when the embedded ID number is not the person's, or when it would overlap a
    certificate the person already holds (re-grade with ``certificate_regrade`` instead).
    """
    Person.objects.select_for_update().filter(pk=person.pk).first()
    if number:
        parsed = parse_certificate_number(number, today=today)
        if parsed.id_number.normalized != person.id_number:
            raise refuse(
                "id_mismatch",
                "残疾人证号中的身份证号码与本人不一致",
                "the ID number inside the certificate number is not the person's",
                "number",
            )
        if category is not None and category != parsed.category:
            raise refuse(
                "category_mismatch",
                "残疾类别与证号不一致",
                "the category does not match the number",
                "category",
            )
        if level is not None and level != parsed.level:
            raise refuse(
                "level_mismatch",
                "残疾等级与证号不一致",
                "the level does not match the number",
                "level",
            )
        category, level = parsed.category, parsed.level
    if category is None or not 1 <= int(category) <= 7:
        raise refuse("category", "残疾类别应为1至7", "the category must be 1 to 7", "category")
    if level is None or not 1 <= int(level) <= 4:
        raise refuse("level", "残疾等级应为1至4", "the level must be 1 to 4", "level")
    today = today or local_today()
    if issue_date > today:
        raise refuse(
            "future_date", "发证日期不能晚于今天", "the issue date is in the future", "issue_date"
        )
    valid_from = valid_from or issue_date
    expires_on = expires_on or _add_years(valid_from, CERTIFICATE_YEARS) - dt.timedelta(days=1)
    check_interval(valid_from, expires_on, "expires_on")
    if overlapping(Certificate.objects.filter(person=person), valid_from, expires_on):
        raise refuse(
            CERTIFICATE_OVERLAP,
            "该人员在此期间已有残疾人证，请使用换证或重新评定",
            "the person already holds a certificate for these dates; re-grade or renew instead",
            "valid_from",
        )
    full_number = make_certificate_number(person.id_number, int(category), int(level))
    certificate = Certificate.objects.create(
        person=person,
        number=full_number,
        number_hash=certificate_lookup_hash(full_number),
        category=int(category),
        level=int(level),
        issue_date=issue_date,
        valid_from=valid_from,
        valid_to=expires_on,
        expires_on=expires_on,
        status=CertificateStatus.VALID,
        issuing_county=issuing_county or person.county_code,
        source=f"user:{getattr(actor, 'pk', '')}",
    )
    mark_facts_changed([person.pk])
    audit.record(
        actor=actor,
        action="create",
        object_type="certificate",
        object_id=certificate.pk,
        changes={"person": person.pk, "category": category, "level": level},
    )
    return certificate


@transaction.atomic
def certificate_end(
    *, actor: User | None, certificate: Certificate, on: dt.date, status: str, reason: str = ""
) -> Certificate:
    """Cancel or mark replaced: the certificate was valid until the day before ``on``."""
    if status not in (CertificateStatus.CANCELLED, CertificateStatus.REPLACED):
        raise refuse("status", "状态无效", "invalid status", "status")
    if on <= certificate.valid_from:
        raise refuse(
            "date_range", "终止日期须晚于起始日期", "the end date must follow the start", "on"
        )
    old = {"status": certificate.status, "valid_to": str(certificate.valid_to)}
    certificate.valid_to = min(on - dt.timedelta(days=1), certificate.valid_to or on)
    certificate.status = status
    certificate.end_reason = reason[:200]
    certificate.save(update_fields=["valid_to", "status", "end_reason"])
    mark_facts_changed([certificate.person_id])
    audit.record(
        actor=actor,
        action="change",
        object_type="certificate",
        object_id=certificate.pk,
        changes={"before": old, "after": {"status": status, "valid_to": str(certificate.valid_to)}},
        reason=reason,
    )
    return certificate


@transaction.atomic
def certificate_regrade(
    *,
    actor: User | None,
    certificate: Certificate,
    category: int,
    level: int,
    on: dt.date,
    today: dt.date | None = None,
) -> Certificate:
    """Re-assessment (重新评定): the old certificate is replaced from ``on``."""
    certificate_end(
        actor=actor,
        certificate=certificate,
        on=on,
        status=CertificateStatus.REPLACED,
        reason="regrade",
    )
    new = certificate_issue(
        actor=actor,
        person=certificate.person,
        category=category,
        level=level,
        issue_date=on,
        issuing_county=certificate.issuing_county,
        today=today,
    )
    new.replaces = certificate
    new.save(update_fields=["replaces"])
    return new


@transaction.atomic
def household_status_set(
    *,
    actor: User | None,
    household: Household,
    status: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    source: str = "manual",
) -> HouseholdStatus:
    """Record a household's economic status from ``valid_from``.

    An open status that started earlier is closed the day before; any other overlap is
    refused (history is corrected explicitly, never overwritten silently).
    """
    check_interval(valid_from, valid_to)
    Household.objects.select_for_update().filter(pk=household.pk).first()
    existing = HouseholdStatus.objects.filter(household=household)
    current = existing.filter(valid_to__isnull=True, valid_from__lt=valid_from).first()
    if current is not None:
        current.valid_to = valid_from - dt.timedelta(days=1)
        current.save(update_fields=["valid_to"])
    if overlapping(existing, valid_from, valid_to):
        raise refuse(
            "status_overlap",
            "该家庭在此期间已有经济状况记录",
            "the household already has a status for these dates",
            "valid_from",
        )
    row = HouseholdStatus.objects.create(
        household=household, status=status, valid_from=valid_from, valid_to=valid_to, source=source
    )
    mark_facts_changed(Person.objects.filter(household=household).values("pk"))
    audit.record(
        actor=actor,
        action="change",
        object_type="household",
        object_id=household.pk,
        changes={"status": status, "valid_from": str(valid_from)},
    )
    return row


@transaction.atomic
def person_move(*, actor: User | None, person: Person, village_code: str, on: dt.date) -> Residence:
    """The person lives in ``village_code`` from ``on``: the open residence ends the day
    before and the person's current region codes follow. A move on or before the start
    of the current residence would overlap it and is refused (history is corrected
    explicitly, never overwritten)."""
    return _move(actor=actor, person=person, village=_village(village_code, actor), on=on)


def _move(*, actor: User | None, person: Person, village: Region, on: dt.date) -> Residence:
    Person.objects.select_for_update().filter(pk=person.pk).first()
    residences = Residence.objects.filter(person=person)
    current = residences.filter(valid_to__isnull=True).first()
    if current is not None and on > current.valid_from:
        current.valid_to = on - dt.timedelta(days=1)
        current.save(update_fields=["valid_to"])
    if overlapping(residences, on, None):
        raise refuse(
            "residence_overlap",
            "该人员在此日期已有居住地记录",
            "the person already has a residence on this date",
            "on",
        )
    residence = Residence.objects.create(
        person=person,
        county_code=village.code[:6],
        township_code=village.code[:9],
        village_code=village.code,
        valid_from=on,
        source=f"user:{getattr(actor, 'pk', '')}",
    )
    before = person.village_code
    Person.objects.filter(pk=person.pk).update(
        county_code=village.code[:6],
        township_code=village.code[:9],
        village_code=village.code,
    )
    mark_facts_changed([person.pk])
    person.refresh_from_db(fields=["county_code", "township_code", "village_code"])
    audit.record(
        actor=actor,
        action="change",
        object_type="person",
        object_id=person.pk,
        changes={"village_code": {"before": before, "after": village.code}, "from": str(on)},
    )
    return residence


def _add_years(date: dt.date, years: int) -> dt.date:
    try:
        return date.replace(year=date.year + years)
    except ValueError:  # 29 February
        return date.replace(year=date.year + years, day=28)


def person_register_with_certificate(
    *,
    actor: User | None,
    name: str,
    id_number: str,
    village_code: str,
    ethnicity: str = "汉族",
    phone: str = "",
    household_id: int | None = None,
    relation_to_head: str = Relation.HEAD,
    certificate_number: str = "",
    certificate_category: int | None = None,
    certificate_level: int | None = None,
    certificate_issue_date: dt.date | None = None,
    today: dt.date | None = None,
    confirmed_address_code: str = "",
) -> Person:
    """Register a person, into an existing household or a new one, and optionally issue
    their certificate: all or nothing (the registration form's one transaction).

    A household outside the actor's scope reads as unknown. Issuing a certificate needs
    the ("create", "certificate") permission; refusals keep the field names of
    ``person_register`` and ``certificate_issue``. An ID number registered outside the
    actor's scope becomes a transfer request (:class:`TransferRequested`), which stays
    written although nothing of the registration is.
    """
    from dpf.accounts.permissions import require_permission

    household = None
    if household_id is not None:
        household = Household.objects.filter(pk=household_id).first()
        if household is None or not region_in_scope(actor, household.village_code):
            raise refuse(
                "household_unknown", "所选家庭不存在", "the household does not exist", "household"
            )
    wants_certificate = bool(
        certificate_number or certificate_category or certificate_level or certificate_issue_date
    )
    if wants_certificate:
        require_permission(actor, "create", "certificate")
        if certificate_issue_date is None:
            raise refuse(
                "issue_date_missing", "请填写发证日期", "enter the issue date", "issue_date"
            )
    entry = _registration_entry(
        actor=actor,
        name=name,
        id_number=id_number,
        phone=phone,
        village_code=village_code,
        ethnicity=ethnicity,
        today=today,
        confirmed_address_code=confirmed_address_code,
    )
    _refuse_if_registered(actor, entry)
    try:
        with transaction.atomic():
            person = _person_create(
                actor=actor,
                entry=entry,
                household=household,
                relation_to_head=relation_to_head if household is not None else Relation.HEAD,
                residence_from=None,
            )
            if wants_certificate and certificate_issue_date is not None:
                certificate_issue(
                    actor=actor,
                    person=person,
                    number=certificate_number or None,
                    category=certificate_category,
                    level=certificate_level,
                    issue_date=certificate_issue_date,
                    today=today,
                )
    except _Taken:
        _refuse_if_registered(actor, entry)
        raise DuplicatePerson(None) from None
    return person


@transaction.atomic
def household_register(
    *,
    actor: User | None,
    village_code: str,
    address: str = "",
    status: str = "",
    status_from: dt.date | None = None,
) -> Household:
    """Register a household and, when given, its economic status from ``status_from``."""
    from dpf.registry.models import HouseholdStatusCode

    if status and status not in HouseholdStatusCode.values:
        raise refuse("status", "经济状况无效", "invalid economic status", "status")
    if status and status_from is None:
        raise refuse(
            "status_from_missing",
            "请填写经济状况的起始日期",
            "enter the date the economic status starts",
            "status_from",
        )
    household = household_create(actor=actor, village_code=village_code, address=address.strip())
    if status and status_from is not None:
        household_status_set(
            actor=actor, household=household, status=status, valid_from=status_from
        )
    return household


# --- transfer requests (迁移申请) ---------------------------------------------------------


@transaction.atomic
def transfer_request_open(*, actor: User | None, person_id: int, entry: _Entry) -> TransferRequest:
    """A registration found ``person_id`` outside the actor's scope: pass it to the holding
    region as a transfer request into the actor's chosen village (one pending request per
    person and village), and audit the attempt as ``possible_probe``: looking up whether an
    ID number exists elsewhere is what a probe does, and the holding region decides."""
    transfer, created = TransferRequest.objects.get_or_create(
        person_id=person_id,
        requested_village_code=entry.village.code,
        status=TransferStatus.PENDING,
        defaults={"requested_by": actor, "name_given": entry.name},
    )
    audit.record(
        actor=actor,
        action="possible_probe",
        object_type="person",
        object_id=person_id,
        changes={
            "transfer_request": transfer.pk,
            "repeated": not created,
            "requested_village": entry.village.code,
            "id_number": entry.parsed.masked,
            "name_given": crypto.mask_name(entry.name),
        },
        reason="registration of an ID number held outside the user's scope",
    )
    return transfer


@transaction.atomic
def transfer_request_decide(
    *,
    actor: User | None,
    transfer: TransferRequest,
    accept: bool,
    on: dt.date,
    note: str = "",
) -> TransferRequest:
    """Accept (the person moves to the requested village from ``on``) or decline (nothing
    changes; a reason is required) a pending transfer request of a person in the actor's
    scope. Decided once: a second decision is refused."""
    from dpf.accounts.permissions import PermissionRefused, require_permission

    require_permission(actor, "approve", "transfer_request", transfer.pk)
    locked = (
        TransferRequest.objects.select_for_update()
        .select_related("person")
        .filter(pk=transfer.pk)
        .first()
    )
    if locked is None or not person_in_scope(
        actor, person_id=locked.person_id, village_code=locked.person.village_code
    ):
        raise PermissionRefused("approve", "transfer_request", transfer.pk)
    if locked.status != TransferStatus.PENDING:
        raise refuse(
            "transfer_decided",
            "该迁移申请已处理",
            "this transfer request has already been decided",
            "decision",
        )
    note = (note or "").strip()
    check_text_characters(note, field="note", label_zh="处理说明", label_en="note")
    if not accept and len(note) < 2:
        raise refuse("reason_missing", "请填写拒绝理由", "give the reason for declining", "note")
    if accept:
        village = Region.objects.filter(
            code=locked.requested_village_code, level=RegionLevel.VILLAGE
        ).first()
        if village is None:
            raise refuse(
                "village_unknown", "所选嘎查村社区不存在", "the village does not exist", "decision"
            )
        _move(actor=actor, person=locked.person, village=village, on=on)
    locked.status = TransferStatus.ACCEPTED if accept else TransferStatus.DECLINED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_note = note[:200]
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit.record(
        actor=actor,
        action="change",
        object_type="transfer_request",
        object_id=locked.pk,
        changes={
            "status": {"before": TransferStatus.PENDING, "after": locked.status},
            "person": locked.person_id,
        },
        reason=note,
    )
    return locked
