"""Drawing the synthetic population in plain Python: one chunk of disabled people at a time.

Nothing here touches the database. ``draw_chunk`` turns (seed, index range, county) into
plain records (people, certificates, household statuses, insurance, school, guardians,
needs surveys) that ``writer`` inserts. The same seed and index range always give the same
draw.

The headline shares (age band, sex, disability category, severity, household status) are
drawn with stratified low-discrepancy sequences (Weyl sequences ``i·√p mod 1``) instead of
independent random numbers, so even a few hundred people show the target shares and
200,000 people match the plan's figures (about 69,000 severe, 87,000 on 低保) closely.
Everything else is drawn from a ``random.Random`` seeded by (seed, first index).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from dpf.core.dates import age_on
from dpf.core.idnumber import make_id_number
from dpf.demo import names
from dpf.demo.places import OTHER_INNER_MONGOLIA_CODES, OTHER_PROVINCE_CODES, Village

# The synthetic history ends at the final evaluation date of the 14th plan.
REFERENCE_DATE = dt.date(2025, 12, 31)
FIRST_ISSUE_FROM = dt.date(2012, 1, 1)
STATUS_HISTORY_FROM = dt.date(2016, 1, 1)
SURVEY_YEARS = (2021, 2022, 2023, 2024, 2025)
CERTIFICATE_YEARS = 10

# Second national sample survey (2006), DOMAIN.md.
CATEGORY_SHARES: tuple[tuple[int, float], ...] = (
    (4, 0.2907),  # physical
    (2, 0.2416),  # hearing
    (7, 0.1630),  # multiple
    (1, 0.1486),  # visual
    (6, 0.0740),  # mental
    (5, 0.0668),  # intellectual
    (3, 0.0153),  # speech
)
# Share of levels 1–2 by category; weighted by CATEGORY_SHARES this is 34.5%, i.e. about
# 69,000 of 200,000 (the plan's nursing-allowance figure).
SEVERE_SHARE_BY_CATEGORY = {1: 0.35, 2: 0.21, 3: 0.30, 4: 0.28, 5: 0.45, 6: 0.50, 7: 0.55}
# Household status on the reference date; 43.5% 低保 is the plan's 87,000 of 200,000.
FINAL_STATUS_SHARES: tuple[tuple[str, float], ...] = (
    ("dibao", 0.435),
    ("tekun", 0.035),
    ("dibao_edge", 0.05),
    ("low_income", 0.03),
    ("monitored", 0.03),
    ("lifted", 0.14),
    ("none", 0.28),
)
# Age on the reference date: older-skewed (53% aged 60+ in the 2006 survey), some children.
AGE_BANDS: tuple[tuple[int, int, float], ...] = (
    (1, 5, 0.012),
    (6, 15, 0.035),
    (16, 17, 0.008),
    (18, 29, 0.05),
    (30, 44, 0.115),
    (45, 59, 0.26),
    (60, 69, 0.24),
    (70, 79, 0.17),
    (80, 95, 0.11),
)
MALE_SHARE = 0.5155  # 2006 survey
MANCHU_SHARE = 0.045
HUI_SHARE = 0.01

# How a household's status got to where it is on the reference date (earlier → later).
TRAJECTORIES: dict[str, tuple[tuple[float, tuple[str, ...]], ...]] = {
    "dibao": (
        (0.65, ("dibao",)),
        (0.12, ("none", "dibao")),
        (0.10, ("dibao_edge", "dibao")),
        (0.08, ("low_income", "dibao")),
        (0.05, ("monitored", "dibao")),
    ),
    "tekun": ((0.8, ("tekun",)), (0.2, ("dibao", "tekun"))),
    "dibao_edge": ((0.5, ("dibao_edge",)), (0.5, ("dibao", "dibao_edge"))),
    "low_income": ((0.6, ("low_income",)), (0.4, ("dibao", "low_income"))),
    "monitored": ((0.5, ("lifted", "monitored")), (0.5, ("none", "monitored"))),
    "lifted": ((0.8, ("dibao", "lifted")), (0.2, ("low_income", "lifted"))),
    "none": ((0.75, ("none",)), (0.15, ("dibao", "none")), (0.10, ("dibao_edge", "none"))),
}
LIFTED_BY = dt.date(2020, 12, 31)  # poverty alleviation was declared complete in 2020
MONITORING_FROM = dt.date(2020, 6, 1)  # 防返贫监测

# Yearly household income per head in 2021 yuan (illustrative), by status.
INCOME_RANGES = {
    "dibao": (3000, 7000),
    "tekun": (4000, 7000),
    "dibao_edge": (7000, 10000),
    "low_income": (8000, 12000),
    "monitored": (6000, 11000),
    "lifted": (8000, 16000),
}

REHAB_NEED = {1: 0.40, 2: 0.45, 3: 0.60, 4: 0.60, 5: 0.70, 6: 0.65, 7: 0.70}
DEVICE_NEED: dict[int, tuple[tuple[str, float], ...]] = {
    1: (("visual_aid", 0.30),),
    2: (("hearing_aid", 0.35),),
    3: (("other", 0.05),),
    4: (("wheelchair", 0.12), ("walking_aid", 0.12), ("prosthesis", 0.05)),
    5: (("other", 0.05),),
    6: (("other", 0.05),),
    7: (("wheelchair", 0.15), ("hearing_aid", 0.05), ("other", 0.05)),
}
SURVEY_METHODS = (("home_visit", 0.7), ("face_to_face", 0.2), ("phone", 0.1))
GRADES = ("一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "七年级", "八年级", "九年级")

_ALPHAS = tuple(math.sqrt(p) % 1.0 for p in (2, 3, 5, 7, 11, 13))
DIM_AGE, DIM_SEX, DIM_CATEGORY, DIM_STATUS = range(4)


class Strata:
    """Stratified uniforms: ``u(dim, i)`` = frac(offset + i·√p); jointly equidistributed."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"dpf-demo-strata:{seed}")
        self.offsets = tuple(rng.random() for _ in _ALPHAS)

    def u(self, dim: int, i: int) -> float:
        return (self.offsets[dim] + i * _ALPHAS[dim]) % 1.0


