"""Inserting one drawn chunk of the synthetic registry with ``bulk_create``.

No per-row ``save()``: each table gets a few batched INSERTs per chunk, and the household
heads are set with one UPDATE. Field encryption happens per row in the model field, as for
any other write; look-up hashes, masks and pinyin keys are computed as the registry
services compute them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from dpf.core.certnumber import make_certificate_number
from dpf.core.idnumber import make_id_number, mask_id_number
from dpf.core.pinyin import name_full_pinyin, name_initials
from dpf.demo.context import Counts
from dpf.demo.population import DisabledSpec, PersonSpec
from dpf.registry.models import (
    Certificate,
    GuardianLink,
    Household,
    HouseholdStatus,
    InsuranceEnrolment,
    NeedsSurvey,
    OutsidePayment,
    Person,
    Relation,
    Residence,
    SchoolEnrolment,
)
from dpf.registry.services import certificate_lookup_hash, id_lookup_hash

BATCH = 1000


_PINYIN: dict[str, tuple[str, str]] = {}


def _pinyin(name: str) -> tuple[str, str]:
    keys = _PINYIN.get(name)
    if keys is None:
        if len(_PINYIN) > 200_000:  # bounded: names repeat, but do not grow forever
            _PINYIN.clear()
        keys = (name_initials(name)[:20], name_full_pinyin(name)[:120])
        _PINYIN[name] = keys
    return keys


def resolve_id_collisions(specs: list[DisabledSpec]) -> int:
    """Make every drawn ID number unique in the chunk and in the database.

    A clash (same address code, birth date and sequence) moves the sequence on by two,
    keeping its parity (the holder's sex). Returns the number of numbers changed.
    """
    people = [p for spec in specs for p in spec.people()]
    known = {p.id_number for p in people}
    changed = 0
    pending = people
    while pending:
        seen: set[str] = set()
        clashes: list[PersonSpec] = []
        unique: dict[str, PersonSpec] = {}
        for person in pending:
            if person.id_number in seen:
                clashes.append(person)
            else:
                unique[id_lookup_hash(person.id_number)] = person
            seen.add(person.id_number)
        taken = Person.objects.filter(id_number_hash__in=list(unique)).values_list(
            "id_number_hash", flat=True
        )
        clashes += [unique[h] for h in taken]
        for person in clashes:
            person.id_number = _next_free(person.id_number, known)
            known.add(person.id_number)
        changed += len(clashes)
        pending = clashes
    return changed


def _next_free(number: str, known: set[str]) -> str:
    """The next unused number with the same address code, birth date and sex."""
    region = number[:6]
    birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    sequence = int(number[14:17])
    first = 1 if sequence % 2 else 2
    for _ in range(500):
        sequence = sequence + 2 if sequence + 2 <= 999 else first
        candidate = make_id_number(region, birth, sequence)
        if candidate not in known:
            return candidate
    raise RuntimeError("no free ID sequence for this address code and birth date")


def _person(spec: PersonSpec, household: Household, now: dt.datetime) -> Person:
    initials, pinyin = _pinyin(spec.name)
    village = spec.village
    return Person(
        name=spec.name,
        name_initials=initials,
        name_pinyin=pinyin,
        id_number=spec.id_number,
        id_number_hash=id_lookup_hash(spec.id_number),
        id_number_masked=mask_id_number(spec.id_number),
        sex=spec.sex,
        birth_date=spec.birth,
        ethnicity=spec.ethnicity,
        phone=spec.phone,
        household=household,
        relation_to_head=spec.relation,
        county_code=village[:6],
        township_code=village[:9],
        village_code=village,
        death_date=spec.death,
        synthetic=True,
        facts_changed_at=now,
    )


def _create(model: Any, rows: Iterable[Any], counts: Counts) -> list[Any]:
    objs = list(rows)
    if objs:
        model.objects.bulk_create(objs, batch_size=BATCH)
        counts.add(model._meta.db_table, len(objs))
    return objs


def write_chunk(specs: list[DisabledSpec], *, source: str, counts: Counts) -> None:
    """Insert one chunk: households, people, then every fact about them."""
    now = timezone.now()
    households = _create(
        Household,
        (
            Household(
                county_code=spec.person.village[:6],
                township_code=spec.person.village[:9],
                village_code=spec.person.village,
                address=spec.address,
                synthetic=True,
            )
            for spec in specs
        ),
        counts,
    )
    disabled: list[Person] = []
    heads: list[Person | None] = []
    everyone: list[Person] = []
    for spec, household in zip(specs, households, strict=True):
        person = _person(spec.person, household, now)
        disabled.append(person)
        everyone.append(person)
        head = _person(spec.head, household, now) if spec.head is not None else None
        heads.append(head)
        if head is not None:
            everyone.append(head)
    _create(Person, everyone, counts)
    Household.objects.filter(pk__in=[h.pk for h in households]).update(
        head_id=Subquery(
            Person.objects.filter(household_id=OuterRef("pk"), relation_to_head=Relation.HEAD)
            .order_by("pk")
            .values("pk")[:1]
        )
    )

    _create(
        Residence,
        (
            Residence(
                person=obj,
                county_code=stay.village[:6],
                township_code=stay.village[:9],
                village_code=stay.village,
                valid_from=stay.valid_from,
                valid_to=stay.valid_to,
                source=source,
            )
            for spec, person, head in zip(specs, disabled, heads, strict=True)
            for obj, who in ((person, spec.person), (head, spec.head))
            if obj is not None and who is not None
            for stay in who.stays
        ),
        counts,
    )
    _write_certificates(specs, disabled, source, counts)
    _create(
        HouseholdStatus,
        (
            HouseholdStatus(
                household=household, status=status, valid_from=start, valid_to=end, source=source
            )
            for spec, household in zip(specs, households, strict=True)
            for status, start, end in spec.statuses
        ),
        counts,
    )
    _create(
        InsuranceEnrolment,
        (
            InsuranceEnrolment(
                person=person,
                kind=kind,
                valid_from=start,
                valid_to=end,
                government_paid=paid,
                source=source,
            )
            for spec, person in zip(specs, disabled, strict=True)
            for kind, start, end, paid in spec.insurances
        ),
        counts,
    )
    _create(
        OutsidePayment,
        (
            OutsidePayment(person=person, kind=kind, valid_from=start, valid_to=end, source=source)
            for spec, person in zip(specs, disabled, strict=True)
            for kind, start, end in spec.outside_payments
        ),
        counts,
    )
    _create(
        SchoolEnrolment,
        (
            SchoolEnrolment(
                person=person,
                school=school,
                grade=grade,
                mode=mode,
                valid_from=start,
                valid_to=end,
                source=source,
            )
            for spec, person in zip(specs, disabled, strict=True)
            for school, grade, mode, start, end in spec.schools
        ),
        counts,
    )
    _create(
        GuardianLink,
        (
            GuardianLink(
                guardian=head,
                dependant=person,
                relation=spec.guardian[0],
                valid_from=spec.guardian[1],
                valid_to=spec.guardian[2],
                source=source,
            )
            for spec, person, head in zip(specs, disabled, heads, strict=True)
            if spec.guardian is not None and head is not None
        ),
        counts,
    )
    _create(
        NeedsSurvey,
        (
            NeedsSurvey(
                person=person,
                year=s.year,
                survey_date=s.survey_date,
                method=s.method,
                surveyor_name=s.surveyor_name,
                rehab_need=s.rehab_need,
                device_need=s.device_need,
                home_renovation_need=s.home_renovation_need,
                care_need=s.care_need,
                long_term_care_need=s.long_term_care_need,
                employment_status=s.employment_status,
                employment_wish=s.employment_wish,
                school_status=s.school_status,
                income_per_capita=s.income_per_capita,
            )
            for spec, person in zip(specs, disabled, strict=True)
            for s in spec.surveys
        ),
        counts,
    )


def _write_certificates(
    specs: list[DisabledSpec], disabled: list[Person], source: str, counts: Counts
) -> None:
    """One pass per position in the history, so each row can point at the one it replaces."""
    previous: list[Certificate | None] = [None] * len(specs)
    depth = max((len(spec.certificates) for spec in specs), default=0)
    for n in range(depth):
        batch: list[Certificate] = []
        owners: list[int] = []
        for k, (spec, person) in enumerate(zip(specs, disabled, strict=True)):
            if n >= len(spec.certificates):
                continue
            c = spec.certificates[n]
            number = make_certificate_number(spec.person.id_number, c.category, c.level)
            batch.append(
                Certificate(
                    person=person,
                    number=number,
                    number_hash=certificate_lookup_hash(number),
                    category=c.category,
                    level=c.level,
                    issue_date=c.valid_from,
                    expires_on=c.expires_on,
                    valid_from=c.valid_from,
                    valid_to=c.valid_to,
                    status=c.status,
                    issuing_county=c.issuing_county or person.county_code,
                    replaces=previous[k],
                    end_reason=c.end_reason,
                    source=source,
                )
            )
            owners.append(k)
        _create(Certificate, batch, counts)
        for k, cert in zip(owners, batch, strict=True):
            previous[k] = cert
