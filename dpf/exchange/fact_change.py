"""Working out the change one roster row makes to an effective-dated fact (pure, no queries).

The roster says "value V held over [F, T]" (T open when empty). Against the facts the
registry already holds for the same key (a household's status, a person's pension …):

* nothing overlaps [F, T]                      → insert a new fact;
* one fact overlaps, same value, starts ≤ F:   its end equals T → already up to date
                                               (unless the row states another reason
                                               for the end: it is written),
                                               else its end moves to T;
* one fact overlaps, starts before F:          it ends on F − 1 and a new fact starts;
* anything else (a later fact, several facts): conflict, left for a person to check.

History is never rewritten silently: a conflict changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Fact:
    id: int
    value: Any
    valid_from: dt.date
    valid_to: dt.date | None
    ending: Any = None  # why the fact ended (a school leave's reason), when the fact says

    def overlaps(self, start: dt.date, end: dt.date | None) -> bool:
        ends_after_start = self.valid_to is None or self.valid_to >= start
        starts_before_end = end is None or self.valid_from <= end
        return ends_after_start and starts_before_end


@dataclass(frozen=True)
class Change:
    """``outcome`` is ``will_change``, ``up_to_date`` or ``conflict``."""

    outcome: str
    before: Fact | None = None
    close_fact_id: int | None = None
    close_to: dt.date | None = None
    insert: bool = False


def change_for(
    facts: list[Fact], value: Any, start: dt.date, end: dt.date | None, ending: Any = None
) -> Change:
    """``ending``: why the row says the fact ends (``None``: not said; kept as it is)."""
    overlapping = [f for f in facts if f.overlaps(start, end)]
    if not overlapping:
        previous = max((f for f in facts if f.valid_from < start), default=None, key=_start)
        return Change("will_change", before=previous, insert=True)
    if len(overlapping) > 1:
        return Change("conflict", before=max(overlapping, key=_start))
    fact = overlapping[0]
    if fact.value == value and fact.valid_from <= start:
        if fact.valid_to == end:
            if end is None or ending is None or ending == fact.ending:
                return Change("up_to_date", before=fact)
            return Change("will_change", before=fact, close_fact_id=fact.id, close_to=end)
        # Ending later than ``fact`` may not run into a following fact.
        if any(f.id != fact.id and f.overlaps(fact.valid_from, end) for f in facts):
            return Change("conflict", before=fact)
        return Change("will_change", before=fact, close_fact_id=fact.id, close_to=end)
    if fact.valid_from < start:
        return Change(
            "will_change",
            before=fact,
            close_fact_id=fact.id,
            close_to=start - ONE_DAY,
            insert=True,
        )
    return Change("conflict", before=fact)


def _start(fact: Fact) -> dt.date:
    return fact.valid_from