def _cumulative(weights: Sequence[float]) -> list[float]:
    cum = list(itertools.accumulate(weights))
    return [c / cum[-1] for c in cum]


_AGE_CUM = _cumulative([w for _, _, w in AGE_BANDS])
_CATEGORY_CUM = _cumulative([w for _, w in CATEGORY_SHARES])
_STATUS_CUM = _cumulative([w for _, w in FINAL_STATUS_SHARES])
_METHOD_CUM = _cumulative([w for _, w in SURVEY_METHODS])


def _pick_index(cum: list[float], u: float) -> int:
    return min(bisect.bisect_right(cum, u), len(cum) - 1)


def add_years(date: dt.date, years: int) -> dt.date:
    try:
        return date.replace(year=date.year + years)
    except ValueError:  # 29 February
        return date.replace(year=date.year + years, day=28)


def _day_between(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    """A uniform day in [lo, hi] (lo when the range is empty)."""
    span = (hi - lo).days
    return lo if span <= 0 else lo + dt.timedelta(days=rng.randint(0, span))


# --- the plan's records ---------------------------------------------------------------


@dataclass(slots=True)
class Stay:
    """One residence: a village from a date to a date (inclusive; None = still there)."""

    village: str
    valid_from: dt.date
    valid_to: dt.date | None


@dataclass(slots=True)
class PersonSpec:
    name: str
    id_number: str
    sex: str
    birth: dt.date
    ethnicity: str
    phone: str
    relation: str
    stays: list[Stay]
    death: dt.date | None = None

    @property
    def village(self) -> str:
        return self.stays[-1].village


@dataclass(slots=True)
class CertificateSpec:
    category: int
    level: int
    valid_from: dt.date
    valid_to: dt.date
    expires_on: dt.date
    status: str
    end_reason: str
    issuing_county: str


@dataclass(slots=True)
class SurveySpec:
    year: int
    survey_date: dt.date
    method: str
    surveyor_name: str
    rehab_need: bool
    device_need: str
    home_renovation_need: bool
    care_need: bool
    long_term_care_need: bool
    employment_status: str
    employment_wish: bool
    school_status: str
    income_per_capita: Decimal


@dataclass(slots=True)
class DisabledSpec:
    """A certified person, their household's facts and, if not the head, the head."""

    person: PersonSpec
    head: PersonSpec | None
    address: str
    certificates: list[CertificateSpec]
    statuses: list[tuple[str, dt.date, dt.date | None]]
    insurances: list[tuple[str, dt.date, dt.date | None, bool]] = field(default_factory=list)
    outside_payments: list[tuple[str, dt.date, dt.date | None]] = field(default_factory=list)
    schools: list[tuple[str, str, str, dt.date, dt.date | None]] = field(default_factory=list)
    guardian: tuple[str, dt.date, dt.date | None] | None = None
    surveys: list[SurveySpec] = field(default_factory=list)

    def people(self) -> list[PersonSpec]:
        return [self.person] if self.head is None else [self.person, self.head]


# --- drawing --------------------------------------------------------------------------


@dataclass
class ChunkContext:
    """What a chunk needs to know about the region tree."""

    county: str
    county_name: str
    villages: list[Village]
    other_villages: list[Village]  # villages of the other counties (people who moved)
    mongolian_share: float


def _ethnicity(rng: random.Random, mongolian_share: float) -> str:
    roll = rng.random()
    if roll < mongolian_share:
        return names.MONGOLIAN
    roll -= mongolian_share
    if roll < MANCHU_SHARE:
        return names.MANCHU
    if roll < MANCHU_SHARE + HUI_SHARE:
        return names.HUI
    return names.HAN


def _phone(rng: random.Random) -> str:
    # The 100 prefix is not a subscriber range, so a demo can never text a real person.
    return f"100{rng.randrange(10**8):08d}"


def _id_number(rng: random.Random, region: str, birth: dt.date, sex: str) -> str:
    sequence = 2 * rng.randrange(499) + (1 if sex == "M" else 2)
    return make_id_number(region, birth, sequence)


def _birth(rng: random.Random, age: int) -> dt.date:
    """A birth date giving ``age`` completed years on the reference date (31 December)."""
    year = REFERENCE_DATE.year - age
    days = (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days
    return dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, days))


