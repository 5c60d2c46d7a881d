"""Employment records (就业登记, issue 19 part 5) and assisted employment and public-welfare
posts (辅助性就业、公益性岗位, part 7).

A person's employment is the registry's effective-dated fact ``registry.Employment``
(concentrated, proportional, self-employed, flexible, public-welfare post, assisted,
agricultural; the employer; from/to), so the needs survey and any count as of a date read
one table. A placement (``Placement``) links such a fact to the assisted-employment
institution or the post it came from, and counts for the plan's per-county targets (at least
``INSTITUTIONS_TARGET`` institutions and ``PLACED_TARGET`` persons placed).

Zero-employment households (零就业家庭) are computed, never stored: as of a date, a household
with a disabled member (a valid certificate in force), at least one living member of working
age, and no member of working age with employment in force. A household leaves the list the
day a member's employment starts.

Writes are keyword-only, transactional and audited; reads go through
``dpf.accounts.scoping`` (persons and households by their region codes, institutions and
placements by their county code).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused, has_permission, require_permission
from dpf.accounts.scoping import region_in_scope, regions_to_pick, scope_queryset
from dpf.core import audit
from dpf.core.creditcode import normalise_credit_code
from dpf.core.idnumber import parse_id_number
from dpf.core.inputs import clean_text, refuse
from dpf.core.models import EffectiveDated, Region, RegionLevel, overlapping
from dpf.employment.models import AssistedInstitution, Placement, PlacementKind
from dpf.registry.models import (
    Certificate,
    CertificateStatus,
    Employment,
    EmploymentKind,
    Household,
    Person,
    Sex,
)
from dpf.registry.services import id_lookup_hash, mark_facts_changed
from dpf.registry.survey_selectors import (  # the registry's reader, re-exported
    employment_in_force as employment_in_force,
)
from dpf.rules.sql import shift_years

# Working age (劳动年龄) for the zero-employment list: from 16 to the statutory retirement
# age, 60 for men and 55 for women (the ages before the 2025 reform's gradual rise; a
# person's age in completed years on the date, ``dpf.core.dates.age_on``).
WORKING_AGE_FROM = 16
RETIREMENT_AGE = {Sex.MALE: 60, Sex.FEMALE: 55}

# The plan's targets per county (十四五 plan, 三(二)): assisted-employment institutions open
# and persons placed in assisted employment.
INSTITUTIONS_TARGET = 2
PLACED_TARGET = 180


def _dates(valid_from: Any, valid_to: Any) -> None:
    if not isinstance(valid_from, dt.date):
        raise refuse("valid_from_missing", "请填写起始日期", "Enter the start date", "valid_from")
    if valid_to is not None and valid_to < valid_from:
        raise refuse(
            "date_range",
            "截止日期早于起始日期",
            "The end date is before the start date",
            "valid_to",
        )


def _person_by_id_number(actor: User | None, id_number: str) -> Person:
    """A registered person of the actor's region, locked; outside it the same refusal as an
    unknown number (nothing is learnt)."""
    normalized = parse_id_number(id_number).normalized
    person = (
        scope_queryset(actor, Person.objects.select_for_update())
        .filter(id_number_hash=id_lookup_hash(normalized))
        .first()
    )
    if person is None:
        raise refuse(
            "person_not_found",
            "本辖区没有该身份证号码的登记人员",
            "No registered person of your region has this ID number",
            "id_number",
        )
    return person


def _create_employment(
    *,
    actor: User,
    person: Person,
    kind: str,
    valid_from: dt.date,
    valid_to: dt.date | None,
    employer_name: str,
    employer_credit_code: str,
) -> Employment:
    if overlapping(Employment.objects.filter(person=person, kind=kind), valid_from, valid_to):
        raise refuse(
            "employment_overlap",
            "该人员在此期间已有同一就业形式的登记",
            "The person already has employment of this kind for these dates",
            "valid_from",
        )
    row = Employment.objects.create(
        person=person,
        kind=kind,
        valid_from=valid_from,
        valid_to=valid_to,
        employer_name=employer_name,
        employer_credit_code=employer_credit_code,
        source=f"user:{actor.pk}",
    )
    mark_facts_changed([person.pk])
    audit.record(
        actor=actor,
        action="create",
        object_type="employment",
        object_id=row.pk,
        changes={
            "person": person.pk,
            "kind": kind,
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None,
        },
    )
    return row


def employment_record(
    *,
    actor: User,
    id_number: str,
    kind: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    employer_name: str = "",
    employer_credit_code: str = "",
) -> Employment:
    """Record that a person of the actor's region works (a ``kind`` of employment over
    ``[valid_from, valid_to]``). Employment of the same kind overlapping a recorded one is
    refused: history is corrected by ending a record, never overwritten."""
    require_permission(actor, "create", "employment_record")
    if kind not in EmploymentKind.values:
        raise refuse(
            "employment_kind", "就业形式无效", "The kind of employment is not valid", "kind"
        )
    _dates(valid_from, valid_to)
    name = clean_text(
        employer_name,
        field="employer_name",
        label=("就业单位", "employer"),
        limit=100,
        required=False,
    )
    code = (
        normalise_credit_code(employer_credit_code, field="employer_credit_code")
        if (employer_credit_code or "").strip()
        else ""
    )
    with transaction.atomic():
        person = _person_by_id_number(actor, id_number)
        return _create_employment(
            actor=actor,
            person=person,
            kind=kind,
            valid_from=valid_from,
            valid_to=valid_to,
            employer_name=name,
            employer_credit_code=code,
        )


def employment_end(*, actor: User | None, employment_id: int, valid_to: dt.date) -> Employment:
    """End an open employment record of a person of the actor's region on ``valid_to``
    (inclusive, not before it started)."""
    require_permission(actor, "change", "employment_record", employment_id)
    with transaction.atomic():
        persons = scope_queryset(actor, Person.objects.all())
        row = (
            Employment.objects.select_for_update()
            .filter(pk=employment_id, person__in=persons)
            .first()
        )
        if row is None:
            raise PermissionRefused("change", "employment_record", employment_id)
        if row.valid_to is not None or valid_to < row.valid_from:
            raise refuse(
                "employment_end",
                "该就业登记已结束，或结束日期早于起始日期",
                "This employment has ended already, or the end is before its start",
                "valid_to",
            )
        row.valid_to = valid_to
        row.save(update_fields=["valid_to"])
        mark_facts_changed([row.person_id])
        audit.record(
            actor=actor,
            action="change",
            object_type="employment",
            object_id=row.pk,
            changes={"valid_to": valid_to.isoformat()},
        )
    return row


def employments(user: Any, on: dt.date | None = None) -> QuerySet[Employment]:
    """Employment records of the persons in ``user``'s region (in force on ``on`` when
    given), newest first, with the person for the list."""
    rows = Employment.objects.filter(person__in=scope_queryset(user, Person.objects.all()))
    if on is not None:
        rows = rows.filter(EffectiveDated.as_of_q(on))
    return rows.select_related("person").order_by("-valid_from", "-pk")


# --- zero-employment households --------------------------------------------------------------


def working_age_q(on: dt.date, prefix: str = "") -> Q:
    """Persons of working age on ``on`` (and alive): a range on the birth date by sex, so an
    index can serve it. ``age_on(birth, on)`` is at least 16 and below the retirement age."""
    latest_birth = shift_years(on, -WORKING_AGE_FROM)
    by_sex = Q()
    for sex, retirement in RETIREMENT_AGE.items():
        earliest_excluded = shift_years(on, -retirement)
        by_sex |= Q(**{f"{prefix}sex": sex, f"{prefix}birth_date__gt": earliest_excluded})
    alive = Q(**{f"{prefix}death_date__isnull": True}) | Q(**{f"{prefix}death_date__gt": on})
    return Q(**{f"{prefix}birth_date__lte": latest_birth}) & by_sex & alive


def zero_employment_q(on: dt.date) -> Q:
    """Households with no member of working age employed on ``on``, one disabled (a valid
    certificate in force) and at least one member of working age: one query, three
    correlated EXISTS on the members' indexes."""
    members = Person.objects.filter(household=OuterRef("pk"))
    disabled = Certificate.objects.filter(
        EffectiveDated.as_of_q(on),
        person__household=OuterRef("pk"),
        status=CertificateStatus.VALID,
    )
    working_age = members.filter(working_age_q(on))
    employed = working_age.filter(
        Exists(Employment.objects.filter(EffectiveDated.as_of_q(on), person=OuterRef("pk")))
    )
    return Q(Exists(disabled)) & Q(Exists(working_age)) & ~Q(Exists(employed))


