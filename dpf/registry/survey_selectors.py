"""Reads of the yearly needs survey: a round's list of persons, its progress by region, one
person's survey form. Every read goes through ``dpf.accounts.scoping``.

The list of a round: persons of the region holding a certificate in force on the round's
reference date and alive on it, plus anyone surveyed, drafted or recorded "no contact" in
the year (a person certified later in the year joins the list when surveyed). Progress is
one grouped query over that list (conditional counts of correlated EXISTS), whatever the
number of regions or persons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from dpf.accounts.scoping import region_in_scope, scope_queryset
from dpf.core.dates import age_on
from dpf.core.dates import local_today as today
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.models import EffectiveDated, Region, RegionLevel
from dpf.registry.models import (
    Certificate,
    Employment,
    NeedsSurvey,
    Person,
    SurveyDraft,
    SurveyNoContact,
    SurveyRound,
)
from dpf.registry.search_selectors import _region_q

# the person column that groups the children of a region of this level
CHILD_COLUMN = {
    RegionLevel.PROVINCE: "county_code",
    RegionLevel.CITY: "county_code",
    RegionLevel.COUNTY: "township_code",
    RegionLevel.TOWNSHIP: "village_code",
}


def rounds() -> list[SurveyRound]:
    return list(SurveyRound.objects.order_by("-year"))


def round_for(year: int) -> SurveyRound | None:
    return SurveyRound.objects.filter(year=year).first()


def current_round(on: dt.date | None = None) -> SurveyRound | None:
    """The round of ``on``'s year, else the latest one opened."""
    on = on or today()
    return round_for(on.year) or SurveyRound.objects.order_by("-year").first()


def _year_rows(model: Any, year: int) -> QuerySet[Any]:
    return model.objects.filter(person=OuterRef("pk"), year=year)


def listed_q(survey_round: SurveyRound) -> Q:
    """The persons a round surveys (see the module's docstring)."""
    ref, year = survey_round.reference_date, survey_round.year
    certified = Certificate.objects.filter(EffectiveDated.as_of_q(ref), person=OuterRef("pk"))
    alive = Q(death_date__isnull=True) | Q(death_date__gte=ref)
    return (
        (alive & Q(Exists(certified)))
        | Q(Exists(_year_rows(NeedsSurvey, year)))
        | Q(Exists(_year_rows(SurveyNoContact, year)))
        | Q(Exists(_year_rows(SurveyDraft, year)))
    )


@dataclass(frozen=True)
class ProgressRow:
    code: str
    name: str
    listed: int
    surveyed: int
    no_contact: int
    drafts: int

    @property
    def done(self) -> int:
        return self.surveyed + self.no_contact

    @property
    def left(self) -> int:
        return self.listed - self.done

    @property
    def done_share(self) -> str:
        return f"{self.done * 100 / self.listed:.1f}%" if self.listed else "—"


@dataclass(frozen=True)
class PersonStatus:
    pk: int
    name: str
    id_number_masked: str
    age: int
    status: str  # "surveyed", "no_contact", "draft", "left"


@dataclass(frozen=True)
class SurveyProgress:
    survey_round: SurveyRound
    region: Region
    rows: list[ProgressRow]  # one per child region (empty for a village)
    total: ProgressRow
    persons: list[PersonStatus]  # the village's list (empty above a village)
    breadcrumb: list[Region]


def _scoped_region(user: Any, region_code: str | None) -> Region:
    own = getattr(user, "region", None)
    code = (region_code or "").strip() or (own.code if own is not None else "")
    if not code or not region_in_scope(user, code):
        raise NotFound("region")
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound("region")
    return region


def _counts() -> dict[str, Any]:
    return {
        "listed": Count("pk"),
        "surveyed": Count("pk", filter=Q(has_survey=True)),
        "no_contact": Count("pk", filter=Q(has_no_contact=True) & Q(has_survey=False)),
        "drafts": Count(
            "pk", filter=Q(has_draft=True) & Q(has_survey=False) & Q(has_no_contact=False)
        ),
    }


def _annotated(user: Any, survey_round: SurveyRound, region: Region) -> QuerySet[Person]:
    year = survey_round.year
    try:
        within = _region_q(user, region.code)
    except ValidationFailed:
        raise NotFound("region") from None
    return (
        scope_queryset(user, Person.objects.all())
        .filter(within)
        .filter(listed_q(survey_round))
        .annotate(
            has_survey=Exists(_year_rows(NeedsSurvey, year)),
            has_no_contact=Exists(_year_rows(SurveyNoContact, year)),
            has_draft=Exists(_year_rows(SurveyDraft, year)),
        )
    )


