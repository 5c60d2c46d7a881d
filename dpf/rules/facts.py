"""A person's facts as of a date, for the Python evaluator: read from the registry for one
person (a handful of queries), or from a what-if JSON document (no database).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q

from dpf.core.certnumber import Category
from dpf.registry.models import (
    CertificateStatus,
    Employment,
    HouseholdStatus,
    HouseholdStatusCode,
    MedicalSettlement,
    Person,
    PersonStatusCode,
)
from dpf.rules.ast import Scalar
from dpf.rules.catalogue import (
    ATTRIBUTES,
    REGION_CODE,
    SURVEY_FIELDS,
    attribute_sources,
    insurance_kinds,
    outside_payment_codes,
    receiving_codes,
    receiving_sources,
)
from dpf.rules.errors import RuleError


@dataclass(frozen=True)
class CertificateFacts:
    category: int
    level: int
    valid_from: dt.date
    valid_to: dt.date | None
    status: str

    def valid_on(self, date: dt.date) -> bool:
        """Valid on ``date``: inside ``[valid_from, valid_to]`` and status ``valid``."""
        return (
            self.status == CertificateStatus.VALID
            and self.valid_from <= date
            and (self.valid_to is None or date <= self.valid_to)
        )


class Deferred(Mapping[str, Scalar]):
    """Attribute values read on first use: a rule that never names one costs no query (the
    person page and the proposals page evaluate the benefit rules, which name none of them;
    the risk rules do)."""

    def __init__(self, loaders: dict[str, Callable[[], Scalar]]) -> None:
        self._loaders = loaders
        self._values: dict[str, Scalar] = {}

    def __getitem__(self, name: str) -> Scalar:
        if name not in self._values:
            self._values[name] = self._loaders[name]()
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaders)

    def __len__(self) -> int:
        return len(self._loaders)


@dataclass(frozen=True)
class Facts:
    """What the rules may know about one person on ``as_of``.

    ``survey`` holds the latest needs-survey answers on or before ``as_of`` under the
    NeedsSurvey field names (``rehab_need``, ``device_need`` …); a missing key is unknown
    and takes the catalogue default.
    """

    as_of: dt.date
    birth_date: dt.date
    sex: str
    alive: bool
    residence_region: str
    certificate: CertificateFacts | None
    household_status: str
    in_destitute_care: bool
    long_term_care_need: bool
    receiving: frozenset[str] = frozenset()
    insured: frozenset[str] = frozenset()
    in_school: bool = False
    survey: dict[str, object] = field(default_factory=dict)
    # days since the last day of the household's latest 低保 period that ended before
    # ``as_of`` (-1: none did)
    dibao_ended_days: int = -1
    # attributes a query reads only when a rule names them (``Deferred``), by attribute
    # name: ``household.members`` (living members of the household on ``as_of``, 0 without
    # one), ``household.earner_lost_days`` (days since the household's last earner stopped
    # working, -1 while one works), ``household.medical_out_of_pocket_year`` (yuan left to
    # the household by its medical settlements over the year up to ``as_of``) and those
    # read from a registered source
    # (``allowance_suspended_days``)
    deferred: Mapping[str, Scalar] = field(default_factory=dict)
    # monthly amount of each outside payment in force (None: not recorded), for the
    # catalogue's "pay the higher" (择高享受); not a rule attribute
    outside_amounts: dict[str, Decimal | None] = field(default_factory=dict)

    @property
    def household_members(self) -> int:
        value = self.deferred.get("household.members", 0)
        assert isinstance(value, int)
        return value

    @property
    def household_earner_lost_days(self) -> int:
        value = self.deferred.get("household.earner_lost_days", -1)
        assert isinstance(value, int)
        return value

    @property
    def household_medical_out_of_pocket_year(self) -> Decimal:
        value = self.deferred.get("household.medical_out_of_pocket_year", Decimal(0))
        assert isinstance(value, Decimal)
        return value


# Attributes of the catalogue held in ``Facts.deferred`` besides the sourced ones.
DEFERRED = frozenset(
    {"household.members", "household.earner_lost_days", "household.medical_out_of_pocket_year"}
)


def _in_force(rows: list[Any], date: dt.date) -> list[Any]:
    return [r for r in rows if r.valid_from <= date and (r.valid_to is None or r.valid_to >= date)]


def _latest(rows: list[Any]) -> Any:
    """The row in force that the SQL picks too: latest ``valid_from``, then highest id."""
    return max(rows, key=lambda r: (r.valid_from, r.pk)) if rows else None


def _living(people: Any, as_of: dt.date) -> int:
    """How many of ``people`` are alive on ``as_of``."""
    return sum(1 for p in people if p.death_date is None or p.death_date > as_of)


def _members(household_id: int, as_of: dt.date) -> int:
    """Living members of a household on ``as_of`` (one query)."""
    return _living(Person.objects.filter(household_id=household_id), as_of)


def employment_last_day(
    valid_from: dt.date, valid_to: dt.date | None, death_date: dt.date | None
) -> dt.date | None:
    """The last day a member worked in an employment: its ``valid_to``, cut to the day
    before the member's death (the day of death is the first day without the earner, as
    the first day after an employment's end is); None while open. An employment starting
    on or after the death never ran: its last day falls before its first."""
    if death_date is None:
        return valid_to
    before_death = death_date - dt.timedelta(days=1)
    return before_death if valid_to is None or valid_to > before_death else valid_to


def _earner_lost_days(household_id: int, as_of: dt.date) -> int:
    """Whole days from the latest last day (before ``as_of``) of any member's employment to
    ``as_of``, when no member of the household works on ``as_of``; -1 when one does, or
    when no member's employment ended before it (one query). A member's employment ends
    at the latest the day before the member's death (``employment_last_day``)."""
    rows = Employment.objects.filter(person__household_id=household_id).values_list(
        "valid_from", "valid_to", "person__death_date"
    )
    ended: list[dt.date] = []
    for valid_from, valid_to, death_date in rows:
        last = employment_last_day(valid_from, valid_to, death_date)
        if valid_from <= as_of and (last is None or last >= as_of):
            return -1
        if last is not None and valid_from <= last < as_of:
            ended.append(last)
    return (as_of - max(ended)).days if ended else -1