def zero_employment_households(user: Any, on: dt.date) -> QuerySet[Household]:
    """The follow-up list (零就业家庭) of ``user``'s region as of ``on``, with the number of
    working-age members; a household drops out when a member's employment is in force."""
    return (
        scope_queryset(user, Household.objects.all())
        .filter(zero_employment_q(on))
        .select_related("head")
        .annotate(working_age=Count("members", filter=working_age_q(on, "members__")))
        .order_by("village_code", "pk")
    )


# --- assisted employment and public-welfare posts --------------------------------------------


def _county_in_scope(actor: User | None, county_code: str) -> str:
    if not (
        len(county_code) == 6
        and county_code.isdigit()
        and Region.objects.filter(code=county_code, level=RegionLevel.COUNTY).exists()
        and region_in_scope(actor, county_code)
    ):
        raise refuse(
            "county_out_of_scope",
            "所选旗县区不存在或不在本人管辖范围内",
            "The county does not exist or is outside your region",
            "county_code",
        )
    return county_code


def institution_register(
    *,
    actor: User,
    name: str,
    county_code: str,
    opened_on: dt.date,
    operator: str = "",
    capacity: int = 0,
) -> AssistedInstitution:
    """An assisted-employment institution of a county in the actor's region."""
    require_permission(actor, "create", "employment_record")
    county = _county_in_scope(actor, county_code)
    if not isinstance(opened_on, dt.date):
        raise refuse("opened_on", "请填写设立日期", "Enter the opening date", "opened_on")
    if not 0 <= int(capacity) <= 10000:
        raise refuse(
            "capacity", "安置能力应为0至10000人", "The capacity is 0 to 10,000 persons", "capacity"
        )
    with transaction.atomic():
        institution = AssistedInstitution.objects.create(
            name=clean_text(name, field="name", label=("机构名称", "name"), limit=100),
            operator=clean_text(
                operator,
                field="operator",
                label=("举办单位", "operator"),
                limit=100,
                required=False,
            ),
            county_code=county,
            capacity=int(capacity),
            opened_on=opened_on,
            created_by=actor,
        )
        audit.record(
            actor=actor,
            action="create",
            object_type="assisted_institution",
            object_id=institution.pk,
            changes={"county_code": county, "opened_on": opened_on.isoformat()},
        )
    return institution


