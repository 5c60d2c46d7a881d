"""Reads of the registry: search, person and household pages, facts as of a date, timeline.

Every query of personal data starts from ``dpf.accounts.scoping``; a record outside the
user's scope is ``NotFound``, never told apart from one that does not exist. List queries
read only the columns they show (``values()``), so encrypted fields are never decrypted for
a list.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from dpf.accounts.scoping import region_filter, region_in_scope, regions_to_pick, scope_queryset
from dpf.core.certnumber import Category, Level, parse_certificate_number
from dpf.core.crypto import mask_phone, mask_text
from dpf.core.dates import age_on
from dpf.core.dates import local_today as today
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.idnumber import parse_id_number
from dpf.core.models import EffectiveDated, Region, RegionLevel, region_prefix, starts_with_q
from dpf.core.regions import display_names
from dpf.core.text import fold_fullwidth_digits
from dpf.registry.change_models import ChangeKind, RecordChange
from dpf.registry.models import (
    Certificate,
    CertificateStatus,
    Employment,
    EmploymentKind,
    Household,
    HouseholdStatus,
    HouseholdStatusCode,
    InsuranceEnrolment,
    InsuranceKind,
    NeedsSurvey,
    OutsidePayment,
    OutsidePaymentKind,
    Person,
    Relation,
    Residence,
    SchoolEnrolment,
    Sex,
    SurveyMethod,
    TransferRequest,
    TransferStatus,
)
from dpf.registry.services import certificate_lookup_hash, id_lookup_hash
from dpf.registry.timeline_sources import ServiceEvent, anchored, service_events

# A search counts its matches only up to this many (a bounded COUNT over a LIMIT), so a
# broad query over the whole city never counts hundreds of thousands of rows.
COUNT_CAP = 1000
MAX_PER_PAGE = 100
# Stable across pages. ``Lower`` (a no-op: pinyin is stored lowercase) keeps SQLite from
# walking the whole name_pinyin index in order and testing every row against the filter;
# it filters first, then sorts the matches (PostgreSQL plans this way by itself).
ORDER = (Lower("name_pinyin"), "name", "pk")

_ID_RE = re.compile(r"^(\d{17}[\dX]|\d{15})$")
_CERT_RE = re.compile(r"^\d{17}[\dX]\d{2}$")
_NUMBERISH_RE = re.compile(r"^[\dX]+$")
_PINYIN_RE = re.compile(r"^[a-z' ]+$")


def display_age(birth_date: dt.date, on: dt.date) -> int:
    """The age a page shows: completed years, never below zero."""
    return max(age_on(birth_date, on), 0)


# --- search ----------------------------------------------------------------------------


def classify_query(query: str) -> tuple[str, str]:
    """What the search box holds: ``(kind, normalised text)``.

    Kinds: ``id`` (18- or 15-digit ID number), ``certificate`` (20 characters), ``pinyin``
    (letters only: initials ``zhm`` or full pinyin ``zhanghaiming``), ``name`` (anything
    else), ``empty``. Only an ID or certificate number is ever read as a number: a partial
    number is refused rather than matched (numbers are stored encrypted, only whole ones
    can be looked up).
    """
    # Full-width digits and X are what a Chinese input method types: the same number.
    text = fold_fullwidth_digits(re.sub(r"\s+", "", query or ""))
    if not text:
        return "empty", ""
    upper = text.upper()
    if _ID_RE.match(upper):
        return "id", upper
    if _CERT_RE.match(upper):
        return "certificate", upper
    if _NUMBERISH_RE.match(upper) and any(c.isdigit() for c in upper):
        return "partial_number", upper
    lower = (query or "").strip().lower()
    if _PINYIN_RE.match(lower):
        return "pinyin", re.sub(r"[' ]", "", lower)
    return "name", text


def looks_like_number(query: str) -> bool:
    """Would this query be read as an ID or certificate number (never put in a URL)?"""
    return classify_query(query)[0] in ("id", "certificate", "partial_number")


def _refuse_query(exc: ValidationFailed) -> ValidationFailed:
    return ValidationFailed(exc.code, exc.message_zh, exc.message_en, field="query")


def _region_q(user: Any, region_code: str) -> Q:
    """The filter for one region the user chose; refused when outside the user's scope."""
    code = (region_code or "").strip()
    valid_length = len(code) in (6, 9, 12) and code.isdigit()
    if not valid_length or not region_in_scope(user, code):
        # Same words as an unknown region: the user learns nothing outside the scope.
        raise ValidationFailed(
            "region_unknown", "所选地区不存在", "the region does not exist", field="region"
        )
    if len(code) == 12:
        return Q(village_code=code)
    if len(code) == 9:
        return Q(township_code=code)
    prefix = region_prefix(code)
    if prefix == code:
        return Q(county_code=code)
    return Q(county_code__startswith=prefix)


