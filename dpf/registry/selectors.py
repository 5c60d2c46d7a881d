"""Reads of the registry: person and household pages, facts as of a date, the regions a
form offers. The search is in ``search_selectors``, the timeline in ``timeline_selectors``,
transfer requests in ``transfer_selectors``.

Every query of personal data starts from ``dpf.accounts.scoping``; a record outside the
user's scope is ``NotFound``, never told apart from one that does not exist. List queries
read only the columns they show (``values()``), so encrypted fields are never decrypted for
a list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dpf.accounts.scoping import region_filter, regions_to_pick, scope_queryset
from dpf.core.crypto import mask_phone, mask_text
from dpf.core.dates import display_age
from dpf.core.dates import local_today as today
from dpf.core.errors import NotFound
from dpf.core.models import EffectiveDated, Region, RegionLevel
from dpf.core.regions import display_names
from dpf.registry.models import (
    Certificate,
    CertificateStatus,
    Household,
    HouseholdStatus,
    InsuranceEnrolment,
    NeedsSurvey,
    OutsidePayment,
    Person,
    Relation,
    Residence,
    SchoolEnrolment,
    Sex,
)
from dpf.registry.timeline_selectors import TimelineEvent, _facts_of, _timeline

# --- regions for forms and filters -----------------------------------------------------


def _scope_regions(user: Any) -> list[Region]:
    """The regions a user who may see personal records can filter them by."""
    if region_filter(user) is None:
        return []
    return list(regions_to_pick(user))


def region_filter_choices(user: Any) -> list[tuple[str, str]]:
    """Regions a user may filter a search by: their own and every one under it.

    Villages are offered only to township and village users (a city has thousands).
    """
    regions = _scope_regions(user)
    if not regions:
        return []
    own = user.region
    wanted = {RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP}
    if own.level in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
        wanted.add(RegionLevel.VILLAGE)
    names = {r.code: r.name for r in regions}
    return [(r.code, _region_path(r, names, own.code)) for r in regions if r.level in wanted]


def village_choices(user: Any) -> list[tuple[str, str]]:
    """Villages (嘎查村社区) in the user's scope, labelled with their township and county."""
    regions = _scope_regions(user)
    names = {r.code: r.name for r in regions}
    return [(r.code, _region_path(r, names, "")) for r in regions if r.level == RegionLevel.VILLAGE]


def _region_path(region: Region, names: dict[str, str], stop_at: str) -> str:
    """``红山区 / 测试街道一 / 测试社区一`` (ancestors below ``stop_at`` included)."""
    parts = [region.name]
    parent = region.parent_id
    while parent and parent != stop_at and parent in names and len(parent) >= 6:
        if len(parent) == 6 and parent.endswith("00"):
            break  # the city or province adds nothing to a Chifeng address
        parts.append(names[parent])
        parent = _parent_code(parent)
    return " / ".join(reversed(parts))


def _parent_code(code: str) -> str:
    if len(code) == 12:
        return code[:9]
    if len(code) == 9:
        return code[:6]
    return ""


# --- facts as of a date ----------------------------------------------------------------


def certificate_as_of(person: Person, date: dt.date) -> Certificate | None:
    """The certificate in force on ``date`` (the latest started one if records overlap)."""
    return (
        Certificate.objects.filter(person=person)
        .filter(EffectiveDated.as_of_q(date))
        .order_by("-valid_from", "-pk")
        .first()
    )


def household_status_as_of(household: Household, date: dt.date) -> HouseholdStatus | None:
    return (
        HouseholdStatus.objects.filter(household=household)
        .filter(EffectiveDated.as_of_q(date))
        .order_by("-valid_from", "-pk")
        .first()
    )


def insurance_as_of(person: Person, kind: str, date: dt.date) -> InsuranceEnrolment | None:
    return (
        InsuranceEnrolment.objects.filter(person=person, kind=kind)
        .filter(EffectiveDated.as_of_q(date))
        .order_by("-valid_from", "-pk")
        .first()
    )


def residence_as_of(person: Person, date: dt.date) -> Residence | None:
    """Where the person lived on ``date`` (village level)."""
    return (
        Residence.objects.filter(person=person)
        .filter(EffectiveDated.as_of_q(date))
        .order_by("-valid_from", "-pk")
        .first()
    )


def _in_force(rows: Sequence[Any], on: dt.date) -> Any:
    """The latest-started row of ``rows`` in force on ``on`` (rows already fetched)."""
    current = [r for r in rows if r.in_force_on(on)]
    return max(current, key=lambda r: (r.valid_from, r.pk)) if current else None


# --- person and household pages --------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    pk: int
    name: str
    relation: str
    sex: str
    age: int
    id_number_masked: str
    is_self: bool

    @property
    def relation_label(self) -> str:
        return str(Relation(self.relation).label) if self.relation in Relation.values else ""

    @property
    def sex_label(self) -> str:
        return str(Sex(self.sex).label) if self.sex in Sex.values else self.sex