def _medical_out_of_pocket_year(
    person_id: int, household_id: int | None, as_of: dt.date
) -> Decimal:
    """The out-of-pocket amounts of the settlements dated ``as_of − 364 … as_of`` of the
    household's members (the dead included), or of the person alone without a household
    (one query)."""
    whose = Q(person_id=person_id)
    if household_id is not None:
        whose |= Q(person__household_id=household_id)
    amounts = MedicalSettlement.objects.filter(
        whose, settled_on__gte=as_of - dt.timedelta(days=364), settled_on__lte=as_of
    ).values_list("out_of_pocket", flat=True)
    return sum(amounts, Decimal(0))


def facts_for_person(person: Person, as_of: dt.date) -> Facts:
    """The facts of one person as of ``as_of``: about seven small queries, none for the
    relations already prefetched (``certificates``, ``residences``, ``surveys``,
    ``insurances``, ``schools``, ``outside_payments``, ``statuses``, ``household__statuses``,
    ``household__members``); ``household.members``, ``household.earner_lost_days`` and the
    sourced attributes are read only when a rule names them (``Deferred``).
    ``in_destitute_care`` is the person's own 特困 status (``PersonStatus``), not the
    household's.

    The certificate is the one in force on ``as_of``: cancelled, replaced and expired rows
    have their ``valid_to`` cut to the last valid day (``registry.services.certificate_end``),
    so being in force is being valid, and a certificate cancelled later still counts for
    the dates before its cancellation (mid-term figures do not change afterwards).
    """
    certs = list(person.certificates.all())
    cert = _latest(_in_force(certs, as_of))
    certificate = (
        CertificateFacts(
            category=cert.category,
            level=cert.level,
            valid_from=cert.valid_from,
            valid_to=cert.valid_to,
            status=CertificateStatus.VALID,
        )
        if cert is not None
        else None
    )
    status = HouseholdStatusCode.NONE.value
    dibao_ended_days = -1
    deferred: dict[str, Callable[[], Scalar]] = {
        a.name: functools.partial(a.python, person.pk, as_of) for a in attribute_sources()
    }
    deferred["household.members"] = lambda: 0
    deferred["household.earner_lost_days"] = lambda: -1
    deferred["household.medical_out_of_pocket_year"] = functools.partial(
        _medical_out_of_pocket_year, person.pk, person.household_id, as_of
    )
    household_id = person.household_id
    if household_id is not None:
        if Person.household.is_cached(person) and person.household is not None:
            rows = list(person.household.statuses.all())
            household = person.household
            deferred["household.members"] = lambda: _living(household.members.all(), as_of)
        else:
            rows = list(HouseholdStatus.objects.filter(household_id=household_id))
            deferred["household.members"] = functools.partial(_members, household_id, as_of)
        deferred["household.earner_lost_days"] = functools.partial(
            _earner_lost_days, household_id, as_of
        )
        row = _latest(_in_force(rows, as_of))
        if row is not None:
            status = row.status
        ended = [
            r.valid_to
            for r in rows
            if r.status == HouseholdStatusCode.DIBAO
            and r.valid_to is not None
            and r.valid_to < as_of
        ]
        if ended:
            dibao_ended_days = (as_of - max(ended)).days
    residence = _latest(_in_force(list(person.residences.all()), as_of))
    surveys = [s for s in person.surveys.all() if s.survey_date <= as_of]
    survey = max(surveys, key=lambda s: (s.survey_date, s.pk)) if surveys else None
    answers: dict[str, object] = {}
    if survey is not None:
        answers = {f: getattr(survey, f) for f in SURVEY_FIELDS.values()}
    own = _latest(_in_force(list(person.statuses.all()), as_of))
    paid = _in_force(list(person.outside_payments.all()), as_of)
    receiving = {p.kind for p in paid}
    for source in receiving_sources():
        if source.held is not None:
            receiving |= set(source.held(person.pk, as_of))
        else:
            receiving |= {c for c in source.codes() if source.python(person.pk, c, as_of)}
    return Facts(
        as_of=as_of,
        birth_date=person.birth_date,
        sex=person.sex,
        alive=person.death_date is None or person.death_date > as_of,
        residence_region=residence.village_code if residence is not None else person.village_code,
        certificate=certificate,
        household_status=status,
        in_destitute_care=own is not None and own.status == PersonStatusCode.TEKUN,
        long_term_care_need=bool(survey.long_term_care_need) if survey is not None else False,
        receiving=frozenset(receiving),
        insured=frozenset(i.kind for i in _in_force(list(person.insurances.all()), as_of)),
        in_school=bool(_in_force(list(person.schools.all()), as_of)),
        survey=answers,
        dibao_ended_days=dibao_ended_days,
        deferred=Deferred(deferred),
        outside_amounts={p.kind: p.monthly_amount for p in paid},
    )