@dataclass(frozen=True)
class PersonRow:
    """One line of a list of persons (no encrypted field is read for it)."""

    pk: int
    name: str
    sex: str
    age: int
    id_number_masked: str
    county_name: str
    village_name: str
    category: int | None
    level: int | None
    deceased: bool

    @property
    def sex_label(self) -> str:
        return str(Sex(self.sex).label) if self.sex in Sex.values else self.sex

    @property
    def certificate_label(self) -> str:
        if self.category is None or self.level is None:
            return ""
        return f"{Category(self.category).label} {Level(self.level).label}"


@dataclass(frozen=True)
class SearchPage:
    kind: str
    rows: list[PersonRow]
    page: int
    per_page: int
    count: int  # matches, up to COUNT_CAP
    count_capped: bool  # more than COUNT_CAP matches

    @property
    def searched(self) -> bool:
        return self.kind != "none"

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def previous_page(self) -> int:
        return self.page - 1

    @property
    def next_page(self) -> int:
        return self.page + 1

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.per_page + len(self.rows)

    @property
    def page_numbers(self) -> list[int]:
        """A window of page numbers around the current one."""
        low = max(1, self.page - 2)
        high = min(self.num_pages, self.page + 2)
        return list(range(low, high + 1))


def _current_certificates(on: dt.date) -> QuerySet[Certificate]:
    return (
        Certificate.objects.filter(person=OuterRef("pk"))
        .filter(EffectiveDated.as_of_q(on))
        .order_by("-valid_from", "-pk")
    )


def _region_name(column: str) -> Subquery:
    return Subquery(Region.objects.filter(code=OuterRef(column)).values("name")[:1])


def person_rows(queryset: QuerySet[Person], on: dt.date) -> QuerySet[Any]:
    """The columns of a person list, with the certificate in force on ``on`` and the
    county and village names as correlated subqueries (one query for the whole page)."""
    current = _current_certificates(on)
    return queryset.annotate(
        cert_category=Subquery(current.values("category")[:1]),
        cert_level=Subquery(current.values("level")[:1]),
        county_name=_region_name("county_code"),
        village_name=_region_name("village_code"),
    ).values(
        "pk",
        "name",
        "sex",
        "birth_date",
        "id_number_masked",
        "county_name",
        "village_name",
        "cert_category",
        "cert_level",
        "death_date",
    )


def _row(values: dict[str, Any], on: dt.date) -> PersonRow:
    return PersonRow(
        pk=values["pk"],
        name=values["name"],
        sex=values["sex"],
        age=display_age(values["birth_date"], values["death_date"] or on),
        id_number_masked=values["id_number_masked"],
        county_name=values["county_name"] or "",
        village_name=values["village_name"] or "",
        category=values["cert_category"],
        level=values["cert_level"],
        deceased=values["death_date"] is not None,
    )


