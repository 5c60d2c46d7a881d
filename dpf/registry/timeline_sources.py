"""Services a person received, on the person's timeline (issue 18 part 11).

The services are kept by apps above the registry (``dpf.services``, ``dpf.employment``,
``dpf.social``); imports point down, so each of them registers here, in its ``ready()``,
a function that reads one person's events. Each source reads a fixed number of queries
whatever the number of its events (a list per model, related rows joined), so the
timeline's query count does not grow with the person's history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from dpf.registry.models import Person


@dataclass(frozen=True)
class ServiceEvent:
    """One service a person received: the date, what happened in words (never a code),
    the detail (institution, kind), and who said so (``user:<id>`` names the staff member
    who recorded it, as the registry's own sources do)."""

    date: dt.date
    label: str
    detail: str
    source: str
    order: int = 0


Source = Callable[[Person], list[ServiceEvent]]
_SOURCES: dict[str, Source] = {}


def register(name: str, source: Source) -> None:
    """An app above the registry says how its services of one person are read."""
    _SOURCES[name] = source


def service_events(person: Person) -> list[ServiceEvent]:
    """Every registered source's events of ``person`` (the sources in registration order)."""
    events: list[ServiceEvent] = []
    for source in _SOURCES.values():
        events.extend(source(person))
    return events


def recorded_by(user_id: int | None) -> str:
    """The source of an event recorded by a staff member (``source_label`` names them)."""
    return f"user:{user_id}" if user_id else "staff"


def anchored(person: Person, via: str = "") -> dict[str, str]:
    """A source's filter joining the person on their county, the distribution key under
    Citus (docs/scaling.md), so a read stays on the person's shard. Not the record's own
    ``county_code``: a record keeps the county it was made in, and the history follows the
    person who moved. ``via``: the path to the person (``"plan__"``)."""
    return {f"{via}person__county_code": person.county_code}
