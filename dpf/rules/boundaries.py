"""Which persons' facts may read differently on two dates: what rolling figures forward from
one date to a later one must evaluate again (``dpf.indicators.refresh.roll_forward``).

A rule reads facts "in force on the date". Between ``first`` and ``second`` (``first`` <
``second``) a fact can change, without any record being written, only where a date of the
registry falls in between:

- an effective-dated row (certificate, household status, residence, person status, school,
  insurance, outside payment, entitlement) starts after ``first`` and by ``second``, or
  ends from ``first`` to the day before ``second`` (``valid_from ≤ d ≤ valid_to``);
- a needs survey is dated after ``first`` and by ``second`` (the latest survey then
  changes);
- a death falls after ``first`` and by ``second`` (``alive``; ``household.members`` for the
  whole household);
- a person's age crosses a bound a rule compares it with (``age >= 60``: the persons born
  in the window shifted by 60 years), or, where a rule computes with the age, any birthday
  in the window.

``changed_between`` returns the condition over ``Person`` that holds for every such person
(more is harmless: evaluating a person again whose facts did not change changes nothing),
or ``None`` when a rule reads a fact whose changes with the date are not listed here (days
since an event, a 365-day window, an attribute an app above holds, ``as_of`` itself): the
caller then computes the later date in full. Rows written or corrected after ``first``
are not this module's concern: the services mark them (``FactsMark``).

Every attribute of the catalogue is either handled below or named in ``UNBOUNDED``
(``tests/rules/test_boundaries.py`` fails on one that is neither), and the test compares,
on random registries and windows, the persons whose facts really differ with this set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from dpf.core.models import EffectiveDated
from dpf.registry.models import (
    Certificate,
    HouseholdStatus,
    InsuranceEnrolment,
    NeedsSurvey,
    OutsidePayment,
    Person,
    PersonStatus,
    Residence,
    SchoolEnrolment,
)
from dpf.rules import evaluate
from dpf.rules.ast import PERSON_FREE, Attr, Call, Compare, Node, person_free, walk
from dpf.rules.catalogue import (
    SURVEY_FIELDS,
    outside_payment_codes,
    receiving_sources,
)
from dpf.rules.sql import shift_years

# Read from the person's own row and never dated.
CONSTANT = frozenset({"sex", "birth_date"})
# Read from the row in force of one effective-dated fact (or the latest survey).
_ROW_SOURCE: dict[str, str] = {
    "certificate.valid": "certificate",
    "certificate.category": "certificate",
    "certificate.level": "certificate",
    "certificate.severe": "certificate",
    "household.status": "household",
    "in_destitute_care": "person_status",
    "in_school": "school",
    "long_term_care_need": "survey",
    "survey.device_need": "survey",
    **dict.fromkeys(SURVEY_FIELDS, "survey"),
}
# Handled by their own conditions below.
_SPECIAL = frozenset({"age", "alive", "household.members"})
# Change with the date alone in ways not listed here: a rule reading one is not rolled.
UNBOUNDED = frozenset(
    {
        "as_of",
        "household.dibao_ended_days",
        "household.earner_lost_days",
        "household.medical_out_of_pocket_year",
    }
)
HANDLED = CONSTANT | frozenset(_ROW_SOURCE) | _SPECIAL


def _of_persons(model: Any, first: dt.date, second: dt.date, **kind: Any) -> Q:
    rows = model.objects.filter(EffectiveDated.turning_q(first, second), **kind).order_by()
    return Q(pk__in=rows.values("person_id"))


def _deaths(first: dt.date, second: dt.date) -> Q:
    return Q(death_date__gt=first, death_date__lte=second)


def _source(name: str, first: dt.date, second: dt.date) -> Q:
    if name == "certificate":
        return _of_persons(Certificate, first, second)
    if name == "person_status":
        return _of_persons(PersonStatus, first, second)
    if name == "school":
        return _of_persons(SchoolEnrolment, first, second)
    if name == "residence":
        return _of_persons(Residence, first, second)
    if name == "household":
        rows = HouseholdStatus.objects.filter(EffectiveDated.turning_q(first, second)).order_by()
        return Q(household_id__in=rows.values("household_id"))
    surveys = NeedsSurvey.objects.filter(survey_date__gt=first, survey_date__lte=second)
    return Q(pk__in=surveys.order_by().values("person_id"))


def _birthdays(first: dt.date, second: dt.date) -> Q | None:
    """Every person with a birthday after ``first`` and by ``second`` (the age of one born
    on 29 February moves on 1 March in other years: 28 February to 1 March count as one)."""
    if (second - first).days >= 365:
        return None
    days: dict[int, set[int]] = {}
    day = first + dt.timedelta(days=1)
    while day <= second:
        days.setdefault(day.month, set()).add(day.day)
        if (day.month, day.day) in ((2, 28), (2, 29), (3, 1)):
            days.setdefault(2, set()).update({28, 29})
            days.setdefault(3, set()).add(1)
        day += dt.timedelta(days=1)
    q = Q(pk__in=[])
    for month, in_month in sorted(days.items()):
        q |= Q(birth_date__month=month, birth_date__day__in=sorted(in_month))
    return q


def _age_bounds(roots: Iterable[Node], first: dt.date) -> set[int] | None:
    """The whole numbers the rules compare the age with (``age >= 60``), or ``None`` when
    some rule uses the age otherwise (arithmetic, a comparison with another fact)."""
    bounds: set[int] = set()
    in_compare: set[int] = set()
    ages = 0
    for root in roots:
        for node in walk(root):
            if isinstance(node, Attr) and node.name == "age":
                ages += 1
            if not isinstance(node, Compare):
                continue
            for side, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(side, Attr) and side.name == "age" and person_free(other):
                    bound = evaluate.value(other, evaluate.ConstEnv(first))
                    if isinstance(bound, int) and not isinstance(bound, bool):
                        bounds.add(bound)
                        in_compare.add(id(side))
    return bounds if len(in_compare) == ages else None


def _age(roots: list[Node], first: dt.date, second: dt.date) -> Q | None:
    bounds = _age_bounds(roots, first)
    if bounds is None:
        return _birthdays(first, second)
    q = Q(pk__in=[])
    for n in sorted({b for bound in bounds for b in (bound, bound + 1)}):
        # age on d >= n  ⟺  birth_date <= d shifted back n years (``Compiler.age_at_least``)
        low, high = shift_years(first, -n), shift_years(second, -n)
        if low is not None and high is not None and low < high:
            q |= Q(birth_date__gt=low, birth_date__lte=high)
    return q


def _receiving(code: str, first: dt.date, second: dt.date) -> Q | None:
    q = Q(pk__in=[])
    if code in outside_payment_codes():
        q |= _of_persons(OutsidePayment, first, second, kind=code)
    for source in receiving_sources():
        if code in source.codes():
            if source.boundaries is None:
                return None
            q |= source.boundaries(code, first, second)
    return q


def _read(roots: list[Node]) -> tuple[set[str], set[tuple[str, str]]]:
    """The attributes and the calls (name, argument) the rules read."""
    names: set[str] = set()
    calls: set[tuple[str, str]] = set()
    for root in roots:
        for node in walk(root):
            if isinstance(node, Attr):
                names.add(node.name)
            elif isinstance(node, Call):
                calls.add((node.name, node.arg))
    return names, calls


def _attributes(names: set[str], roots: list[Node], first: dt.date, second: dt.date) -> Q | None:
    q = Q(pk__in=[])
    for source in sorted({_ROW_SOURCE[name] for name in names if name in _ROW_SOURCE}):
        q |= _source(source, first, second)
    if "alive" in names:
        q |= _deaths(first, second)
    if "household.members" in names:
        died = Person.objects.filter(_deaths(first, second)).order_by()
        q |= Q(household_id__in=died.values("household_id"))
    if "age" in names:
        age = _age(roots, first, second)
        if age is None:
            return None
        q |= age
    return q


def _calls(calls: set[tuple[str, str]], first: dt.date, second: dt.date) -> Q | None:
    q = Q(pk__in=[])
    for name, arg in sorted(calls):
        if name == "in_region":
            q |= _source("residence", first, second)
        elif name == "insured":
            q |= _of_persons(InsuranceEnrolment, first, second, kind=arg)
        else:
            receiving = _receiving(arg, first, second)
            if receiving is None:
                return None
            q |= receiving
    return q


def changed_between(first: dt.date, second: dt.date, roots: Iterable[Node]) -> Q | None:
    """The condition over ``Person`` (see the module docstring) for the facts ``roots``
    read, or ``None`` when one of them changes with the date in a way not listed here."""
    if second <= first:
        raise ValueError("the second date must be after the first")
    roots = list(roots)
    names, calls = _read(roots)
    if names - HANDLED or names & PERSON_FREE:
        return None
    of_attributes = _attributes(names, roots, first, second)
    of_calls = _calls(calls, first, second)
    if of_attributes is None or of_calls is None:
        return None
    return of_attributes | of_calls
