"""Inserting one drawn chunk of the synthetic registry: plain tuples per table, written by
``dpf.core.bulk.insert_rows`` (``COPY`` on PostgreSQL, ``executemany`` on SQLite).

No model instances and no per-row ``save()``: each table gets one write per chunk. The
households, persons and certificates get their ids first (``bulk.reserve_ids``) so
the other rows can point at them, the household's head included. Field encryption
happens per value in the model field, as for any other write; look-up hashes, masks and
pinyin keys are computed as the registry services compute them. Rows go in the order
the ``bulk_create`` writer used, so the ids follow the same order
(tests/demo/test_generate.py compares every row with what that writer wrote).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Model
from django.utils import timezone

from dpf.core.bulk import insert_rows, reserve_ids
from dpf.core.certnumber import make_certificate_number
from dpf.core.idnumber import make_id_number, mask_id_number
from dpf.core.pinyin import name_search_keys
from dpf.demo.context import Counts
from dpf.demo.population import DisabledSpec, PersonSpec
from dpf.registry.models import (
    Certificate,
    FactsMark,
    GuardianLink,
    Household,
    HouseholdStatus,
    InsuranceEnrolment,
    NeedsSurvey,
    OutsidePayment,
    Person,
    Residence,
    SchoolEnrolment,
)
from dpf.registry.services import certificate_lookup_hash, id_lookup_hash

_PINYIN: dict[str, tuple[str, str]] = {}


def _pinyin(name: str) -> tuple[str, str]:
    keys = _PINYIN.get(name)
    if keys is None:
        if len(_PINYIN) > 200_000:  # bounded: names repeat, but do not grow forever
            _PINYIN.clear()
        initials, full = name_search_keys(name)
        keys = (initials[:20], full[:120])
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


PERSON_FIELDS = (
    "id",
    "name",
    "name_initials",
    "name_pinyin",
    "id_number",
    "id_number_hash",
    "id_number_masked",
    "sex",
    "birth_date",
    "ethnicity",
    "phone",
    "household",
    "relation_to_head",
    "county_code",
    "township_code",
    "village_code",
    "death_date",
    "synthetic",
)


def _person(pk: int, spec: PersonSpec, household: int) -> tuple[Any, ...]:
    initials, pinyin = _pinyin(spec.name)
    village = spec.village
    return (
        pk,
        spec.name,
        initials,
        pinyin,
        spec.id_number,
        id_lookup_hash(spec.id_number),
        mask_id_number(spec.id_number),
        spec.sex,
        spec.birth,
        spec.ethnicity,
        spec.phone,
        household,
        spec.relation,
        village[:6],
        village[:9],
        village,
        spec.death,
        True,
    )


def _write(
    model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]], counts: Counts
) -> None:
    n = insert_rows(model, fields, rows)
    if n:
        counts.add(model._meta.db_table, n)


def write_chunk(specs: list[DisabledSpec], *, source: str, counts: Counts) -> None:
    """Insert one chunk: households, people, then every fact about them."""
    now = timezone.now()
    households = reserve_ids(Household, len(specs))
    ids = iter(reserve_ids(Person, sum(len(spec.people()) for spec in specs)))
    # Each spec's certified person and household head (the same person when no relative
    # heads the household): ids in the order the rows are written, person before head.
    person_ids: list[int] = []
    head_ids: list[int] = []
    for spec in specs:
        person_ids.append(next(ids))
        head_ids.append(person_ids[-1] if spec.head is None else next(ids))
    _write(
        Household,
        ("id", "county_code", "township_code", "village_code", "address", "synthetic", "head"),
        (
            (
                pk,
                s.person.village[:6],
                s.person.village[:9],
                s.person.village,
                s.address,
                True,
                head,
            )
            for s, pk, head in zip(specs, households, head_ids, strict=True)
        ),
        counts,
    )
    people: list[tuple[Any, ...]] = []
    for spec, household, pk, head in zip(specs, households, person_ids, head_ids, strict=True):
        people.append(_person(pk, spec.person, household))
        if spec.head is not None:
            people.append(_person(head, spec.head, household))
    _write(Person, PERSON_FIELDS, people, counts)
    # New persons are marked as changed, as the registry's services mark them.
    _write(FactsMark, ("person", "changed_at"), ((row[0], now) for row in people), counts)
    _write(
        Residence,
        (
            "person",
            "county_code",
            "township_code",
            "village_code",
            "valid_from",
            "valid_to",
            "source",
        ),
        (
            (
                pk,
                stay.village[:6],
                stay.village[:9],
                stay.village,
                stay.valid_from,
                stay.valid_to,
                source,
            )
            for spec, person, head in zip(specs, person_ids, head_ids, strict=True)
            for pk, who in ((person, spec.person), (head, spec.head))
            if who is not None
            for stay in who.stays
        ),
        counts,
    )
    _write_certificates(specs, person_ids, source, counts)
    _write(
        HouseholdStatus,
        ("household", "status", "valid_from", "valid_to", "source"),
        (
            (household, status, start, end, source)
            for spec, household in zip(specs, households, strict=True)
            for status, start, end in spec.statuses
        ),
        counts,
    )
    _write(
        InsuranceEnrolment,
        ("person", "kind", "valid_from", "valid_to", "government_paid", "source"),
        (
            (person, kind, start, end, paid, source)
            for spec, person in zip(specs, person_ids, strict=True)
            for kind, start, end, paid in spec.insurances
        ),
        counts,
    )
    _write(
        OutsidePayment,
        ("person", "kind", "valid_from", "valid_to", "source"),
        (
            (person, kind, start, end, source)
            for spec, person in zip(specs, person_ids, strict=True)
            for kind, start, end in spec.outside_payments
        ),
        counts,
    )
    _write(
        SchoolEnrolment,
        ("person", "school", "grade", "mode", "valid_from", "valid_to", "source"),
        (
            (person, school, grade, mode, start, end, source)
            for spec, person in zip(specs, person_ids, strict=True)
            for school, grade, mode, start, end in spec.schools
        ),
        counts,
    )
    _write(
        GuardianLink,
        ("guardian", "dependant", "relation", "valid_from", "valid_to", "source"),
        (
            (head, person, *spec.guardian, source)
            for spec, person, head in zip(specs, person_ids, head_ids, strict=True)
            if spec.guardian is not None and spec.head is not None
        ),
        counts,
    )
    _write(
        NeedsSurvey,
        (
            "person",
            "year",
            "survey_date",
            "method",
            "surveyor_name",
            "rehab_need",
            "device_need",
            "home_renovation_need",
            "care_need",
            "long_term_care_need",
            "employment_status",
            "employment_wish",
            "school_status",
            "income_per_capita",
        ),
        (
            (
                person,
                s.year,
                s.survey_date,
                s.method,
                s.surveyor_name,
                s.rehab_need,
                s.device_need,
                s.home_renovation_need,
                s.care_need,
                s.long_term_care_need,
                s.employment_status,
                s.employment_wish,
                s.school_status,
                s.income_per_capita,
            )
            for spec, person in zip(specs, person_ids, strict=True)
            for s in spec.surveys
        ),
        counts,
    )


CERTIFICATE_FIELDS = (
    "id",
    "person",
    "number",
    "number_hash",
    "category",
    "level",
    "issue_date",
    "expires_on",
    "valid_from",
    "valid_to",
    "status",
    "issuing_county",
    "replaces",
    "end_reason",
    "source",
)


def _write_certificates(
    specs: list[DisabledSpec], person_ids: list[int], source: str, counts: Counts
) -> None:
    """Every chunk's first certificates, then the second ones …, each pointing at the one
    it replaces (the order, and so the ids, of the ``bulk_create`` writer's passes)."""
    depth = max((len(spec.certificates) for spec in specs), default=0)
    order = [
        (k, n) for n in range(depth) for k, spec in enumerate(specs) if n < len(spec.certificates)
    ]
    ids = dict(zip(order, reserve_ids(Certificate, len(order)), strict=True))
    rows = []
    for k, n in order:
        spec = specs[k]
        c = spec.certificates[n]
        number = make_certificate_number(spec.person.id_number, c.category, c.level)
        rows.append(
            (
                ids[k, n],
                person_ids[k],
                number,
                certificate_lookup_hash(number),
                c.category,
                c.level,
                c.valid_from,
                c.expires_on,
                c.valid_from,
                c.valid_to,
                c.status,
                c.issuing_county or spec.person.village[:6],
                ids[k, n - 1] if n else None,
                c.end_reason,
                source,
            )
        )
    _write(Certificate, CERTIFICATE_FIELDS, rows, counts)