def _death(rng: random.Random, age: int, first_issue: dt.date) -> dt.date | None:
    chance = 0.02 if age < 60 else 0.08 if age < 70 else 0.15 if age < 80 else 0.30
    earliest = first_issue + dt.timedelta(days=30)
    if earliest >= REFERENCE_DATE or rng.random() >= chance:
        return None
    return _day_between(rng, earliest, REFERENCE_DATE)


def _certificates(  # noqa: C901
    rng: random.Random,
    category: int,
    level: int,
    first_issue: dt.date,
    death: dt.date | None,
    county_on: dict[str, dt.date],
) -> list[CertificateSpec]:
    """The certificate history: renewals, re-gradings, expiries, cancellations, death.

    ``category`` and ``level`` are the *latest* certificate's (so the stratified shares
    hold for the current grades); the grades before a re-assessment are derived backwards.
    """

    def county_at(date: dt.date) -> str:
        return max((d, c) for c, d in county_on.items() if d <= date)[1] if county_on else ""

    rows: list[CertificateSpec] = []
    start = first_issue
    end_of_life = death or dt.date.max
    while True:
        expires = add_years(start, CERTIFICATE_YEARS) - dt.timedelta(days=1)
        row = CertificateSpec(
            category, level, start, expires, expires, "valid", "", county_at(start)
        )
        rows.append(row)
        horizon = min(expires, REFERENCE_DATE, end_of_life)
        span = (horizon - start).days
        roll = rng.random()
        if roll < 0.07 and span > 400:  # re-assessed: replaced from the day of the new grade
            on = start + dt.timedelta(days=rng.randint(365, span))
            row.valid_to, row.status, row.end_reason = (
                on - dt.timedelta(days=1),
                "replaced",
                "重新评定",
            )
            start = on
            continue
        if roll < 0.085 and span > 60:  # cancelled on request, moved away, or review failed
            on = start + dt.timedelta(days=rng.randint(30, span))
            row.valid_to, row.status = on - dt.timedelta(days=1), "cancelled"
            row.end_reason = rng.choice(("本人申请注销", "迁出本市", "复查不符合评定标准"))
            break
        if death is not None and death <= expires:
            row.valid_to, row.status, row.end_reason = death, "cancelled", "持证人死亡"
            break
        if expires >= REFERENCE_DATE:
            break
        if rng.random() < 0.15:  # expired and never renewed
            row.status = "expired"
            break
        gap = 0 if rng.random() < 0.7 else rng.randint(1, 180)
        renewed = expires + dt.timedelta(days=1 + gap)
        row.status = "replaced" if gap == 0 else "expired"
        if renewed > min(REFERENCE_DATE, end_of_life):
            row.status = "expired"
            break
        row.end_reason = "到期换领" if gap == 0 else ""
        start = renewed
    # Walk back from the latest grade: each re-assessment moved the level by one (or, for
    # a multiple disability, added the second impairment).
    for n in range(len(rows) - 2, -1, -1):
        later = rows[n + 1]
        row = rows[n]
        row.category, row.level = later.category, later.level
        if row.end_reason != "重新评定":
            continue
        if later.category == 7 and rng.random() < 0.1:
            row.category = rng.choice((1, 2, 4, 5, 6))
        else:
            step = rng.choice((-1, 1))
            if not 1 <= later.level + step <= 4:
                step = -step
            row.level = later.level + step
    return rows


