"""Validating a staged roster: parse every row, match it against the registry, work out the
change, and store one ``ImportRow`` per row. Streaming: rows are read, looked up and
written in chunks, so memory does not grow with the file.

Nothing here writes to the registry. Each chunk is its own short transaction so the
batch page can show progress while a large file is being validated. A run first claims
the batch (``ImportBatch.validation_run``) and writes only while the claim is still its
own: validating again (after a crash, or because the registry changed) starts from
scratch, and a run that was taken over or whose batch was cancelled stops at its next
chunk. The same file validated again gives the same rows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from dpf.accounts.scoping import roster_match_filter
from dpf.core import crypto
from dpf.core.table_limits import import_limits
from dpf.core.tables import FileRefused
from dpf.exchange import medicalroster, surveyroster
from dpf.exchange.fact_change import Change, Fact, change_for
from dpf.exchange.models import BatchStatus, ImportBatch, ImportRow, Outcome
from dpf.exchange.parsing import ParsedRow, cell_error, parse_row, signature
from dpf.exchange.reading import open_table
from dpf.exchange.rostertypes import ROSTER_TYPES, RosterType, Target, normalize_name
from dpf.exchange.targets import FACT_TARGETS
from dpf.registry.models import Person

CHUNK_SIZE = 2000
# A validation writes progress at least every chunk (a second or two); one silent this
# long has died (or never started) and may be run again.
STALL_SECONDS = 120
Progress = Callable[[ImportBatch], None]

INTERRUPTED = {
    "code": "internal",
    "message": "校验中断，请点击“重新校验”，或联系管理员",
    "message_en": "validation was interrupted; validate again, or ask an admin",
    "field": "file",
    "row": None,
}


def imports_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_file(batch: ImportBatch) -> Path:
    return imports_dir() / f"{batch.pk}.{batch.file_format}"


def store_file(batch: ImportBatch, data: bytes) -> None:
    """Keep the uploaded roster, encrypted (it holds ID numbers), until commit or cancel."""
    crypto.write_media_file(stored_file(batch), data)


def read_stored_file(batch: ImportBatch) -> bytes:
    try:
        return crypto.read_media_file(stored_file(batch))
    except FileNotFoundError:
        raise FileRefused("file_gone") from None


def is_stalled(batch: ImportBatch, now: dt.datetime) -> bool:
    """Validating, but silent for ``STALL_SECONDS``: the process died or never started."""
    return (
        batch.status == BatchStatus.VALIDATING
        and (now - batch.updated_at).total_seconds() > STALL_SECONDS
    )


class Superseded(Exception):
    """The batch was cancelled, or another run took it over: this run stops writing."""


@dataclass
class _State:
    """What earlier rows of the file said, to spot duplicates and conflicts."""

    by_person: dict[str, tuple[int, tuple[Any, ...]]] = field(default_factory=dict)
    by_household: dict[int, tuple[int, tuple[Any, ...]]] = field(default_factory=dict)
    # Rows already written that a later row proved conflicting: row number → error.
    invalidate: dict[int, dict[str, Any]] = field(default_factory=dict)
    rows: int = 0


def _claim(batch: ImportBatch) -> str | None:
    """Make this run the batch's validation; None when the batch is committed or cancelled."""
    run = uuid.uuid4().hex
    now = timezone.now()
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status in (BatchStatus.COMMITTED, BatchStatus.CANCELLED):
            batch.refresh_from_db()
            return None
        ImportRow.objects.filter(batch=batch).delete()
        fresh: dict[str, Any] = {
            "status": BatchStatus.VALIDATING,
            "validation_run": run,
            "validated_at": now,
            "progress": 0,
            "rows_read": 0,
            "rows_total": None,
            "errors": [],
            "counts": {},
            "ignored_columns": [],
            "updated_at": now,
        }
        ImportBatch.objects.filter(pk=batch.pk).update(**fresh)
    for name, value in fresh.items():
        setattr(batch, name, value)
    return run


