"""Entitlements as a source of ``receiving("code")`` in the rule language.

A person receives a benefit on a date when an entitlement period covers that date. A
suspension or termination closes the period the day before it takes effect, so the status
written later is never read here: a past date keeps its answer (issue 15 part 4).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from dpf.benefits.catalogue import shipped_catalogue, shipped_codes
from dpf.benefits.models import Entitlement
from dpf.core.models import EffectiveDated


def active_entitlements(code: str, as_of: dt.date) -> QuerySet[Entitlement]:
    """Entitlements of ``code`` in force on ``as_of`` (the dates alone decide)."""
    return Entitlement.objects.filter(EffectiveDated.as_of_q(as_of), benefit__code=code)


def receiving_sql(code: str, as_of: dt.date) -> Exists:
    """Over ``Person``: has an entitlement of ``code`` in force on ``as_of``."""
    return Exists(active_entitlements(code, as_of).filter(person_id=OuterRef("pk")))


def receiving_python(person_id: Any, code: str, as_of: dt.date) -> bool:
    return active_entitlements(code, as_of).filter(person_id=person_id).exists()


def receiving_held(person_id: Any, as_of: dt.date) -> set[str]:
    """Every benefit one person receives on ``as_of``, in one query."""
    return set(
        Entitlement.objects.filter(EffectiveDated.as_of_q(as_of), person_id=person_id).values_list(
            "benefit__code", flat=True
        )
    )


def receiving_boundaries(code: str, first: dt.date, second: dt.date) -> Q:
    """Over ``Person``: an entitlement of ``code`` starts after ``first`` and by ``second``,
    or ends from ``first`` to the day before ``second`` (``dpf.rules.boundaries``)."""
    rows = Entitlement.objects.filter(
        EffectiveDated.turning_q(first, second), benefit__code=code
    ).order_by()
    return Q(pk__in=rows.values("person_id"))


def receiving_labels() -> dict[str, tuple[str, str]]:
    """Benefit names for explanations (from the shipped file: no database needed)."""
    return {code: (b.name_zh, b.name_en) for code, b in shipped_catalogue().items()}


def receiving_codes() -> set[str]:
    """The benefit codes a rule may name: the shipped catalogue's (read from the file, so
    checking a rule never needs the database)."""
    return shipped_codes()


def register() -> None:
    from dpf.rules.catalogue import register_receiving_source

    register_receiving_source(
        "benefits",
        sql=receiving_sql,
        python=receiving_python,
        codes=receiving_codes,
        held=receiving_held,
        labels=receiving_labels,
        boundaries=receiving_boundaries,
    )