def search_persons(  # noqa: C901
    user: Any,
    *,
    query: str,
    region_code: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> SearchPage:
    """Find persons in the user's scope by ID number, certificate number, pinyin or name.

    An empty query with a region lists that region; an empty query without one searches
    nothing. Results are ordered by pinyin, name and id (stable across pages). Raises
    ``ValidationFailed`` (field ``query`` or ``region``) for a malformed number or a
    region outside the scope.
    """
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    # Pages past the counted matches are never linked; a hand-typed page number past
    # them (or too large for the database's OFFSET) is brought back within reach and
    # then to the last page below.
    page = min(max(page, 1), math.ceil(COUNT_CAP / per_page))
    kind, text = classify_query(query)
    if kind == "empty" and not region_code:
        return SearchPage("none", [], 1, per_page, 0, False)
    queryset = scope_queryset(user, Person.objects.all())
    if region_code:
        queryset = queryset.filter(_region_q(user, region_code))
    if kind == "id":
        try:
            parsed = parse_id_number(text)
        except ValidationFailed as exc:
            raise _refuse_query(exc) from None
        queryset = queryset.filter(id_number_hash=id_lookup_hash(parsed.normalized))
    elif kind == "certificate":
        try:
            number = parse_certificate_number(text).normalized
        except ValidationFailed as exc:
            raise _refuse_query(exc) from None
        holders = Certificate.objects.filter(number_hash=certificate_lookup_hash(number))
        queryset = queryset.filter(pk__in=holders.values("person_id"))
    elif kind == "partial_number":
        raise ValidationFailed(
            "query_partial_number",
            "请输入完整的18位身份证号码或20位残疾人证号",
            "enter a whole 18-digit ID number or 20-character certificate number",
            field="query",
        )
    elif kind == "pinyin":
        queryset = queryset.filter(
            starts_with_q("name_initials", text) | starts_with_q("name_pinyin", text)
        )
    elif kind == "name":
        queryset = queryset.filter(name__contains=text)
    else:
        kind = "browse"
    on = today()
    ordered = queryset.order_by(*ORDER)
    rows = _fetch_page(ordered, page, per_page, on)
    if page == 1 and len(rows) <= per_page:
        count, capped = len(rows), False
    else:
        count, capped = _capped_count(queryset)
        last = max(1, math.ceil(count / per_page))
        if not rows and page > last:
            page = last
            rows = _fetch_page(ordered, page, per_page, on)
    return SearchPage(kind, rows[:per_page], page, per_page, count, capped)


def _fetch_page(queryset: QuerySet[Person], page: int, per_page: int, on: dt.date) -> list[Any]:
    start = (page - 1) * per_page
    # The page's ids first (one extra tells whether a count is needed at all), then the
    # columns shown, so the certificate and region subqueries run for these rows only.
    page_ids = queryset.values("pk")[start : start + per_page + 1]
    rows = person_rows(Person.objects.filter(pk__in=page_ids), on)
    return [_row(v, on) for v in rows.order_by(*ORDER)]


def _capped_count(queryset: QuerySet[Person]) -> tuple[int, bool]:
    """COUNT over at most ``COUNT_CAP + 1`` rows: ``(count, more than the cap)``."""
    counted = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
    return min(counted, COUNT_CAP), counted > COUNT_CAP


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


def region_names(codes: Iterable[str]) -> dict[str, str]:
    """Names of regions by code, in the request's language (one query)."""
    return display_names(codes)


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


# --- timeline --------------------------------------------------------------------------

KIND_ORDER = {
    "residence": 0,
    "household_status": 1,
    "certificate": 2,
    "insurance": 3,
    "school": 4,
    "outside_payment": 5,
    "survey": 6,
    "employment": 7,
    "service": 8,  # services received, from the apps above (timeline_sources)
    "death": 9,
    "record": 10,
}


@dataclass(frozen=True)
class TimelineEvent:
    """One change of a fact about a person, with who or what said so."""

    date: dt.date
    kind: str
    label: str
    detail: str
    source: str
    order: int = 0


def source_label(source: str, users: dict[str, str] | None = None) -> str:
    """Who or what said so, in words: a staff member by name (``users``: names by id, as
    ``user_names`` reads them), a roster by its batch; never an account number alone."""
    if not source or source == "manual":
        return _("手工录入")
    if source.startswith("user:"):
        return (users or {}).get(source[5:]) or _("工作人员")
    if source.startswith("roster:"):
        batch = source[7:]
        if batch.isdigit():
            return _("部门名单导入（批次 %(id)s）") % {"id": batch}
        return _("部门名单导入")
    if source == "survey":
        return _("需求调查")
    if source in ("staff", "form"):
        return _("工作人员录入")
    if source == "demo":
        return _("演示数据")
    return source


def user_names(sources: Iterable[str]) -> dict[str, str]:
    """The display names of the accounts named by ``user:<id>`` sources, in one query."""
    from dpf.accounts.models import User

    ids = {s[5:] for s in sources if s.startswith("user:") and s[5:].isdigit()}
    if not ids:
        return {}
    rows = User.objects.filter(pk__in=ids).values_list("pk", "first_name", "last_name", "username")
    return {str(pk): f"{first} {last}".strip() or username for pk, first, last, username in rows}


def _starts_next_day(rows: Sequence[Any], row: Any, same: Any = None) -> bool:
    """Does another row (of the same kind, when ``same`` says so) start the day after
    ``row`` ends? Then the end is a change, not a stop, and is not shown twice."""
    if row.valid_to is None:
        return False
    nxt = row.valid_to + dt.timedelta(days=1)
    return any(
        other.valid_from == nxt and (same is None or same(other) == same(row)) for other in rows
    )


@dataclass
class _Facts:
    residences: list[Residence] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    statuses: list[HouseholdStatus] = field(default_factory=list)
    insurances: list[InsuranceEnrolment] = field(default_factory=list)
    schools: list[SchoolEnrolment] = field(default_factory=list)
    payments: list[OutsidePayment] = field(default_factory=list)
    surveys: list[NeedsSurvey] = field(default_factory=list)
    changes: list[RecordChange] = field(default_factory=list)
    employments: list[Employment] = field(default_factory=list)
    services: list[ServiceEvent] = field(default_factory=list)


def _timeline(person: Person, facts: _Facts, names: dict[str, str], on: dt.date) -> list[Any]:  # noqa: C901
    events: list[TimelineEvent] = []
    day = dt.timedelta(days=1)

    def add(date: dt.date, kind: str, label: str, detail: str, source: str, pk: int) -> None:
        events.append(TimelineEvent(date, kind, label, detail, source, pk))

    def span(
        rows: Sequence[Any],
        row: Any,
        kind: str,
        labels: tuple[str, str],
        detail: str,
        same: Any = None,
    ) -> None:
        """A fact's start and, unless the next fact of its kind follows at once, its end."""
        add(row.valid_from, kind, labels[0], detail, row.source, row.pk)
        if row.valid_to and not _starts_next_day(rows, row, same):
            add(row.valid_to + day, kind, labels[1], detail, row.source, row.pk)

    for i, res in enumerate(facts.residences):
        place = names.get(res.village_code, res.village_code)
        first = _("登记居住地") if i == 0 else _("迁入")
        span(facts.residences, res, "residence", (first, _("迁出")), place)
    for cert in facts.certificates:
        what = f"{cert.get_category_display()} {cert.get_level_display()}"
        start = _("重新评定，换发残疾人证") if cert.replaces_id else _("发放残疾人证")
        add(cert.valid_from, "certificate", start, what, cert.source, cert.pk)
        if cert.valid_to is None or _starts_next_day(facts.certificates, cert):
            continue
        end = cert.valid_to + day
        if cert.status == CertificateStatus.CANCELLED:
            detail = f"{what} {cert.end_reason}".strip()
            add(end, "certificate", _("注销残疾人证"), detail, cert.source, cert.pk)
        elif cert.status == CertificateStatus.REPLACED:
            add(end, "certificate", _("残疾人证已换发"), what, cert.source, cert.pk)
        elif end <= on:
            add(end, "certificate", _("残疾人证到期"), what, cert.source, cert.pk)
    for st in facts.statuses:
        label = _label(HouseholdStatusCode, st.status)
        span(
            facts.statuses,
            st,
            "household_status",
            (_("家庭经济状况"), _("家庭经济状况结束")),
            label,
        )
    for ins in facts.insurances:
        label = _label(InsuranceKind, ins.kind)
        if ins.government_paid:
            label = _("%(kind)s（政府代缴）") % {"kind": label}
        span(
            facts.insurances, ins, "insurance", (_("参保"), _("停保")), label, same=lambda r: r.kind
        )
    for sch in facts.schools:
        label = f"{sch.school} {sch.grade}".strip() + f"（{sch.get_mode_display()}）"
        span(facts.schools, sch, "school", (_("入学"), _("离校")), label)
    for pay in facts.payments:
        span(
            facts.payments,
            pay,
            "outside_payment",
            (_("开始领取"), _("停止领取")),
            _label(OutsidePaymentKind, pay.kind),
            same=lambda r: r.kind,
        )
    for sv in facts.surveys:
        detail = _("%(year)s年度，%(method)s") % {
            "year": sv.year,
            "method": _label(SurveyMethod, sv.method),
        }
        add(sv.survey_date, "survey", _("需求调查"), detail, sv.surveyor_name or "survey", sv.pk)
    for job in facts.employments:
        what = _label(EmploymentKind, job.kind)
        detail = f"{what} {job.employer_name}".strip()
        span(
            facts.employments,
            job,
            "employment",
            (_("开始就业"), _("就业结束")),
            detail,
            same=lambda r: r.kind,
        )
    for sev in facts.services:
        add(sev.date, "service", sev.label, sev.detail, sev.source, sev.order)
    recorded_death = False
    for ch in facts.changes:
        detail = ch.summary
        why = _("原因：%(reason)s") % {"reason": ch.reason}
        detail = f"{detail}；{why}" if detail else why
        if ch.kind == ChangeKind.DEATH:
            recorded_death = True
            add(ch.effective_on, "death", _("死亡"), detail, f"user:{ch.actor_id or ''}", ch.pk)
            continue
        label = _label(ChangeKind, ch.kind)
        add(ch.effective_on, "record", label, detail, f"user:{ch.actor_id or ''}", ch.pk)
    if person.death_date and not recorded_death:
        add(person.death_date, "death", _("死亡"), "", "manual", 0)
    users = user_names(e.source for e in events)
    named = [replace(e, source=source_label(e.source, users)) for e in events]
    return sorted(named, key=lambda e: (e.date, KIND_ORDER[e.kind], e.order))


def _label(choices: Any, value: str) -> str:
    """The display label of ``value`` in a ``TextChoices`` class (the value if unknown)."""
    return str(choices(value).label) if value in choices.values else value


def _facts_of(person: Person) -> _Facts:
    return _Facts(
        residences=list(person.residences.order_by("valid_from", "pk")),
        certificates=list(person.certificates.defer("number").order_by("valid_from", "pk")),
        statuses=(
            list(
                HouseholdStatus.objects.filter(household_id=person.household_id).order_by(
                    "valid_from", "pk"
                )
            )
            if person.household_id
            else []
        ),
        insurances=list(person.insurances.order_by("valid_from", "pk")),
        schools=list(person.schools.order_by("valid_from", "pk")),
        payments=list(person.outside_payments.order_by("valid_from", "pk")),
        surveys=list(person.surveys.order_by("year", "pk")),
        changes=list(person.record_changes.order_by("effective_on", "pk")),
        employments=list(
            Employment.objects.filter(person=person, **anchored(person)).order_by(
                "valid_from", "pk"
            )
        ),
        services=service_events(person),
    )


def person_timeline(person: Person) -> list[TimelineEvent]:
    """Every change of a fact about ``person``, oldest first, each with its source.

    ``person`` must come from a scoped selector (``person_detail``, ``person_for_change``).
    """
    facts = _facts_of(person)
    names = region_names(r.village_code for r in facts.residences)
    return _timeline(person, facts, names, today())


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
    names = region_names(codes)
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
        names=region_names(
            (household.county_code, household.township_code, household.village_code)
        ),
    )


