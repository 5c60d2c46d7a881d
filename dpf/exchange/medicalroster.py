"""The medical settlement roster (医保 one-stop settlements, 医疗救助): matching its rows
against the registry and committing them as the persons' ``MedicalSettlement`` rows.

A settlement is identified by its person and settlement number: a person may have several
in one roster (one row each). The same settlement sent again is "up to date"; a number the
registry already holds for the person with another date or other amounts is refused for a
person to check (a settlement is never rewritten silently).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from dpf.exchange.models import ImportBatch, ImportRow, Outcome
from dpf.exchange.parsing import cell_error
from dpf.registry.models import MedicalSettlement

AMOUNTS = ("total", "reimbursed", "assistance", "out_of_pocket")
CENT = Decimal("0.01")


def settlement_values(values: dict[str, Any]) -> dict[str, Any]:
    """A row's settlement as ``MedicalSettlement`` fields (``values`` as parsed)."""
    return {
        "settlement_no": values["settlement_no"],
        "settled_on": dt.date.fromisoformat(values["settled_on"]),
        **{name: Decimal(values[name]).quantize(CENT) for name in AMOUNTS},
    }


def describe(fields: dict[str, Any]) -> dict[str, Any]:
    """A JSON-safe summary for the preview (``display.describe`` words it)."""
    return {
        "settlement_no": fields["settlement_no"],
        "settled_on": fields["settled_on"].isoformat(),
        **{name: f"{fields[name]:.2f}" for name in AMOUNTS},
    }


def existing(person_ids: Iterable[int]) -> dict[int, dict[str, dict[str, Any]]]:
    """The settlements held for a chunk's persons, by person and number (one query)."""
    ids = list(person_ids)
    held: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    if not ids:
        return held
    for row in MedicalSettlement.objects.filter(person_id__in=ids).values(
        "person_id", "settlement_no", "settled_on", *AMOUNTS
    ):
        held[row.pop("person_id")][row["settlement_no"]] = row
    return held


def settlement_change(
    row: ImportRow, person: dict[str, Any], held: dict[str, dict[str, Any]]
) -> None:
    """Set the row's outcome: will record the settlement, up to date, or refused."""
    fields = settlement_values(row.values)
    row.target_id = person["id"]
    row.after = describe(fields)
    before = held.get(fields["settlement_no"])
    if before is not None:
        row.before = describe(before)
        if row.before == row.after:
            row.outcome = Outcome.UP_TO_DATE
        else:
            row.outcome = Outcome.INVALID
            row.errors.append(cell_error("结算单号", "settlement_conflict"))
        return
    row.outcome = Outcome.WILL_CHANGE
    row.new_from = fields["settled_on"]
    row.insert_fact = True


def commit(batch: ImportBatch, rows: QuerySet[ImportRow]) -> int:
    """Record the rows' settlements (bulk). A settlement of the same person and number
    recorded since the preview breaks the unique constraint: the commit fails as stale
    (``services.imports.batch_commit``) and writes nothing."""
    settlements = [
        MedicalSettlement(person_id=person_id, source=batch.source, **settlement_values(values))
        for person_id, values in rows.values_list("target_id", "values").iterator(chunk_size=5000)
        if person_id is not None  # set on every matched row
    ]
    MedicalSettlement.objects.bulk_create(settlements, batch_size=1000)
    return len(settlements)