# Relations to prefetch when reading the facts of many persons (tests, benchmarks).
FACT_RELATIONS = (
    "certificates",
    "residences",
    "surveys",
    "insurances",
    "schools",
    "outside_payments",
    "statuses",
    "household__statuses",
    "household__members",
)


# --- the what-if JSON document ----------------------------------------------------------

REQUIRED = ("birth_date", "certificate", "household_status", "residence_region")
OPTIONAL = (
    "alive",
    "sex",
    "in_destitute_care",
    "long_term_care_need",
    "receiving",
    "insured",
    "in_school",
    "survey",
    "household_members",
    "dibao_ended_days",
    "household_earner_lost_days",
    "household_medical_out_of_pocket_year",
    "allowance_suspended_days",
)
CERTIFICATE_KEYS = ("category", "level", "valid_from", "valid_to", "status")
SURVEY_TYPES: dict[str, type] = {
    "rehab_need": bool,
    "device_need": str,
    "home_renovation_need": bool,
    "care_need": bool,
    "employment_status": str,
    "employment_wish": bool,
    "school_status": str,
    "income_per_capita": Decimal,
}


def _bad(field_name: str, zh: str, en: str, code: str = "facts_invalid") -> RuleError:
    return RuleError(code, f"{field_name}：{zh}", f"{field_name}: {en}", field=field_name)


