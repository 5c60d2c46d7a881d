"""What a region keeps of a person who moved out of it (issue 17 part 1): read-only, the
history up to the move (residences in the region, the timeline to the day of the move),
never the person's later facts, full identity or contact. The person's current region
holds the record; this region's past figures stay in its stored monthly snapshots."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dpf.accounts.scoping import person_in_scope, region_in_scope
from dpf.core.dates import local_today as today
from dpf.core.errors import NotFound
from dpf.core.regions import display_names
from dpf.registry.models import Person, Residence
from dpf.registry.timeline_selectors import TimelineEvent, _facts_of, _timeline


@dataclass(frozen=True)
class MovedOut:
    person: Person
    residences: list[tuple[Residence, str]]  # the residences in the user's region, named
    moved_on: dt.date  # the first day the person lived elsewhere
    moved_to: str  # the county (旗县区) the person moved to then, by name
    timeline: list[TimelineEvent]


def moved_out_history(user: Any, person_id: int) -> MovedOut | None:
    """The history of a person who once lived in the user's region and lives outside it
    now; ``None`` when the person is in the user's region (their page is the person page);
    ``NotFound`` for anyone else (the same answer as for a person never there)."""
    person = Person.objects.defer("id_number", "phone").filter(pk=person_id).first()
    if person is None:
        raise NotFound("person")
    if person_in_scope(user, person_id=person.pk, village_code=person.village_code):
        return None
    facts = _facts_of(person)
    mine = [
        r
        for r in facts.residences
        if r.valid_to is not None and region_in_scope(user, r.village_code)
    ]
    if not mine:
        raise NotFound("person")
    moved_on = max(r.valid_to for r in mine if r.valid_to is not None) + dt.timedelta(days=1)
    arrived = next((r for r in facts.residences if r.valid_from == moved_on), None)
    county = arrived.village_code[:6] if arrived is not None else person.county_code
    names = display_names({r.village_code for r in facts.residences} | {county})
    # Nothing after the move: later residences, certificates, payments belong to the new
    # region (the move's own entry names only the village moved to).
    facts.residences = [r for r in facts.residences if r.valid_from <= moved_on]
    events = [e for e in _timeline(person, facts, names, today()) if e.date <= moved_on]
    return MovedOut(
        person=person,
        residences=[(r, names.get(r.village_code, r.village_code)) for r in mine],
        moved_on=moved_on,
        moved_to=names.get(county, county),
        timeline=events,
    )