def _breadcrumb(user: Any, region: Region) -> list[Region]:
    own = getattr(user, "region", None)
    codes = []
    code = region.code
    while code:
        codes.append(code)
        if own is not None and code == own.code:
            break
        code = code[:9] if len(code) == 12 else code[:6] if len(code) == 9 else ""
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[c] for c in reversed(codes) if c in found]


def survey_progress(user: Any, year: int, region_code: str | None = None) -> SurveyProgress:
    """Progress of the round of ``year`` in a region of the user's scope: counts per child
    region (one grouped query), or the village's persons with their status."""
    survey_round = round_for(year)
    if survey_round is None:
        raise NotFound("survey round")
    region = _scoped_region(user, region_code)
    persons_q = _annotated(user, survey_round, region)
    rows: list[ProgressRow] = []
    persons: list[PersonStatus] = []
    column = CHILD_COLUMN.get(RegionLevel(region.level))
    if column is not None:
        grouped = {g[column]: g for g in persons_q.order_by().values(column).annotate(**_counts())}
        children = Region.objects.filter(parent_id=region.code).order_by("code")
        names = {c.code: c.name for c in children}
        for code in sorted(set(names) | set(grouped)):
            g = grouped.get(code, {})
            rows.append(
                ProgressRow(
                    code=code,
                    name=names.get(code, code),
                    listed=g.get("listed", 0),
                    surveyed=g.get("surveyed", 0),
                    no_contact=g.get("no_contact", 0),
                    drafts=g.get("drafts", 0),
                )
            )
        total = persons_q.order_by().aggregate(**_counts())
    else:
        on = today()
        for p in persons_q.order_by("name_pinyin", "pk").values(  # type: ignore[misc]
            "pk",
            "name",
            "id_number_masked",
            "birth_date",
            "death_date",
            "has_survey",
            "has_no_contact",
            "has_draft",
        ):
            status = (
                "surveyed"
                if p["has_survey"]
                else "no_contact"
                if p["has_no_contact"]
                else "draft"
                if p["has_draft"]
                else "left"
            )
            persons.append(
                PersonStatus(
                    pk=p["pk"],
                    name=p["name"],
                    id_number_masked=p["id_number_masked"],
                    age=age_on(p["birth_date"], p["death_date"] or on),
                    status=status,
                )
            )
        total = {
            "listed": len(persons),
            "surveyed": sum(p.status == "surveyed" for p in persons),
            "no_contact": sum(p.status == "no_contact" for p in persons),
            "drafts": sum(p.status == "draft" for p in persons),
        }
    return SurveyProgress(
        survey_round=survey_round,
        region=region,
        rows=rows,
        total=ProgressRow(code=region.code, name=region.name, **total),
        persons=persons,
        breadcrumb=_breadcrumb(user, region),
    )


@dataclass(frozen=True)
class SurveyForm:
    """What the survey form of one person and year shows."""

    person: Person
    survey_round: SurveyRound
    submitted: NeedsSurvey | None
    draft: SurveyDraft | None
    no_contact: SurveyNoContact | None
    village_name: str
    # The registry's employment facts in force on the day the form is opened: the form
    # starts as "employed" when there is one (issue 19 part 5).
    employments: list[Employment]


def survey_form(user: Any, person_id: int, year: int, on: dt.date | None = None) -> SurveyForm:
    """The person's survey of ``year``; ``NotFound`` when the person is outside the scope
    or the year has no round. ``on``: the day whose employment facts the form shows."""
    person = (
        scope_queryset(user, Person.objects.defer("id_number", "phone"))
        .filter(pk=person_id)
        .first()
    )
    survey_round = round_for(year)
    if person is None or survey_round is None:
        raise NotFound("survey")
    return SurveyForm(
        person=person,
        survey_round=survey_round,
        submitted=NeedsSurvey.objects.filter(person=person, year=year).first(),
        draft=SurveyDraft.objects.filter(person=person, year=year).first(),
        no_contact=SurveyNoContact.objects.filter(person=person, year=year).first(),
        village_name=Region.objects.filter(code=person.village_code)
        .values_list("name", flat=True)
        .first()
        or person.village_code,
        employments=employment_in_force(person, on) if on is not None else [],
    )


def survey_in_force(person: Person, on: dt.date) -> NeedsSurvey | None:
    """The survey in force on ``on``: the latest submitted survey dated on or before it
    (ties: the later recorded), as the rule engine reads it (``dpf.rules``). ``person`` must
    come from a scoped selector."""
    return (
        NeedsSurvey.objects.filter(person=person, survey_date__lte=on)
        .order_by("-survey_date", "-pk")
        .first()
    )


def employment_in_force(person: Person, on: dt.date) -> list[Employment]:
    """The person's employment facts in force on ``on``, oldest first (``person`` must come
    from a scoped selector)."""
    return list(
        Employment.objects.filter(EffectiveDated.as_of_q(on), person=person).order_by(
            "valid_from", "pk"
        )
    )