def _hold(batch: ImportBatch, run: str, **changes: Any) -> None:
    """Inside a transaction: write ``changes`` if the claim is still this run's (the row
    stays locked until the transaction ends); else raise :class:`Superseded`."""
    changes["updated_at"] = timezone.now()
    owned = ImportBatch.objects.filter(
        pk=batch.pk, validation_run=run, status=BatchStatus.VALIDATING
    ).update(**changes)
    if not owned:
        raise Superseded
    for name, value in changes.items():
        setattr(batch, name, value)


def batch_validate(
    batch: ImportBatch,
    *,
    chunk_size: int = CHUNK_SIZE,
    on_progress: Progress | None = None,
    today: dt.date | None = None,
) -> ImportBatch:
    """Validate ``batch`` from its stored file; leaves it ``previewed`` or ``failed``.

    Re-runnable: whatever an earlier run left (a crash mid-way) is removed first. A batch
    already committed or cancelled is left as it is.
    """
    rtype = ROSTER_TYPES[batch.roster_type]
    today = today or timezone.localdate()
    run = _claim(batch)
    if run is None:
        return batch
    try:
        _validate_rows(batch, run, rtype, chunk_size, on_progress, today)
    except Superseded:
        _after_superseded(batch, run)
    except FileRefused as exc:
        _refused(batch, run, exc)
    except BaseException:
        _interrupted(batch, run)
        raise
    if on_progress is not None:
        on_progress(batch)
    return batch


def _validate_rows(
    batch: ImportBatch,
    run: str,
    rtype: RosterType,
    chunk_size: int,
    on_progress: Progress | None,
    today: dt.date,
) -> None:
    # Counted before any row is validated: a file over a limit is refused with no row written.
    table = open_table(rtype, read_stored_file(batch), batch.file_format, import_limits())
    with transaction.atomic():
        _hold(batch, run, rows_total=table.rows_total, ignored_columns=table.ignored)
    state = _State()
    chunk: list[ParsedRow] = []
    for row_number, cells in table.rows:
        chunk.append(parse_row(rtype, table.headers, cells, row_number, today=today))
        if len(chunk) >= chunk_size:
            _store_chunk(batch, run, rtype, chunk, state)
            chunk = []
            _progress(batch, run, state, table.position(), on_progress)
    if chunk:
        _store_chunk(batch, run, rtype, chunk, state)
    if state.rows == 0:
        raise FileRefused("no_rows")
    with transaction.atomic():
        _hold(batch, run)  # locks the batch: no other run can start in between
        _apply_invalidations(batch, state)
        _hold(
            batch,
            run,
            counts=outcome_counts(batch),
            status=BatchStatus.PREVIEWED,
            progress=100,
            rows_read=state.rows,
        )


def _refused(batch: ImportBatch, run: str, exc: FileRefused) -> None:
    """The file cannot become a roster: no row kept, nor the file (it may hold ID numbers)."""
    try:
        with transaction.atomic():
            _hold(batch, run)
            ImportRow.objects.filter(batch=batch).delete()
            _hold(
                batch,
                run,
                status=BatchStatus.FAILED,
                errors=[{**exc.as_dict(), "row": exc.row}],
                progress=100,
            )
            path = stored_file(batch)
            transaction.on_commit(lambda: path.unlink(missing_ok=True))
    except Superseded:
        _after_superseded(batch, run)


def _interrupted(batch: ImportBatch, run: str) -> None:
    """An unexpected error: the batch is ``failed`` (no partial rows) and may be validated
    again; the error itself propagates to the log."""
    try:
        with transaction.atomic():
            _hold(batch, run)
            ImportRow.objects.filter(batch=batch).delete()
            _hold(batch, run, status=BatchStatus.FAILED, errors=[INTERRUPTED], progress=0)
    except Superseded:
        _after_superseded(batch, run)