def institutions(user: Any) -> QuerySet[AssistedInstitution]:
    """Assisted-employment institutions of the counties in ``user``'s region."""
    region = getattr(user, "region", None)
    if region is None or not has_permission(user, "view", "employment_record"):
        return AssistedInstitution.objects.none()
    return AssistedInstitution.objects.filter(county_code__startswith=region.prefix)


def placement_add(
    *,
    actor: User,
    kind: str,
    id_number: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    institution_id: int | None = None,
    post: str = "",
    employer_name: str = "",
) -> Placement:
    """Place a person of the actor's region in assisted employment at an institution of the
    region, or on a public-welfare post (the post named). Creates the registry's employment
    fact of the same kind; the placement counts for the institution's county (a post: the
    person's county)."""
    require_permission(actor, "create", "employment_record")
    if kind not in PlacementKind.values:
        raise refuse("placement_kind", "安置类型无效", "The kind of placement is not valid", "kind")
    _dates(valid_from, valid_to)
    post_name = clean_text(
        post,
        field="post",
        label=("岗位", "post"),
        limit=100,
        required=kind == PlacementKind.PUBLIC_WELFARE,
    )
    unit = clean_text(
        employer_name,
        field="employer_name",
        label=("用工单位", "employer"),
        limit=100,
        required=False,
    )
    institution = None
    if kind == PlacementKind.ASSISTED:
        institution = institutions(actor).filter(pk=institution_id or 0).first()
        if institution is None:
            raise refuse(
                "institution_not_found",
                "请选择本辖区的辅助性就业机构",
                "Choose an assisted-employment institution of your region",
                "institution_id",
            )
        if valid_from < institution.opened_on or (
            institution.closed_on is not None and valid_from > institution.closed_on
        ):
            raise refuse(
                "institution_not_open",
                "安置日期该机构未开办",
                "The institution is not open on the placement date",
                "valid_from",
            )
        unit = institution.name
    with transaction.atomic():
        person = _person_by_id_number(actor, id_number)
        employment = _create_employment(
            actor=actor,
            person=person,
            kind=kind,  # the placement kinds are employment kinds of the same code
            valid_from=valid_from,
            valid_to=valid_to,
            employer_name=unit,
            employer_credit_code="",
        )
        placement = Placement.objects.create(
            kind=kind,
            person=person,
            employment=employment,
            institution=institution,
            post=post_name,
            county_code=institution.county_code if institution else person.county_code,
            created_by=actor,
        )
        audit.record(
            actor=actor,
            action="create",
            object_type="placement",
            object_id=placement.pk,
            changes={"kind": kind, "person": person.pk, "institution": institution_id},
        )
    return placement


