"""Which amount standard applies: the one owner of the ranking.

A standard names a county (or ``""``, the whole city) and a certificate level (or ``None``,
any level). Of the standards in force on a day that fit a person, the most specific
applies: county and level, then county, then city and level, then city. The person page
(``amount_for``), the monthly payment list (``StandardTable``) and the pay-the-higher SQL
(``exclusive.monthly_standard``) all rank with ``specificity`` here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

from dpf.benefits.models import AmountStandard, BenefitItem

T = TypeVar("T")


def specificity(region_code: str, level: int | None) -> int:
    """3 county and level, 2 county, 1 city and level, 0 city: the higher applies."""
    return (2 if region_code else 0) + (1 if level is not None else 0)


def most_specific_first(standards: Iterable[AmountStandard]) -> list[AmountStandard]:
    """The standards ordered as they are tried (a stable sort keeps ties in input order)."""
    return sorted(standards, key=lambda s: -specificity(s.region_code, s.level))


@dataclass(frozen=True)
class StandardTable(Generic[T]):
    """The standards of one benefit, read once; ``pick`` gives the one that applies.

    Each row is (region code, level, valid from, valid to, value); the value is the
    monthly amount (``load``) or the standard itself (``of``)."""

    rows: tuple[tuple[str, int | None, dt.date, dt.date | None, T], ...]

    @classmethod
    def load(cls, benefit: BenefitItem) -> StandardTable[Decimal]:
        rows = AmountStandard.objects.filter(benefit=benefit).values_list(
            "region_code", "level", "valid_from", "valid_to", "monthly_amount"
        )
        return StandardTable(tuple(rows))

    @classmethod
    def of(cls, standards: Iterable[AmountStandard]) -> StandardTable[AmountStandard]:
        return StandardTable(
            tuple((s.region_code, s.level, s.valid_from, s.valid_to, s) for s in standards)
        )

    def pick(self, county_code: str, level: int | None, day: dt.date) -> T | None:
        """The value of the most specific standard in force on ``day`` that fits."""
        best: T | None = None
        best_rank = -1
        for region, lvl, start, end, value in self.rows:
            if start > day or (end is not None and end < day):
                continue
            if region not in ("", county_code) or lvl not in (None, level):
                continue
            rank = specificity(region, lvl)
            if rank > best_rank:
                best, best_rank = value, rank
        return best
