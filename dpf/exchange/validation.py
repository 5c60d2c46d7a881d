"""Validating a staged roster: parse every row, match it against the registry, plan the
change, and store one ``ImportRow`` per row. Streaming: rows are read, looked up and
written in chunks, so memory does not grow with the file.

Nothing here writes to the registry. Each chunk is its own short transaction so the
batch page can show progress while a large file is being validated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from dpf.accounts.scoping import roster_match_filter
from dpf.exchange.models import BatchStatus, ImportBatch, ImportRow, Outcome
from dpf.exchange.parsing import ParsedRow, cell_error, parse_row, signature
from dpf.exchange.plan import Change, Fact, plan_change
from dpf.exchange.reading import FileRefused, open_table
from dpf.exchange.rostertypes import ROSTER_TYPES, RosterType, Target, normalize_name
from dpf.exchange.targets import FACT_TARGETS
from dpf.registry.models import Person

CHUNK_SIZE = 2000
Progress = Callable[[ImportBatch], None]


def imports_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_file(batch: ImportBatch) -> Path:
    return imports_dir() / f"{batch.pk}.{batch.file_format}"


@dataclass
class _State:
    """What earlier rows of the file said, to spot duplicates and conflicts."""

    by_person: dict[str, tuple[int, tuple[Any, ...]]] = field(default_factory=dict)
    by_household: dict[int, tuple[int, tuple[Any, ...]]] = field(default_factory=dict)
    # Rows already written that a later row proved conflicting: row number → error.
    invalidate: dict[int, dict[str, Any]] = field(default_factory=dict)
    rows: int = 0


def batch_validate(
    batch: ImportBatch,
    *,
    chunk_size: int = CHUNK_SIZE,
    on_progress: Progress | None = None,
    today: dt.date | None = None,
) -> ImportBatch:
    """Validate ``batch`` from its stored file; leaves it ``previewed`` or ``failed``."""
    rtype = ROSTER_TYPES[batch.roster_type]
    today = today or timezone.localdate()
    ImportRow.objects.filter(batch=batch).delete()
    batch.status = BatchStatus.VALIDATING
    batch.validated_at = timezone.now()
    batch.progress = 0
    batch.rows_read = 0
    batch.errors = []
    batch.counts = {}
    batch.save(
        update_fields=["status", "validated_at", "progress", "rows_read", "errors", "counts"]
    )
    try:
        table = open_table(rtype, stored_file(batch), batch.file_format)
        batch.ignored_columns = table.ignored
        batch.save(update_fields=["ignored_columns"])
        state = _State()
        chunk: list[ParsedRow] = []
        for row_number, cells in table.rows:
            chunk.append(parse_row(rtype, table.headers, cells, row_number, today=today))
            if len(chunk) >= chunk_size:
                _store_chunk(batch, rtype, chunk, state)
                chunk = []
                _progress(batch, state, table.position(), on_progress)
        if chunk:
            _store_chunk(batch, rtype, chunk, state)
        if state.rows == 0:
            raise FileRefused("no_rows")
    except FileRefused as exc:
        # The file cannot become a roster: nothing to keep (it may hold ID numbers).
        stored_file(batch).unlink(missing_ok=True)
        ImportRow.objects.filter(batch=batch).delete()
        batch.status = BatchStatus.FAILED
        batch.errors = [{**exc.as_dict(), "row": exc.row}]
        batch.progress = 100
        batch.save(update_fields=["status", "errors", "progress"])
        return batch
    _apply_invalidations(batch, state)
    batch.counts = outcome_counts(batch)
    batch.status = BatchStatus.PREVIEWED
    batch.progress = 100
    batch.rows_read = state.rows
    batch.save(update_fields=["counts", "status", "progress", "rows_read"])
    if on_progress is not None:
        on_progress(batch)
    return batch


def outcome_counts(batch: ImportBatch) -> dict[str, int]:
    counts = {str(o): 0 for o in Outcome}
    for outcome, n in (
        ImportRow.objects.filter(batch=batch)
        .values_list("outcome")
        .annotate(n=models.Count("id"))
        .values_list("outcome", "n")
    ):
        counts[outcome] = n
    counts["total"] = sum(counts.values())
    return counts


def _progress(
    batch: ImportBatch, state: _State, fraction: float, on_progress: Progress | None
) -> None:
    batch.rows_read = state.rows
    batch.progress = max(0, min(99, int(fraction * 100)))
    ImportBatch.objects.filter(pk=batch.pk).update(
        rows_read=batch.rows_read, progress=batch.progress, updated_at=timezone.now()
    )
    if on_progress is not None:
        on_progress(batch)


def _store_chunk(
    batch: ImportBatch, rtype: RosterType, chunk: list[ParsedRow], state: _State
) -> None:
    hashes = {r.id_hash for r in chunk if r.id_hash} | {
        r.corrected_hash for r in chunk if r.corrected_hash
    }
    scope = roster_match_filter(batch.uploaded_by)
    persons: dict[str, dict[str, Any]] = {}
    if scope is not None and hashes:
        for person in (
            Person.objects.filter(scope, id_number_hash__in=hashes)
            .values("id", "id_number_hash", "name", "household_id", "death_date")
            .iterator()
        ):
            persons[person["id_number_hash"]] = dict(person)
    target = FACT_TARGETS.get(rtype.target)
    facts: dict[int, list[Fact]] = {}
    if target is not None:
        keys = {
            p["household_id"] if target.key == "household_id" else p["id"] for p in persons.values()
        }
        facts = target.existing(rtype, (k for k in keys if k is not None))
    rows = [_classify(batch, rtype, parsed, persons, facts, state) for parsed in chunk]
    with transaction.atomic():
        ImportRow.objects.bulk_create(rows, batch_size=1000)
    state.rows += len(chunk)


def _fact_dict(rtype: RosterType, fact: Fact | None) -> dict[str, Any] | None:
    if fact is None:
        return None
    data: dict[str, Any] = {
        "valid_from": fact.valid_from.isoformat(),
        "valid_to": fact.valid_to.isoformat() if fact.valid_to else None,
    }
    target = FACT_TARGETS.get(rtype.target)
    if target is not None and target.value_fields:
        parts = fact.value if len(target.value_fields) > 1 else (fact.value,)
        data.update(dict(zip(target.value_fields, parts, strict=True)))
    return data


def _classify(
    batch: ImportBatch,
    rtype: RosterType,
    parsed: ParsedRow,
    persons: dict[str, dict[str, Any]],
    facts: dict[int, list[Fact]],
    state: _State,
) -> ImportRow:
    row = ImportRow(
        batch=batch,
        row_number=parsed.row_number,
        id_hash=parsed.id_hash,
        id_masked=parsed.id_masked,
        values=parsed.values,
        errors=list(parsed.errors),
    )
    if parsed.errors:
        row.outcome = Outcome.INVALID
        corrected = persons.get(parsed.corrected_hash) if parsed.corrected_hash else None
        if corrected is not None:  # check character wrong, but a registered person matches
            row.person_id = corrected["id"]
            row.note = "check_character"
        return row
    sig = signature(rtype, parsed.values)
    earlier = state.by_person.get(parsed.id_hash)
    if earlier is not None:
        first_row, first_sig = earlier
        if first_sig == sig:
            row.errors.append(cell_error(_id_header(rtype), "duplicate_row", row=first_row))
        else:
            row.errors.append(cell_error(_id_header(rtype), "conflict_row", row=first_row))
            state.invalidate.setdefault(
                first_row, cell_error(_id_header(rtype), "conflict_row", row=parsed.row_number)
            )
        row.outcome = Outcome.INVALID
        return row
    state.by_person[parsed.id_hash] = (parsed.row_number, sig)
    person = persons.get(parsed.id_hash)
    if person is None:
        row.outcome = Outcome.NOT_FOUND
        return row
    row.person_id = person["id"]
    if rtype.target == Target.DEATH:
        _plan_death(row, person)
    else:
        _plan_fact(rtype, row, person, facts, state, sig)
    if row.outcome != Outcome.INVALID and normalize_name(person["name"]) != parsed.values.get(
        "name"
    ):
        row.outcome = Outcome.NAME_DIFFERS
    return row


def _id_header(rtype: RosterType) -> str:
    column = rtype.column("id_number")
    return column.header if column else "身份证号码"


def _plan_death(row: ImportRow, person: dict[str, Any]) -> None:
    death = row.values["death_date"]
    current = person["death_date"]
    row.before = {"death_date": current.isoformat() if current else None}
    row.after = {"death_date": death}
    row.target_id = person["id"]
    row.new_from = dt.date.fromisoformat(death)
    if current is None:
        row.outcome = Outcome.WILL_CHANGE
    elif current.isoformat() == death:
        row.outcome = Outcome.UP_TO_DATE
    else:
        row.outcome = Outcome.INVALID
        row.errors.append(cell_error("死亡日期", "death_conflict"))


def _plan_fact(
    rtype: RosterType,
    row: ImportRow,
    person: dict[str, Any],
    facts: dict[int, list[Fact]],
    state: _State,
    sig: tuple[Any, ...],
) -> None:
    target = FACT_TARGETS[rtype.target]
    values = row.values
    if target.key == "household_id":
        key = person["household_id"]
        if key is None:
            row.outcome = Outcome.INVALID
            row.errors.append(cell_error(_id_header(rtype), "no_household"))
            return
        earlier = state.by_household.get(key)
        if earlier is not None:
            first_row, first_sig = earlier
            if first_sig == sig:
                row.outcome = Outcome.UP_TO_DATE
                row.target_id = key
                row.note = f"same_household:{first_row}"
            else:
                row.outcome = Outcome.INVALID
                row.errors.append(
                    cell_error(_id_header(rtype), "conflict_household", row=first_row)
                )
                state.invalidate.setdefault(
                    first_row,
                    cell_error(_id_header(rtype), "conflict_household", row=row.row_number),
                )
            return
        state.by_household[key] = (row.row_number, sig)
    else:
        key = person["id"]
    start = dt.date.fromisoformat(values["valid_from"])
    end_text = values.get("valid_to")
    end = dt.date.fromisoformat(end_text) if end_text else None
    value = target.row_value(values)
    change: Change = plan_change(facts.get(key, []), value, start, end)
    row.target_id = key
    row.before = _fact_dict(rtype, change.before)
    after = {
        "valid_from": values["valid_from"],
        "valid_to": end_text or None,
        **{f: values.get(f) for f in target.value_fields},
    }
    if change.outcome == "conflict":
        row.outcome = Outcome.INVALID
        row.errors.append(cell_error(_id_header(rtype), "history_conflict"))
        row.after = after
        return
    if change.outcome == "up_to_date":
        row.outcome = Outcome.UP_TO_DATE
        row.after = row.before
        return
    row.outcome = Outcome.WILL_CHANGE
    row.close_fact_id = change.close_fact_id
    row.close_to = change.close_to
    row.insert_fact = change.insert
    if change.insert:
        row.new_from, row.new_to = start, end
        if change.close_fact_id is not None and change.close_to is not None:
            after["previous_ends"] = change.close_to.isoformat()
        row.after = after
    else:
        assert change.before is not None
        row.after = dict(
            _fact_dict(rtype, change.before) or {},
            valid_to=change.close_to.isoformat() if change.close_to else None,
        )


def _apply_invalidations(batch: ImportBatch, state: _State) -> None:
    """Rows that a later row contradicted become invalid too (set-based, chunked)."""
    numbers = sorted(state.invalidate)
    for start in range(0, len(numbers), 1000):
        part = numbers[start : start + 1000]
        rows = list(ImportRow.objects.filter(batch=batch, row_number__in=part))
        for row in rows:
            row.errors = [*row.errors, state.invalidate[row.row_number]]
            row.outcome = Outcome.INVALID
            row.close_fact_id = None
            row.close_to = None
            row.insert_fact = False
        ImportRow.objects.bulk_update(
            rows, ["errors", "outcome", "close_fact_id", "close_to", "insert_fact"]
        )