# --- transfer requests (迁移申请) ---------------------------------------------------------

TRANSFERS_SHOWN = 200


@dataclass(frozen=True)
class TransferRow:
    """A pending transfer request as the holding region's officer sees it."""

    pk: int
    person_id: int
    person_name: str
    id_number_masked: str
    name_given: str
    holding_village: str
    requested_village: str
    requested_by: str
    created_at: dt.datetime

    @property
    def name_matches(self) -> bool:
        return self.name_given.replace(" ", "") == self.person_name.replace(" ", "")


def _transfers_in_scope(user: Any) -> QuerySet[TransferRequest]:
    condition = region_filter(user, "person__")
    if condition is None:
        return TransferRequest.objects.none()
    return TransferRequest.objects.filter(condition)


def pending_transfer_requests(user: Any) -> list[TransferRow]:
    """The oldest pending transfer requests of persons in the user's scope (two queries:
    the requests with their persons and requesters, then the villages' names)."""
    rows = list(
        _transfers_in_scope(user)
        .filter(status=TransferStatus.PENDING)
        .order_by("created_at", "pk")
        .values(
            "pk",
            "person_id",
            "person__name",
            "person__id_number_masked",
            "person__village_code",
            "name_given",
            "requested_village_code",
            "requested_by__username",
            "created_at",
        )[:TRANSFERS_SHOWN]
    )
    names = region_names(
        [r["person__village_code"] for r in rows] + [r["requested_village_code"] for r in rows]
    )
    return [
        TransferRow(
            pk=r["pk"],
            person_id=r["person_id"],
            person_name=r["person__name"],
            id_number_masked=r["person__id_number_masked"],
            name_given=r["name_given"],
            holding_village=names.get(r["person__village_code"], r["person__village_code"]),
            requested_village=names.get(r["requested_village_code"], r["requested_village_code"]),
            requested_by=r["requested_by__username"] or "",
            created_at=r["created_at"],
        )
        for r in rows
    ]


def transfer_request_for_decision(user: Any, transfer_id: int) -> TransferRequest:
    """A transfer request of a person in the user's scope; ``NotFound`` otherwise."""
    transfer = _transfers_in_scope(user).filter(pk=transfer_id).first()
    if transfer is None:
        raise NotFound("transfer request")
    return transfer