def _statuses(rng: random.Random, final: str) -> list[tuple[str, dt.date, dt.date | None]]:
    options = TRAJECTORIES[final]
    roll, path = rng.random(), options[-1][1]
    for share, candidate in options:
        if roll < share:
            path = candidate
            break
        roll -= share
    start = STATUS_HISTORY_FROM + dt.timedelta(days=rng.randint(0, 730))
    if path[0] == "monitored":
        start = MONITORING_FROM + dt.timedelta(days=rng.randint(0, 365))
    starts = [start]
    for status in path[1:]:
        lo = starts[-1] + dt.timedelta(days=180)
        hi = REFERENCE_DATE - dt.timedelta(days=30)
        if status == "lifted":
            hi = min(hi, LIFTED_BY)
        if status == "monitored":
            lo = max(lo, MONITORING_FROM)
        starts.append(_day_between(rng, lo, max(lo, hi)))
    rows: list[tuple[str, dt.date, dt.date | None]] = []
    for n, status in enumerate(path):
        end = starts[n + 1] - dt.timedelta(days=1) if n + 1 < len(path) else None
        rows.append((status, starts[n], end))
    return rows


def _status_on(statuses: list[tuple[str, dt.date, dt.date | None]], date: dt.date) -> str:
    for status, start, end in statuses:
        if start <= date and (end is None or date <= end):
            return status
    return "none"


def _relative(
    rng: random.Random, disabled: PersonSpec, kind: str, id_region: str
) -> PersonSpec | None:
    """The household head when it is not the disabled person: parent, grandparent, spouse
    or grown-up child. None when no plausible birth date exists."""
    surname = names.family_surname(disabled.name)
    if kind in ("parent", "grandparent"):
        gap = rng.randint(22, 38) if kind == "parent" else rng.randint(45, 65)
        sex = "M" if rng.random() < 0.7 else "F"
        birth = add_years(disabled.birth, -gap) - dt.timedelta(days=rng.randint(0, 300))
        inherited = surname if sex == "M" else None
    elif kind == "spouse":
        sex = "F" if disabled.sex == "M" else "M"
        shift = rng.randint(-6, 3) if sex == "M" else rng.randint(-3, 6)
        birth = add_years(disabled.birth, shift) + dt.timedelta(days=rng.randint(-150, 150))
        inherited = None
    else:  # an adult child heads the household
        sex = "M" if rng.random() < 0.6 else "F"
        birth = add_years(disabled.birth, rng.randint(22, 38)) + dt.timedelta(
            days=rng.randint(0, 300)
        )
        inherited = surname if disabled.sex == "M" else None
    if birth < dt.date(1920, 1, 1) or age_on(birth, REFERENCE_DATE) < 18:
        return None
    ethnicity = disabled.ethnicity if rng.random() < 0.85 else names.HAN
    name = names.person_name(rng, sex, birth.year, ethnicity, inherited)
    stays = [Stay(disabled.village, max(birth, disabled.stays[-1].valid_from), None)]
    if disabled.stays[-1].valid_from == disabled.birth:
        stays = [Stay(disabled.village, birth, None)]
    return PersonSpec(
        name=name,
        id_number=_id_number(rng, id_region, birth, sex),
        sex=sex,
        birth=birth,
        ethnicity=ethnicity,
        phone=_phone(rng) if rng.random() < 0.95 else "",
        relation="head",
        stays=stays,
    )


# Relation of the disabled person to the head, and of the guardian to the disabled person.
_RELATION_TO_HEAD = {
    "parent": "child",
    "grandparent": "grandchild",
    "spouse": "spouse",
    "child": "parent",
}
_GUARDIAN_RELATION = {
    "parent": "parent",
    "grandparent": "other",
    "spouse": "spouse",
    "child": "child",
}


