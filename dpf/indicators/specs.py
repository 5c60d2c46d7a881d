"""Numerator and denominator specs of an indicator, and how each becomes a count.

A spec is a small JSON object:

- ``{"persons": "<rule>"}``: persons matching a rule of the rule language, as of the date;
- ``{"eligible": "<benefit>"}``: persons eligible for a benefit (the rule in force, with
  county widenings);
- ``{"records": "<kind>"}``: records of a kind counted by another app (training,
  renovations …); a kind nobody counts yet gives "no data", never zero;
- ``{"manual": true}``: a hand-entered value (``ManualValue``).

For a ratio, the numerator is counted *within* the denominator's population, so coverage
never exceeds 100 % because of people outside the population.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from dpf.benefits.eligibility import (
    NOTHING,
    eligibility_condition,
    eligibility_q,
    rules_in_force,
    rules_of,
)
from dpf.benefits.models import BenefitItem
from dpf.core.errors import ValidationFailed

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from dpf.indicators.models import Indicator
    from dpf.rules import Rule
    from dpf.rules.materialise import FactsTable

# kind -> function(as_of, period_start) -> {region_code: count} keyed by township codes
# (9 digits), or None when the records do not exist yet.
RecordCounter = Callable[[dt.date, dt.date | None], dict[str, int]]
_RECORD_COUNTERS: dict[str, RecordCounter] = {}


def register_record_counter(kind: str, counter: RecordCounter) -> None:
    """Other apps (training, renovation, volunteers …) register how their records count."""
    _RECORD_COUNTERS[kind] = counter


def record_counter(kind: str) -> RecordCounter | None:
    return _RECORD_COUNTERS.get(kind)


# kind -> function(as_of, period_start) -> the ``Person`` condition behind a records count
# that counts persons (the drill-down lists them as it lists a rule's persons).
RecordPersons = Callable[[dt.date, dt.date | None], Q]
_RECORD_PERSONS: dict[str, RecordPersons] = {}


def register_record_persons(kind: str, persons: RecordPersons) -> None:
    _RECORD_PERSONS[kind] = persons


# kind -> function(as_of, period_start) -> the ids of the persons a records kind counts, before
# any population (a one-column ``values`` queryset). A ratio whose numerator is such a kind
# and whose denominator counts persons counts the numerator within its denominator, as
# the drill-down lists it (``members_within``): over the facts already materialised for
# the denominator, or over a maintained run's stored contributions, instead of evaluating
# the kind's own population rule again over every person.
RecordMembers = Callable[[dt.date, dt.date | None], "QuerySet[Any]"]
_RECORD_MEMBERS: dict[str, RecordMembers] = {}


def register_record_members(kind: str, members: RecordMembers) -> None:
    _RECORD_MEMBERS[kind] = members


def members_within(indicator: Indicator) -> RecordMembers | None:
    """The members of the indicator's records numerator when it is counted within a
    person-based denominator (see ``register_record_members``), else None."""
    numerator, denominator = indicator.numerator, indicator.denominator
    if not denominator or "records" not in numerator:
        return None
    if "persons" not in denominator and "eligible" not in denominator:
        return None
    return _RECORD_MEMBERS.get(str(numerator["records"]))


class SpecError(ValidationFailed):
    pass


SPEC_KEYS = ("persons", "eligible", "records", "manual")


def validate_spec(spec: dict[str, Any], *, field: str) -> None:
    """Refuse a spec that is not one of the forms above or whose rule does not type-check."""
    if not spec:
        return
    keys = [k for k in SPEC_KEYS if k in spec]
    if len(keys) != 1:
        raise SpecError(
            "spec_form",
            f"{field}：须且只能包含 persons、eligible、records、manual 之一",
            f"{field}: must hold exactly one of persons, eligible, records, manual",
            field=field,
        )
    if "persons" in spec:
        from dpf.rules import compile_rule  # local: the rule engine loads its catalogue lazily

        try:
            compile_rule(str(spec["persons"]))
        except ValidationFailed as exc:
            raise SpecError(
                "spec_rule",
                f"{field}：规则有误：{exc.message_zh}",
                f"{field}: the rule is not valid: {exc.message_en}",
                field=field,
            ) from None
    if "eligible" in spec and not BenefitItem.objects.filter(code=str(spec["eligible"])).exists():
        raise SpecError(
            "spec_benefit",
            f"{field}：惠残事项 {spec['eligible']} 不存在",
            f"{field}: benefit {spec['eligible']} does not exist",
            field=field,
        )


# Record kinds that count institutions, teams or organisations rather than persons (or the
# households, services and complaints of persons): their small counts identify nobody and
# are never suppressed. Every other kind is taken to count persons (deny by default).
RECORDS_NOT_OF_PERSONS = frozenset(
    {"designated_rehab_institution", "volunteer_team", "social_organisation"}
)


def counts_persons(spec: dict[str, Any]) -> bool:
    """Does a count of this spec count persons, so that a small one could single them out?
    Hand-entered values are published statistics, not counts of the registry."""
    if not spec or spec.get("manual"):
        return False
    if "records" in spec:
        return str(spec["records"]) not in RECORDS_NOT_OF_PERSONS
    return True


def person_q_available(spec: dict[str, Any]) -> bool:
    """Does ``person_q`` give a condition for this spec (see there)?"""
    if "records" in spec:
        return str(spec["records"]) in _RECORD_PERSONS
    return "persons" in spec or "eligible" in spec


def person_q(spec: dict[str, Any], as_of: dt.date, period_start: dt.date | None = None) -> Q | None:
    """The person filter of a ``persons`` or ``eligible`` spec, or of a ``records`` spec
    whose app says which persons it counts; None for other kinds."""
    if "records" in spec:
        persons = _RECORD_PERSONS.get(str(spec["records"]))
        return persons(as_of, period_start) if persons is not None else None
    if "persons" in spec:
        from dpf.rules import compile_rule

        return compile_rule(str(spec["persons"])).q(as_of)
    if "eligible" in spec:
        # The base rule OR the county widenings in force on ``as_of``.
        return eligibility_q(str(spec["eligible"]), as_of)
    return None


class _EligibleOn:
    """The versions of one benefit in force on a date, read once (two queries), for the
    rules they use and for their condition over the materialised facts of that date."""

    def __init__(self, code: str, as_of: dt.date) -> None:
        benefit = BenefitItem.objects.filter(code=code).first()
        self.rules = None if benefit is None else rules_in_force(benefit, as_of)

    def compiled(self) -> list[Rule]:
        return [] if self.rules is None else rules_of(self.rules)

    def q(self, facts: FactsTable) -> Q:
        return NOTHING if self.rules is None else eligibility_condition(self.rules, facts)


class FactsSpecs:
    """The person specs of one computation over the materialised facts of ``as_of``: the
    rules they need (to materialise) and their conditions (over the table); each benefit's
    versions in force are read once."""

    def __init__(self, as_of: dt.date) -> None:
        self.as_of = as_of
        self._eligible: dict[str, Any] = {}

    def _benefit(self, code: str) -> Any:
        if code not in self._eligible:
            self._eligible[code] = _EligibleOn(code, self.as_of)
        return self._eligible[code]

    def rules(self, spec: dict[str, Any]) -> list[Rule]:
        if "persons" in spec:
            from dpf.rules import compile_rule

            return [compile_rule(str(spec["persons"]))]
        if "eligible" in spec:
            rules: list[Rule] = self._benefit(str(spec["eligible"])).compiled()
            return rules
        return []

    def q(self, spec: dict[str, Any], facts: FactsTable) -> Q | None:
        if "persons" in spec:
            from dpf.rules import compile_rule

            return facts.q(compile_rule(str(spec["persons"])))
        if "eligible" in spec:
            q: Q = self._benefit(str(spec["eligible"])).q(facts)
            return q
        return None