def _date(value: Any, name: str, *, nullable: bool = False) -> dt.date | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise _bad(name, "须为 YYYY-MM-DD 格式的日期", "must be a date YYYY-MM-DD")
    try:
        if len(value) != 10:
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _bad(name, f"“{value}”不是有效日期", f"'{value}' is not a valid date") from None


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise _bad(name, "须为 true 或 false", "must be true or false")
    return value


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(name, f"须为 {low} 到 {high} 的整数", f"must be a whole number {low} to {high}")
    return value


def _amount(value: Any, name: str) -> Decimal:
    """A sum of money in yuan, not negative."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _bad(name, "须为数字", "must be a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _bad(name, "须为数字", "must be a number") from None
    if not number.is_finite() or number < 0:
        raise _bad(name, "须为非负数", "must not be negative")
    return number


def _choice(value: Any, name: str, known: Any) -> str:
    if not isinstance(value, str) or value not in known:
        shown = ", ".join(sorted(str(k) for k in known))
        raise _bad(name, f"须为以下之一：{shown}", f"must be one of: {shown}")
    return value


def _codes(value: Any, name: str, known: Any) -> frozenset[str]:
    if not isinstance(value, list):
        raise _bad(name, "须为代码列表", "must be a list of codes")
    return frozenset(_choice(v, f"{name}[{i}]", known) for i, v in enumerate(value))


def _certificate(value: Any) -> CertificateFacts | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _bad("certificate", "须为对象或 null", "must be an object or null")
    for key in value:
        if key not in CERTIFICATE_KEYS:
            raise _bad(f"certificate.{key}", "未知字段", "unknown field", "facts_unknown_field")
    for key in ("category", "level", "valid_from", "status"):
        if key not in value:
            raise _bad(f"certificate.{key}", "缺少此字段", "is missing", "facts_missing")
    valid_from = _date(value["valid_from"], "certificate.valid_from")
    valid_to = _date(value.get("valid_to"), "certificate.valid_to", nullable=True)
    assert valid_from is not None
    if valid_to is not None and valid_to < valid_from:
        raise _bad("certificate.valid_to", "早于起始日期", "is before valid_from")
    return CertificateFacts(
        category=_int(value["category"], "certificate.category", 1, max(Category.values)),
        level=_int(value["level"], "certificate.level", 1, 4),
        valid_from=valid_from,
        valid_to=valid_to,
        status=_choice(value["status"], "certificate.status", CertificateStatus.values),
    )


def _survey(value: Any) -> dict[str, object]:  # noqa: C901
    if not isinstance(value, dict):
        raise _bad("survey", "须为对象", "must be an object")
    out: dict[str, object] = {}
    for key, item in value.items():
        name = f"survey.{key}"
        want = SURVEY_TYPES.get(key)
        if want is None:
            raise _bad(name, "未知字段", "unknown field", "facts_unknown_field")
        if item is None:
            continue
        if key == "device_need" and isinstance(item, bool):
            # true/false without the kind: "other" device, or none
            out[key] = "other" if item else ""
        elif want is bool:
            out[key] = _bool(item, name)
        elif want is Decimal:
            if isinstance(item, bool) or not isinstance(item, int | float | str):
                raise _bad(name, "须为数字", "must be a number")
            try:
                number = Decimal(str(item))
            except InvalidOperation:
                raise _bad(name, "须为数字", "must be a number") from None
            if not number.is_finite() or number < 0:
                raise _bad(name, "须为非负数", "must not be negative")
            out[key] = number
        else:
            attr = ATTRIBUTES.get("survey.device_kind" if key == "device_need" else f"survey.{key}")
            known = attr.values() if attr is not None and attr.values is not None else {}
            out[key] = _choice(item, name, known)
    return out


def facts_from_json(data: dict[str, Any], as_of: dt.date) -> Facts:
    """The facts of a person described in a what-if document (no database).

    Required: ``birth_date``, ``certificate`` (an object or null), ``household_status``,
    ``residence_region``. Optional: ``alive`` (true), ``sex`` (unknown),
    ``in_destitute_care`` (false: the person's own 特困 status), ``long_term_care_need``
    (false), ``receiving`` / ``insured`` (empty lists), ``in_school`` (false), ``survey``
    ({}), ``household_members`` (0), ``dibao_ended_days`` (-1),
    ``household_earner_lost_days`` (-1), ``household_medical_out_of_pocket_year`` (0),
    ``allowance_suspended_days`` (-1). Unknown fields are
    refused, so a misspelt field is not silently ignored.
    """
    if not isinstance(data, dict):
        raise _bad("facts", "须为 JSON 对象", "must be a JSON object")
    for key in data:
        if key not in REQUIRED and key not in OPTIONAL:
            raise _bad(key, "未知字段", "unknown field", "facts_unknown_field")
    for key in REQUIRED:
        if key not in data:
            raise _bad(key, "缺少此字段", "is missing", "facts_missing")
    birth = _date(data["birth_date"], "birth_date")
    assert birth is not None
    region = data["residence_region"]
    if not isinstance(region, str) or not REGION_CODE.match(region):
        raise _bad(
            "residence_region", "须为6、9或12位区划代码", "must be a 6, 9 or 12 digit region code"
        )
    status = _choice(data["household_status"], "household_status", HouseholdStatusCode.values)
    sex = data.get("sex", "")
    if sex != "":
        sex = _choice(sex, "sex", ("M", "F"))
    return Facts(
        as_of=as_of,
        birth_date=birth,
        sex=sex,
        alive=_bool(data.get("alive", True), "alive"),
        residence_region=region,
        certificate=_certificate(data["certificate"]),
        household_status=status,
        in_destitute_care=_bool(data.get("in_destitute_care", False), "in_destitute_care"),
        long_term_care_need=_bool(data.get("long_term_care_need", False), "long_term_care_need"),
        receiving=_codes(data.get("receiving", []), "receiving", receiving_codes()),
        insured=_codes(data.get("insured", []), "insured", insurance_kinds()),
        in_school=_bool(data.get("in_school", False), "in_school"),
        survey=_survey(data.get("survey", {})),
        dibao_ended_days=_int(data.get("dibao_ended_days", -1), "dibao_ended_days", -1, 99999),
        deferred={
            "household.members": _int(data.get("household_members", 0), "household_members", 0, 99),
            "household.earner_lost_days": _int(
                data.get("household_earner_lost_days", -1),
                "household_earner_lost_days",
                -1,
                99999,
            ),
            "allowance_suspended_days": _int(
                data.get("allowance_suspended_days", -1), "allowance_suspended_days", -1, 99999
            ),
            "household.medical_out_of_pocket_year": _amount(
                data.get("household_medical_out_of_pocket_year", 0),
                "household_medical_out_of_pocket_year",
            ),
        },
    )


__all__ = [
    "CertificateFacts",
    "Facts",
    "facts_for_person",
    "facts_from_json",
    "outside_payment_codes",
]