def _head_kind(rng: random.Random, age: int, category: int, orphan: bool) -> str | None:
    if age < 18:
        return "grandparent" if orphan or rng.random() < 0.15 else "parent"
    if category in (5, 6) and rng.random() < 0.85:
        if age < 45:
            return "parent"
        return "spouse" if rng.random() < 0.5 else "child"
    if rng.random() < 0.25:
        if age < 30:
            return "parent"
        if age < 65:
            return "spouse"
        return "child" if rng.random() < 0.6 else "spouse"
    return None


class _Surveyors:
    """One invented surveyor per village and year (village disability workers)."""

    def __init__(self) -> None:
        self._names: dict[tuple[str, int], str] = {}

    def name(self, village: str, year: int) -> str:
        key = (village, year)
        if key not in self._names:
            rng = random.Random(f"surveyor:{village}:{year}")
            sex = rng.choice("MF")
            self._names[key] = names.person_name(rng, sex, 1980, names.HAN)
        return self._names[key]


SURVEYORS = _Surveyors()


def draw_chunk(
    *, seed: int, start: int, count: int, context: ChunkContext, strata: Strata
) -> list[DisabledSpec]:
    """Plan the disabled people with global indexes ``start`` … ``start + count - 1``."""
    rng = random.Random(f"dpf-demo:{seed}:{start}")
    return [_draw_one(rng, i, context, strata) for i in range(start, start + count)]


def _draw_one(rng: random.Random, i: int, ctx: ChunkContext, strata: Strata) -> DisabledSpec:
    lo, hi, _ = AGE_BANDS[_pick_index(_AGE_CUM, strata.u(DIM_AGE, i))]
    age = rng.randint(lo, hi)
    birth = _birth(rng, age)
    sex = "M" if strata.u(DIM_SEX, i) < MALE_SHARE else "F"
    u = strata.u(DIM_CATEGORY, i)
    k = _pick_index(_CATEGORY_CUM, u)
    category = CATEGORY_SHARES[k][0]
    # Severity from the position inside the category's stratum: one low-discrepancy
    # sequence gives both, so the joint shares are exact even for a few hundred people.
    low = _CATEGORY_CUM[k - 1] if k else 0.0
    severe = (u - low) / (_CATEGORY_CUM[k] - low) < SEVERE_SHARE_BY_CATEGORY[category]
    level = (1 if rng.random() < 0.4 else 2) if severe else (3 if rng.random() < 0.45 else 4)
    final_status = FINAL_STATUS_SHARES[_pick_index(_STATUS_CUM, strata.u(DIM_STATUS, i))][0]
    ethnicity = _ethnicity(rng, ctx.mongolian_share)
    name = names.person_name(rng, sex, birth.year, ethnicity)

    earliest_issue = max(FIRST_ISSUE_FROM, birth + dt.timedelta(days=180))
    first_issue = _day_between(rng, earliest_issue, REFERENCE_DATE)
    death = _death(rng, age, first_issue)

    # Residence history and the address code of the ID number.
    village = rng.choice(ctx.villages)
    stays = [Stay(village.code, birth, death)]
    id_region = ctx.county
    county_on = {ctx.county: birth}
    roll = rng.random()
    adult_on = add_years(birth, 18)
    if roll < 0.04 and adult_on < first_issue - dt.timedelta(days=30):
        # Came from elsewhere in Inner Mongolia or another province before certification.
        pool = OTHER_INNER_MONGOLIA_CODES if rng.random() < 0.6 else OTHER_PROVINCE_CODES
        id_region = rng.choice(pool)
        stays[0].valid_from = _day_between(rng, adult_on, first_issue - dt.timedelta(days=30))
        county_on = {ctx.county: stays[0].valid_from}
    elif roll < 0.09 and ctx.other_villages:
        # Moved within Chifeng: the ID number keeps the first county's code.
        moved = _day_between(rng, add_years(birth, 1), REFERENCE_DATE - dt.timedelta(days=60))
        if death is None or moved < death:
            same_county = rng.random() < 0.7
            before = rng.choice(ctx.villages if same_county else ctx.other_villages)
            stays = [
                Stay(before.code, birth, moved - dt.timedelta(days=1)),
                Stay(village.code, moved, death),
            ]
            id_region = before.code[:6]
            county_on = {before.code[:6]: birth, ctx.county: moved}
            if before.code[:6] == ctx.county:
                county_on = {ctx.county: birth}

    person = PersonSpec(
        name=name,
        id_number=_id_number(rng, id_region, birth, sex),
        sex=sex,
        birth=birth,
        ethnicity=ethnicity,
        phone=_phone(rng) if age >= 16 and rng.random() < 0.85 else "",
        relation="head",
        stays=stays,
        death=death,
    )
    orphan = age < 18 and rng.random() < 0.03
    head_kind = _head_kind(rng, age, category, orphan)
    head = None
    if head_kind is not None:
        head = _relative(rng, person, head_kind, id_region if rng.random() < 0.9 else ctx.county)
        if head is not None:
            person.relation = _RELATION_TO_HEAD[head_kind]
    spec = DisabledSpec(
        person=person,
        head=head,
        address=f"{village.township_name}{village.name}{rng.randint(1, 300)}号",
        certificates=_certificates(rng, category, level, first_issue, death, county_on),
        statuses=_statuses(rng, final_status),
    )
    if head is not None and head_kind is not None and (age < 18 or category in (5, 6)):
        since = birth if age < 18 else first_issue
        spec.guardian = (_GUARDIAN_RELATION[head_kind], since, death)
    _insurance_and_payments(rng, spec, age, orphan)
    _school(rng, spec, ctx, village)
    _surveys(rng, spec)
    return spec