@dataclass(frozen=True)
class CountyPlacements:
    """One county's assisted employment on a date against the plan's targets."""

    code: str
    name: str
    institutions: int
    placed: int
    public_welfare: int

    @property
    def institutions_met(self) -> bool:
        return self.institutions >= INSTITUTIONS_TARGET

    @property
    def placed_met(self) -> bool:
        return self.placed >= PLACED_TARGET


def placements_by_county(user: Any, on: dt.date) -> list[CountyPlacements]:
    """Per county of ``user``'s region on ``on``: assisted-employment institutions open,
    persons in assisted employment (placements whose employment is in force) and persons on
    public-welfare posts. Three grouped queries, whatever the number of counties."""
    region = getattr(user, "region", None)
    if region is None or not has_permission(user, "view", "employment_record"):
        return []
    prefix = region.prefix
    counties = regions_to_pick(user, [RegionLevel.COUNTY])
    open_on = Q(opened_on__lte=on) & (Q(closed_on__isnull=True) | Q(closed_on__gte=on))
    open_counts = dict(
        AssistedInstitution.objects.filter(open_on, county_code__startswith=prefix)
        .order_by()
        .values_list("county_code")
        .annotate(n=Count("id"))
    )
    placed: dict[tuple[str, str], int] = {}
    rows = (
        Placement.objects.filter(
            EffectiveDated.as_of_q(on, "employment__"), county_code__startswith=prefix
        )
        .order_by()
        .values_list("county_code", "kind")
        .annotate(n=Count("person_id", distinct=True))
    )
    for county_code, kind, n in rows:
        placed[(county_code, kind)] = n
    return [
        CountyPlacements(
            code=county.code,
            name=county.name,
            institutions=open_counts.get(county.code, 0),
            placed=placed.get((county.code, PlacementKind.ASSISTED), 0),
            public_welfare=placed.get((county.code, PlacementKind.PUBLIC_WELFARE), 0),
        )
        for county in counties
    ]


def placements(user: Any, on: dt.date) -> QuerySet[Placement]:
    """Placements in force on ``on`` whose person is in ``user``'s region."""
    persons = scope_queryset(user, Person.objects.all())
    return (
        Placement.objects.filter(EffectiveDated.as_of_q(on, "employment__"), person__in=persons)
        .select_related("person", "institution", "employment")
        .order_by("county_code", "-employment__valid_from", "pk")
    )