@dataclass(frozen=True)
class PersonDetail:
    person: Person
    age: int
    phone_masked: str
    household: Household | None
    members: list[MemberRow]
    household_status: HouseholdStatus | None
    household_statuses: list[HouseholdStatus]
    certificates: list[Certificate]
    current_certificate: Certificate | None
    residences: list[Residence]
    insurances: list[InsuranceEnrolment]
    schools: list[SchoolEnrolment]
    outside_payments: list[OutsidePayment]
    latest_survey: NeedsSurvey | None
    names: dict[str, str]
    timeline: list[TimelineEvent]

    @property
    def county_name(self) -> str:
        return self.names.get(self.person.county_code, self.person.county_code)

    @property
    def township_name(self) -> str:
        return self.names.get(self.person.township_code, self.person.township_code)

    @property
    def village_name(self) -> str:
        return self.names.get(self.person.village_code, self.person.village_code)

    @property
    def certificate_rows(self) -> list[tuple[Certificate, str]]:
        """Certificates, oldest first, each with the name of the county that issued it."""
        return [(c, self.names.get(c.issuing_county, c.issuing_county)) for c in self.certificates]


def _member_rows(user: Any, household_id: int, self_pk: int | None, on: dt.date) -> list[Any]:
    members = scope_queryset(user, Person.objects.filter(household_id=household_id))
    relation_rank = {value: i for i, value in enumerate(Relation.values)}
    rows = [
        MemberRow(
            pk=m["pk"],
            name=m["name"],
            relation=m["relation_to_head"],
            sex=m["sex"],
            age=display_age(m["birth_date"], m["death_date"] or on),
            id_number_masked=m["id_number_masked"],
            is_self=m["pk"] == self_pk,
        )
        for m in members.values(
            "pk", "name", "relation_to_head", "sex", "birth_date", "death_date", "id_number_masked"
        )
    ]
    return sorted(rows, key=lambda r: (relation_rank.get(r.relation, 99), r.pk))


def person_detail(user: Any, person_id: int) -> PersonDetail:
    """Everything the person page shows; ``NotFound`` when absent or outside the scope."""
    person = (
        scope_queryset(user, Person.objects.select_related("household").defer("id_number"))
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        raise NotFound("person")
    on = today()
    facts = _facts_of(person)
    members = _member_rows(user, person.household_id, person.pk, on) if person.household_id else []
    codes = {person.county_code, person.township_code, person.village_code}
    codes |= {r.village_code for r in facts.residences}
    codes |= {c.issuing_county for c in facts.certificates}
    names = display_names(codes)
    return PersonDetail(
        person=person,
        age=display_age(person.birth_date, person.death_date or on),
        phone_masked=mask_phone(person.phone) if person.phone else "",
        household=person.household,
        members=members,
        household_status=_in_force(facts.statuses, on),
        household_statuses=facts.statuses,
        certificates=facts.certificates,
        current_certificate=_in_force(facts.certificates, on),
        residences=facts.residences,
        insurances=facts.insurances,
        schools=facts.schools,
        outside_payments=facts.payments,
        # the survey in force today: the latest dated on or before it, as the rules read it
        latest_survey=max(
            (s for s in facts.surveys if s.survey_date <= on),
            key=lambda s: (s.survey_date, s.pk),
            default=None,
        ),
        names=names,
        timeline=_timeline(person, facts, names, on),
    )


def person_for_change(user: Any, person_id: int) -> Person:
    """A person the user may work on (to add a certificate …); ``NotFound`` otherwise."""
    person = scope_queryset(user, Person.objects.all()).filter(pk=person_id).first()
    if person is None:
        raise NotFound("person")
    return person


def certificate_for_change(user: Any, certificate_id: int) -> Certificate:
    """A certificate of a person in the user's scope, with the person (renewal,
    re-assessment, cancellation); ``NotFound`` otherwise."""
    persons = scope_queryset(user, Person.objects.all()).values("pk")
    certificate = (
        Certificate.objects.defer("number")
        .select_related("person")
        .filter(pk=certificate_id, person_id__in=persons)
        .first()
    )
    if certificate is None:
        raise NotFound("certificate")
    return certificate


def certificate_held(person: Person, on: dt.date) -> Certificate | None:
    """The certificate ``person`` (from a scoped selector) holds on ``on``, else the
    latest one still valid: what a renewal or re-assessment would act on."""
    rows = person.certificates.defer("number").filter(status=CertificateStatus.VALID)
    return _in_force(list(rows), on) or rows.order_by("-valid_from", "-pk").first()


def household_for_change(user: Any, household_id: int) -> Household:
    """A household in the user's scope (to change its status); ``NotFound`` otherwise."""
    household = scope_queryset(user, Household.objects.all()).filter(pk=household_id).first()
    if household is None:
        raise NotFound("household")
    return household


@dataclass(frozen=True)
class HouseholdDetail:
    household: Household
    address_masked: str
    members: list[MemberRow]
    status: HouseholdStatus | None
    statuses: list[HouseholdStatus]
    names: dict[str, str]

    @property
    def place(self) -> str:
        h = self.household
        return " / ".join(
            self.names.get(c, c) for c in (h.county_code, h.township_code, h.village_code)
        )


def household_detail(user: Any, household_id: int) -> HouseholdDetail:
    """A household with its members in scope; ``NotFound`` when absent or outside it."""
    household = scope_queryset(user, Household.objects.all()).filter(pk=household_id).first()
    if household is None:
        raise NotFound("household")
    on = today()
    statuses = list(
        HouseholdStatus.objects.filter(household=household).order_by("valid_from", "pk")
    )
    return HouseholdDetail(
        household=household,
        address_masked=mask_text(household.address) if household.address else "",
        members=_member_rows(user, household.pk, None, on),
        status=_in_force(statuses, on),
        statuses=statuses,
        names=display_names(
            (household.county_code, household.township_code, household.village_code)
        ),
    )
