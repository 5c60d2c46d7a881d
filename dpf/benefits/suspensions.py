"""Entitlements as the source of the rule attribute ``allowance_suspended_days``: the whole
days from the last day of a person's latest entitlement period that ended ``suspended``
before the date, to the date, leaving out a benefit received again on the date (resumed);
-1 when none. Return-to-poverty monitoring reads it (an allowance suspended in the last N
days). The status is written when the period is closed and never reaches back into it, so a
past date keeps its answer (``models.Entitlement``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef, Subquery

from dpf.benefits.models import Entitlement, EntitlementStatus
from dpf.core.models import EffectiveDated
from dpf.rules.sql import DaysSince


def suspended_days_sql(as_of: dt.date) -> Any:
    """Over ``Person``: the days since the latest suspension not resumed (NULL: none)."""
    resumed = Entitlement.objects.filter(
        EffectiveDated.as_of_q(as_of),
        person_id=OuterRef("person_id"),
        benefit_id=OuterRef("benefit_id"),
    )
    last_days = (
        Entitlement.objects.filter(
            person_id=OuterRef("pk"), status=EntitlementStatus.SUSPENDED, valid_to__lt=as_of
        )
        .exclude(Exists(resumed))
        .order_by("-valid_to")
        .values("valid_to")[:1]
    )
    return DaysSince(Subquery(last_days), as_of)


def suspended_days_python(person_id: Any, as_of: dt.date) -> int:
    """The same for one person, in one query."""
    rows = list(
        Entitlement.objects.filter(person_id=person_id).values_list(
            "benefit_id", "status", "valid_from", "valid_to"
        )
    )
    received = {
        benefit
        for benefit, _status, start, end in rows
        if start <= as_of and (end is None or end >= as_of)
    }
    ends = [
        end
        for benefit, status, _start, end in rows
        if status == EntitlementStatus.SUSPENDED
        and end is not None
        and end < as_of
        and benefit not in received
    ]
    return (as_of - max(ends)).days if ends else -1


def register() -> None:
    from dpf.rules.catalogue import register_attribute_source

    register_attribute_source(
        "allowance_suspended_days", sql=suspended_days_sql, python=suspended_days_python
    )