def _insurance_and_payments(rng: random.Random, spec: DisabledSpec, age: int, orphan: bool) -> None:  # noqa: C901
    person, death = spec.person, spec.person.death
    current = spec.certificates[-1]
    poor = spec.statuses[-1][0] in ("dibao", "tekun")
    if rng.random() < 0.97:
        start = max(person.birth + dt.timedelta(days=rng.randint(0, 90)), FIRST_ISSUE_FROM)
        if rng.random() < 0.03 and (REFERENCE_DATE - start).days > 800:
            lapse = _day_between(
                rng, start + dt.timedelta(days=365), REFERENCE_DATE - dt.timedelta(days=400)
            )
            back = lapse + dt.timedelta(days=rng.randint(30, 365))
            if death is None or back < death:
                spec.insurances.append(("medical", start, lapse, False))
                start = back
        if death is None or start <= death:
            spec.insurances.append(("medical", start, death, False))
    if age >= 16 and rng.random() < (0.92 if age < 60 else 0.75):
        start = max(add_years(person.birth, 16), FIRST_ISSUE_FROM) + dt.timedelta(
            days=rng.randint(0, 700)
        )
        if start <= REFERENCE_DATE and (death is None or start <= death):
            paid = age < 60 and (current.level <= 2 or poor)
            spec.insurances.append(("pension", start, death, paid))
    if current.category == 4 and 30 <= age <= 65 and rng.random() < 0.02:
        start = _day_between(rng, dt.date(2014, 1, 1), dt.date(2024, 12, 31))
        if death is None or start <= death:
            spec.outside_payments.append(("work_injury_care", start, death))
    if orphan:
        start = max(person.birth, STATUS_HISTORY_FROM) + dt.timedelta(days=rng.randint(0, 365))
        if start <= REFERENCE_DATE and (death is None or start <= death):
            spec.outside_payments.append(("orphan_support", start, death))
    if age >= 80 and rng.random() < 0.2:
        start = max(add_years(person.birth, 80), STATUS_HISTORY_FROM)
        if death is None or start <= death:
            spec.outside_payments.append(("elderly_care_allowance", start, death))