def _after_superseded(batch: ImportBatch, run: str) -> None:
    """Cancelled meanwhile: drop this run's rows. Taken over: the new run owns the rows."""
    ImportRow.objects.filter(
        batch=batch,
        batch__status=BatchStatus.CANCELLED,
        batch__validation_run=run,
    ).delete()
    batch.refresh_from_db()


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
    batch: ImportBatch, run: str, state: _State, fraction: float, on_progress: Progress | None
) -> None:
    with transaction.atomic():
        _hold(
            batch,
            run,
            rows_read=state.rows,
            progress=max(0, min(99, int(fraction * 100))),
        )
    if on_progress is not None:
        on_progress(batch)


def _store_chunk(
    batch: ImportBatch, run: str, rtype: RosterType, chunk: list[ParsedRow], state: _State
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
    facts: dict[int, Any] = {}
    if rtype.target == Target.NEEDS_SURVEY:
        facts = surveyroster.existing(p["id"] for p in persons.values())
    elif rtype.target == Target.MEDICAL_SETTLEMENT:
        facts = medicalroster.existing(p["id"] for p in persons.values())
    elif target is not None:
        keys = {
            p["household_id"] if target.key == "household_id" else p["id"] for p in persons.values()
        }
        facts = target.existing(rtype, (k for k in keys if k is not None))
    rows = [_classify(batch, rtype, parsed, persons, facts, state) for parsed in chunk]
    with transaction.atomic():
        _hold(batch, run)
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
    if target is not None and target.end_fields:
        ends = fact.ending if len(target.end_fields) > 1 else (fact.ending,)
        data.update({f: v or None for f, v in zip(target.end_fields, ends, strict=True)})
    return data


def _classify(
    batch: ImportBatch,
    rtype: RosterType,
    parsed: ParsedRow,
    persons: dict[str, dict[str, Any]],
    facts: dict[int, Any],
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
    key = _row_key(rtype, parsed)
    earlier = state.by_person.get(key)
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
    state.by_person[key] = (parsed.row_number, sig)
    person = persons.get(parsed.id_hash)
    if person is None:
        row.outcome = Outcome.NOT_FOUND
        return row
    row.person_id = person["id"]
    if rtype.target == Target.DEATH:
        _death_change(row, person)
    elif rtype.target == Target.NEEDS_SURVEY:
        surveyroster.survey_change(row, person, facts[person["id"]])
    elif rtype.target == Target.MEDICAL_SETTLEMENT:
        medicalroster.settlement_change(row, person, facts[person["id"]])
    else:
        _fact_change(rtype, row, person, facts, state, sig)
    if row.outcome != Outcome.INVALID and normalize_name(person["name"]) != parsed.values.get(
        "name"
    ):
        row.outcome = Outcome.NAME_DIFFERS
    return row


def _row_key(rtype: RosterType, parsed: ParsedRow) -> str:
    """What a roster holds once: a person; a person's settlement (a person's settlements
    are one row each, by settlement number)."""
    if rtype.target == Target.MEDICAL_SETTLEMENT:
        return f"{parsed.id_hash}:{parsed.values['settlement_no']}"
    return parsed.id_hash


def _id_header(rtype: RosterType) -> str:
    column = rtype.column("id_number")
    return column.header if column else "身份证号码"


def _death_change(row: ImportRow, person: dict[str, Any]) -> None:
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


def _fact_change(
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
    ending = target.row_ending(values)
    change: Change = change_for(facts.get(key, []), value, start, end, ending)
    row.target_id = key
    row.before = _fact_dict(rtype, change.before)
    # The end's reason goes with the end the row states (none on an open end).
    ends = {f: values.get(f) or None for f in target.end_fields}
    after = {
        "valid_from": values["valid_from"],
        "valid_to": end_text or None,
        **{f: values.get(f) for f in target.value_fields},
        **ends,
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
            **ends,
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
