"""Where each roster type writes: the fact model, its key, its value columns.

Used both to look up the facts a chunk of rows will touch (one query per chunk) and to
build the new facts at commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models

from dpf.exchange.fact_change import Fact
from dpf.exchange.models import FamilyDoctorContract
from dpf.exchange.rostertypes import RosterType, Target
from dpf.registry.models import (
    HouseholdStatus,
    InsuranceEnrolment,
    OutsidePayment,
    SchoolEnrolment,
)


@dataclass(frozen=True)
class FactTarget:
    model: type[models.Model]
    key: str  # "household_id" or "person_id"
    value_fields: tuple[str, ...]
    # Why a fact ended (a school leave's reason): written with the end the row states, not
    # part of the value (the same enrolment ending is not a different enrolment). A row
    # key of the same name holds it.
    end_fields: tuple[str, ...] = ()

    def filter_for(self, rtype: RosterType) -> dict[str, Any]:
        if rtype.target == Target.INSURANCE:
            return {"kind": rtype.insurance_kind}
        if rtype.target == Target.OUTSIDE_PAYMENT:
            return {"kind": rtype.payment_kind}
        return {}

    def row_value(self, values: dict[str, Any]) -> Any:
        """The value a row states, comparable with :attr:`Fact.value`."""
        if not self.value_fields:
            return None
        if len(self.value_fields) == 1:
            return values.get(self.value_fields[0])
        return tuple(values.get(f) for f in self.value_fields)

    def end_codes(self, name: str) -> list[str]:
        """The codes an end field may hold (its choices)."""
        field = self.model._meta.get_field(name)
        assert isinstance(field, models.Field)
        return [str(code) for code, _label in field.flatchoices]

    def row_ending(self, values: dict[str, Any]) -> Any:
        """Why the row says the fact ends, comparable with :attr:`Fact.ending`; ``None``
        when it does not say."""
        if not self.end_fields:
            return None
        parts = [values.get(f) for f in self.end_fields]
        if not any(parts):
            return None
        return _value([p or "" for p in parts])

    def existing(self, rtype: RosterType, keys: Iterable[int]) -> dict[int, list[Fact]]:
        """The facts held for ``keys`` (one query)."""
        found: dict[int, list[Fact]] = defaultdict(list)
        keys = list(keys)
        if not keys:
            return found
        columns = ("id", self.key, "valid_from", "valid_to", *self.value_fields, *self.end_fields)
        query = self.model._default_manager.filter(
            **{f"{self.key}__in": keys}, **self.filter_for(rtype)
        ).values_list(*columns)
        n = len(self.value_fields)
        for row in query:
            fact_id, key, start, end, *rest = row
            value, ending = rest[:n], rest[n:]
            found[key].append(Fact(fact_id, _value(value), start, end, _value(ending)))
        return found

    def new_fact(
        self,
        rtype: RosterType,
        *,
        key: int,
        values: dict[str, Any],
        source: str,
    ) -> models.Model:
        fields: dict[str, Any] = {
            self.key: key,
            "valid_from": dt.date.fromisoformat(values["valid_from"]),
            "valid_to": _date(values.get("valid_to")),
            "source": source,
            **self.filter_for(rtype),
        }
        for name in (*self.value_fields, *self.end_fields):
            fields[name] = values.get(name) or ""
        if rtype.target == Target.SCHOOL:
            fields["mode"] = school_mode(values.get("school") or "")
        return self.model(**fields)


def _value(parts: list[Any]) -> Any:
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return tuple(parts)


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def school_mode(school: str) -> str:
    """Special schools and home teaching are recognised from the school's name."""
    if "送教" in school:
        return SchoolEnrolment.Mode.HOME
    if "特殊教育" in school or "特教" in school or "启智" in school or "聋哑" in school:
        return SchoolEnrolment.Mode.SPECIAL
    return SchoolEnrolment.Mode.REGULAR


FACT_TARGETS: dict[Target, FactTarget] = {
    Target.HOUSEHOLD_STATUS: FactTarget(HouseholdStatus, "household_id", ("status",)),
    Target.INSURANCE: FactTarget(InsuranceEnrolment, "person_id", ()),
    Target.SCHOOL: FactTarget(
        SchoolEnrolment, "person_id", ("school", "grade"), end_fields=("leave_reason",)
    ),
    Target.FAMILY_DOCTOR: FactTarget(FamilyDoctorContract, "person_id", ("institution",)),
    Target.OUTSIDE_PAYMENT: FactTarget(OutsidePayment, "person_id", ()),
}