def _school(rng: random.Random, spec: DisabledSpec, ctx: ChunkContext, village: Village) -> None:
    """Children of compulsory-school age on the reference date: about 97% enrolled."""
    person = spec.person
    age = age_on(person.birth, REFERENCE_DATE)
    if not 6 <= age <= 15 or person.death is not None or rng.random() >= 0.97:
        return
    first_year = person.birth.year + (6 if person.birth.month < 9 else 7)
    start = dt.date(first_year, 9, 1)
    if start > REFERENCE_DATE:
        return
    level, category = spec.certificates[-1].level, spec.certificates[-1].category
    roll = rng.random()
    if level == 1 and category in (5, 7):
        mode = "home" if roll < 0.4 else "special"
    else:
        mode = "regular" if roll < 0.62 else "special" if roll < 0.9 else "home"
    grade = GRADES[min(8, REFERENCE_DATE.year - first_year)]
    schools = {
        "regular": f"{village.township_name}中心学校",
        "special": f"{ctx.county_name}特殊教育学校",
        "home": f"{ctx.county_name}特殊教育学校（送教上门）",
    }
    if mode != "home" and rng.random() < 0.05 and REFERENCE_DATE.year - first_year >= 2:
        switch = dt.date(rng.randint(first_year + 1, REFERENCE_DATE.year), 9, 1)
        if switch <= REFERENCE_DATE:
            spec.schools.append((schools[mode], "", mode, start, switch - dt.timedelta(days=1)))
            start, mode = switch, "home"
    spec.schools.append((schools[mode], grade, mode, start, None))


def _school_status(spec: DisabledSpec, date: dt.date) -> str:
    age = age_on(spec.person.birth, date)
    if not 6 <= age <= 15:
        return "na"
    for _, _, mode, start, end in spec.schools:
        if start <= date and (end is None or date <= end):
            return "home_teaching" if mode == "home" else "enrolled"
    return "not_enrolled"


def _surveys(rng: random.Random, spec: DisabledSpec) -> None:
    person = spec.person
    first = spec.certificates[0]
    category, level = first.category, first.level
    child = age_on(person.birth, REFERENCE_DATE) < 18
    rehab_trait, employ_trait, income_trait = rng.random(), rng.random(), rng.random()
    rehab_share = min(0.95, REHAB_NEED[category] + (0.25 if child else 0.0))
    for year in SURVEY_YEARS:
        date = dt.date(year, 3, 1) + dt.timedelta(days=rng.randint(0, 240))
        if date < first.valid_from or date > REFERENCE_DATE or rng.random() >= 0.93:
            continue
        if person.death is not None and date >= person.death:
            break
        for cert in spec.certificates:
            if cert.valid_from <= date:
                category, level = cert.category, cert.level
        severe = level <= 2
        age = age_on(person.birth, date)
        device = ""
        roll = rng.random()
        for kind, share in DEVICE_NEED[category]:
            if roll < share:
                device = kind
                break
            roll -= share
        employment, wish = _employment(age, severe, employ_trait + rng.uniform(-0.05, 0.05))
        if employment == "unemployed":
            wish = rng.random() < 0.55
        status = _status_on(spec.statuses, date)
        income = _income(status, income_trait, year)
        if level <= 2:
            long_term = rng.random() < (0.9 if level == 1 else 0.7)
        else:
            long_term = rng.random() < (0.2 if category in (5, 6) else 0.02)
        spec.surveys.append(
            SurveySpec(
                year=year,
                survey_date=date,
                method=SURVEY_METHODS[_pick_index(_METHOD_CUM, rng.random())][0],
                surveyor_name=SURVEYORS.name(person.village, year),
                rehab_need=rehab_trait + rng.uniform(-0.1, 0.1) < rehab_share,
                device_need=device,
                home_renovation_need=rng.random()
                < (0.12 if severe and category in (1, 4, 7) else 0.02),
                care_need=rng.random()
                < (0.15 if severe and category in (5, 6) else 0.04 if severe else 0.01),
                long_term_care_need=long_term,
                employment_status=employment,
                employment_wish=wish,
                school_status=_school_status(spec, date),
                income_per_capita=income,
            )
        )


def _employment(age: int, severe: bool, trait: float) -> tuple[str, bool]:
    if age < 16:
        return "na", False
    if age >= 60:
        return ("retired" if trait < 0.15 else "na"), False
    if age <= 22 and trait < 0.3:
        return "student", False
    employed, unemployed = (0.25, 0.20) if severe else (0.60, 0.25)
    if trait < employed:
        return "employed", False
    if trait < employed + unemployed:
        return "unemployed", False
    return "unable", False


def _income(status: str, trait: float, year: int) -> Decimal:
    growth = 1.06 ** (year - 2021)
    if status in INCOME_RANGES:
        lo, hi = INCOME_RANGES[status]
        yuan = lo + (hi - lo) * trait
    else:
        yuan = 10000 - 12000 * math.log(1.0 - min(trait, 0.98))
    cents = round(yuan * growth * 100)
    return Decimal(cents).scaleb(-2)
