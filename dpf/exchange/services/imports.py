"""Roster imports: stage a file or an API push, validate, commit or cancel.

Commit is one transaction of set-based statements: an UPDATE that moves the end of the
facts being closed (a correlated subquery reads each new end from the staged rows), then
one ``INSERT … SELECT`` of the new facts from the staged rows (no row passes through
Python; the school roster, whose mode is read from the school's name, still builds its
facts in Python), then what the apps above add (``commit_hooks``: the
school roster's leavers on the not-enrolled list), then the scan queue. A crash at any
point leaves the registry as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import time
from typing import IO, Any

from django.db import IntegrityError, connection, models, transaction
from django.db.models import (
    Case,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce
from django.utils import timezone

from dpf.accounts.models import User
from dpf.accounts.permissions import require_permission
from dpf.benefits import services as benefit_services
from dpf.core import audit
from dpf.core.errors import DomainError, ValidationFailed
from dpf.core.inputs import refuse
from dpf.core.table_limits import import_limits, megabytes
from dpf.core.tables import FileRefused, check_archive, read_upload, sniff_format
from dpf.exchange import commit_hooks, jobs, medicalroster, selectors, surveyroster
from dpf.exchange.models import (
    BatchStatus,
    Channel,
    DuplicateSuspect,
    ImportBatch,
    ImportRow,
    Outcome,
    SuspectKind,
)
from dpf.exchange.rostertypes import ROSTER_TYPES, RosterType, Target
from dpf.exchange.services.suspects import duplicates_find
from dpf.exchange.targets import FACT_TARGETS, FactTarget
from dpf.exchange.validation import (
    batch_validate,
    is_stalled,
    store_file,
    stored_file,
)
from dpf.jobs.models import Job
from dpf.jobs.services import job_start
from dpf.registry.models import Person
from dpf.registry.services import mark_facts_changed

MAX_API_ROWS = 100_000
INSERT_CHUNK = 2000


def max_upload_bytes() -> int:
    return import_limits().max_bytes


def _roster_type(code: str) -> RosterType:
    rtype = ROSTER_TYPES.get(code)
    if rtype is None:
        raise refuse("roster_type", "名单类型无效", "unknown roster type", "roster_type")
    return rtype


def _already_imported(batch: ImportBatch) -> ValidationFailed:
    when = timezone.localtime(batch.committed_at or batch.created_at)
    return refuse(
        "already_imported",
        f"该文件已导入（批次 {batch.pk}，{when:%Y-%m-%d %H:%M}）",
        f"already imported (batch {batch.pk})",
        "file",
    )


# --- staging ---------------------------------------------------------------------------


def batch_upload(
    *,
    actor: User,
    roster_type: str,
    file_name: str,
    stream: IO[bytes],
    size: int | None = None,
    channel: str = Channel.WEB,
    department: str = "",
    file_format: str | None = None,
) -> ImportBatch:
    """Stage an uploaded roster for validation: kept encrypted outside the web root.

    Refused before anything is read when the declared size is over the limit; refused
    with nothing written when the file is empty, not a spreadsheet, an .xlsx that would
    unpack beyond the limits (judged from its zip directory), or already committed (same
    type and content). Rows are counted and validated afterwards, in the background.
    """
    require_permission(actor, "import", "roster")
    rtype = _roster_type(roster_type)
    limits = import_limits()
    if size is None:
        try:
            size = os.fstat(stream.fileno()).st_size
        except (AttributeError, OSError, ValueError):
            size = None
    if size is not None and size > limits.max_bytes:
        raise FileRefused("file_too_large", limit=megabytes(limits.max_bytes))
    data = read_upload(stream, limits)
    if not data:
        raise FileRefused("empty_file")
    file_format = file_format or sniff_format(data)
    if file_format == "xlsx":
        check_archive(data, limits)
    sha = hashlib.sha256(data).hexdigest()
    done = selectors.committed_batch_with(rtype.code, sha)
    if done is not None:
        raise _already_imported(done)
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            roster_type=rtype.code,
            file_name=os.path.basename(file_name or "")[:200] or "roster",
            file_format=file_format,
            file_size=len(data),
            content_sha256=sha,
            uploaded_by=actor,
            region_code=getattr(actor, "region_id", None) or "",
            channel=channel,
            department=department[:50],
        )
        audit.record(
            actor=actor,
            action="import_upload",
            object_type="import_batch",
            object_id=batch.pk,
            changes={"roster_type": rtype.code, "size": len(data), "channel": channel},
        )
        try:
            store_file(batch, data)
        except BaseException:
            stored_file(batch).unlink(missing_ok=True)
            raise
    return batch


def batch_receive_rows(
    *, actor: User, roster_type: str, rows: list[dict[str, Any]], department: str = ""
) -> ImportBatch:
    """A roster pushed as JSON over the API: staged like a file (canonical JSON bytes)."""
    if not rows:
        raise FileRefused("no_rows")
    if len(rows) > MAX_API_ROWS:
        raise refuse(
            "too_many_rows",
            f"一次最多推送 {MAX_API_ROWS} 行",
            f"at most {MAX_API_ROWS} rows per push",
            "rows",
        )
    text = json.dumps(rows, ensure_ascii=False, sort_keys=True, default=str)
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:
        # JSON may escape half of a UTF-16 pair ("\ud800"): no text holds it, no file or
        # database can store it.
        raise refuse(
            "invalid_character",
            "推送的内容中有无效的字符（单独的代理码位，如 \\ud800）",
            "the rows hold an invalid character (a lone surrogate such as \\ud800)",
            "rows",
        ) from None
    return batch_upload(
        actor=actor,
        roster_type=roster_type,
        file_name=f"api-{roster_type}.json",
        stream=io.BytesIO(body),
        size=len(body),
        channel=Channel.API,
        department=department,
        file_format="json",
    )


def batch_validate_now(batch: ImportBatch, **options: Any) -> ImportBatch:
    """Validate in this process (the command line and the background process).

    An unexpected error leaves the batch ``failed`` with no rows, then propagates."""
    return batch_validate(batch, **options)


def batch_validate_start(batch: ImportBatch) -> ImportBatch:
    """Validate in the background, whatever the file's size: the request returns at once
    and the batch page shows the progress (``exchange.jobs``). Started once the batch is
    committed, so the process finds it."""
    transaction.on_commit(lambda: jobs.launch_validation(batch.pk))
    return batch


def batch_revalidate(
    *, actor: User | None, batch: ImportBatch, now: dt.datetime | None = None
) -> ImportBatch:
    """Validate a batch again from its kept file: after a crash left it stalled or
    interrupted, or because the registry changed since the preview. Starts in the
    background; whatever the earlier run wrote is replaced."""
    require_permission(actor, "import", "roster")
    now = now or timezone.now()
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.status == BatchStatus.COMMITTED:
            raise refuse(
                "already_committed", "该批次已导入，不能重新校验", "the batch is already committed"
            )
        if batch.status == BatchStatus.CANCELLED:
            raise refuse("cancelled", "该批次已取消", "the batch was cancelled")
        if batch.status == BatchStatus.VALIDATING and not is_stalled(batch, now):
            raise refuse(
                "validation_running",
                "该批次正在校验，请稍候刷新页面",
                "the batch is being validated; refresh the page in a moment",
            )
        if not stored_file(batch).exists():
            raise FileRefused("file_gone")
        # No run holds the batch now: one still alive stops at its next chunk.
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.VALIDATING, validation_run="", progress=0, updated_at=now
        )
        audit.record(
            actor=actor,
            action="change",
            object_type="import_batch",
            object_id=batch.pk,
            changes={"validate_again": True, "status_before": batch.status},
        )
        transaction.on_commit(lambda: jobs.launch_validation(batch.pk))
    batch.refresh_from_db()
    return batch


@transaction.atomic
def batch_cancel(*, actor: User | None, batch: ImportBatch) -> ImportBatch:
    require_permission(actor, "import", "roster")
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status == BatchStatus.COMMITTED:
        raise refuse(
            "already_committed", "该批次已导入，不能取消", "the batch is already committed"
        )
    if batch.status != BatchStatus.CANCELLED:
        batch.status = BatchStatus.CANCELLED
        batch.save(update_fields=["status", "updated_at"])
        audit.record(
            actor=actor, action="import_cancel", object_type="import_batch", object_id=batch.pk
        )
    transaction.on_commit(lambda: stored_file(batch).unlink(missing_ok=True))
    return batch


# --- commit ----------------------------------------------------------------------------


def _pause_for_crash_test() -> None:
    """Test hook: ``DPF_TEST_COMMIT_PAUSE=SECONDS`` sleeps inside the commit transaction."""
    pause = os.environ.get("DPF_TEST_COMMIT_PAUSE")
    if pause:
        marker = os.environ.get("DPF_TEST_COMMIT_MARKER")
        if marker:
            with open(marker, "w", encoding="utf-8") as fh:
                fh.write("in transaction")
        time.sleep(float(pause))


def _stale() -> ValidationFailed:
    return refuse(
        "stale_preview",
        "预览之后登记信息已发生变化，请重新校验后再导入",
        "the registry changed after the preview; validate again before committing",
    )


def _affected_persons(rtype: RosterType, rows: QuerySet[ImportRow]) -> QuerySet[Person]:
    if rtype.target == Target.HOUSEHOLD_STATUS:
        return Person.objects.filter(household_id__in=rows.values("target_id"))
    return Person.objects.filter(pk__in=rows.values("target_id"))


def _commit_facts(rtype: RosterType, batch: ImportBatch, rows: QuerySet[ImportRow]) -> int:
    target = FACT_TARGETS[rtype.target]
    facts = target.model._default_manager.filter(**target.filter_for(rtype))
    closing = rows.filter(close_fact_id__isnull=False)
    # A fact whose end the row states gets the row's reason for it (none when the row gives
    # none, or reopens the fact); one ending because a new fact starts, none. The reasons
    # are choices, compared as JSON values (a text extract differs between the databases).
    ends: dict[str, Any] = {
        name: Case(
            *(
                When(
                    Exists(
                        closing.filter(
                            close_fact_id=OuterRef("pk"),
                            insert_fact=False,
                            **{f"values__{name}": code},
                        )
                    ),
                    then=Value(code),
                )
                for code in target.end_codes(name)
            ),
            default=Value(""),
        )
        for name in target.end_fields
    }
    closed = facts.filter(pk__in=closing.values("close_fact_id")).update(
        valid_to=Subquery(closing.filter(close_fact_id=OuterRef("pk")).values("close_to")[:1]),
        **ends,
    )
    _pause_for_crash_test()
    if closed != closing.count():  # a fact seen in the preview is gone
        raise _stale()
    inserting = rows.filter(insert_fact=True)
    # Before inserting: no fact may overlap a new one (the exclusion constraints check
    # this again on PostgreSQL; on SQLite this is the only check).
    same_key = facts.filter(**{target.key: OuterRef("target_id")}).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=OuterRef("new_from"))
    )
    if (
        inserting.filter(new_to__isnull=True).filter(Exists(same_key)).exists()
        or inserting.filter(new_to__isnull=False)
        .filter(Exists(same_key.filter(valid_from__lte=OuterRef("new_to"))))
        .exists()
    ):
        raise _stale()
    if rtype.target == Target.SCHOOL:  # the mode is read from the school's name, in Python
        inserted = _insert_facts_one_by_one(rtype, target, batch, inserting)
    else:
        inserted = _insert_facts_from_rows(rtype, target, batch, inserting)
    return closed + inserted


def _insert_facts_from_rows(
    rtype: RosterType, target: FactTarget, batch: ImportBatch, inserting: QuerySet[ImportRow]
) -> int:
    """The new facts in one ``INSERT … SELECT`` from the staged rows, in row order.

    A new fact is what ``FactTarget.new_fact`` builds: the row's key and period
    (``target_id``, ``new_from``, ``new_to``), the batch as source, the roster's kind, the
    value and end columns from the row's values (``""`` when missing), every other column
    its default, and the time of the commit as ``recorded_at``.
    """
    model = target.model
    now = timezone.now()
    columns: dict[str, Any] = {
        target.key: F("target_id"),
        "valid_from": F("new_from"),
        "valid_to": F("new_to"),
        "source": Value(batch.source),
        **{name: Value(value) for name, value in target.filter_for(rtype).items()},
        **{
            name: Coalesce(KT(f"values__{name}"), Value(""))
            for name in (*target.value_fields, *target.end_fields)
        },
    }
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in columns or field.name in columns:
            continue
        auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        columns[field.name] = Value(now if auto else field.get_default(), output_field=field)
    fields = {name: _concrete_field(model, name) for name in columns}
    aliases = {name: f"new_{n}" for n, name in enumerate(columns)}
    select = (
        inserting.order_by("row_number")
        .annotate(
            **{
                aliases[name]: ExpressionWrapper(expression, output_field=fields[name])
                for name, expression in columns.items()
            }
        )
        .values_list(*aliases.values())
    )
    sql, params = select.query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in fields.values())
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({names}) {sql}", params)
        return int(cursor.rowcount)


def _concrete_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _insert_facts_one_by_one(
    rtype: RosterType, target: FactTarget, batch: ImportBatch, inserting: QuerySet[ImportRow]
) -> int:
    inserted = 0
    pending: list[Any] = []
    for key, values in inserting.values_list("target_id", "values").iterator(chunk_size=5000):
        assert key is not None
        pending.append(target.new_fact(rtype, key=key, values=values, source=batch.source))
        if len(pending) >= INSERT_CHUNK:
            target.model._default_manager.bulk_create(pending)
            inserted += len(pending)
            pending = []
    if pending:
        target.model._default_manager.bulk_create(pending)
        inserted += len(pending)
    return inserted


def _commit_deaths(rows: QuerySet[ImportRow]) -> int:
    changed = Person.objects.filter(pk__in=rows.values("target_id"), death_date__isnull=True)
    n = changed.update(
        death_date=Subquery(rows.filter(target_id=OuterRef("pk")).values("new_from")[:1])
    )
    _pause_for_crash_test()
    if n != rows.count():
        raise _stale()
    return n


def _suspects_from_rows(batch: ImportBatch) -> int:
    """Rows whose check character was wrong but match a registered person after correction."""
    rows = ImportRow.objects.filter(
        batch=batch, outcome=Outcome.INVALID, note="check_character", person__isnull=False
    ).values_list(
        "pk", "person_id", "person__county_code", "person__township_code", "person__village_code"
    )
    suspects = [
        DuplicateSuspect(
            kind=SuspectKind.CHECK_CHARACTER,
            person_a_id=person_id,
            import_row_id=row_id,
            county_code=county,
            township_code=township,
            village_code=village,
        )
        for row_id, person_id, county, township, village in rows
    ]
    DuplicateSuspect.objects.bulk_create(suspects, batch_size=1000, ignore_conflicts=True)
    return len(suspects)


def batch_commit_start(*, actor: User | None, batch: ImportBatch) -> Job:
    """Commit a previewed batch in the background (job ``exchange.commit``): the request
    returns at once and the batch page shows the job's progress, result or error. A second
    start while the first is queued or running joins it."""
    require_permission(actor, "import", "roster")
    if batch.status not in (BatchStatus.PREVIEWED, BatchStatus.COMMITTED):
        raise refuse(
            "not_previewed",
            "该批次尚未完成校验或已取消，不能导入",
            "the batch is not validated or was cancelled",
        )
    job, _started = job_start(
        actor=actor,
        kind="exchange.commit",
        key=commit_job_key(batch.pk),
        params={"batch_id": batch.pk},
    )
    return job


# One follow-up incremental scan at a time: a commit while it is queued (or waiting for the
# running scan) joins it; its changes are then scanned with the others.
RESCAN_JOB_KEY = "benefits.scan:incremental"


def commit_job_key(batch_id: int) -> str:
    return f"exchange.commit:{int(batch_id)}"


def batch_commit(*, actor: User | None, batch: ImportBatch, rescan: bool = True) -> ImportBatch:
    """Apply the rows that will change the registry, in one transaction; then rescan.

    ``rescan=False`` leaves the changed people queued for the next scan (e.g. several large
    rosters imported at night, then one scan).
    """
    require_permission(actor, "import", "roster")
    rtype = _roster_type(batch.roster_type)
    try:
        batch = _commit_atomic(actor=actor, batch=batch, rtype=rtype)
    except IntegrityError:
        # The partial unique index: the same content was committed concurrently; or an
        # exclusion constraint on PostgreSQL: the registry changed under the preview.
        done = selectors.committed_batch_with(batch.roster_type, batch.content_sha256)
        if done is not None:
            raise _already_imported(done) from None
        raise _stale() from None
    stored_file(batch).unlink(missing_ok=True)
    duplicates_find(actor=actor)
    # The changed people are queued (their facts marks) whatever happens here. When another
    # scan is running, an incremental scan is queued as a job that waits for it to finish,
    # so the changed people are not left until the nightly scan.
    note = ""
    try:
        run = benefit_services.scan(actor=actor, incremental=True) if rescan else None
        note = "" if run is None else str(run)
    except DomainError as exc:
        note = f"scan not run: {exc.code}"
        if exc.code == "scan_running":
            job, _started = job_start(
                actor=actor,
                kind="benefits.scan",
                key=RESCAN_JOB_KEY,
                params={"incremental": True},
            )
            note += f"; queued as job #{job.pk}"
    if note:
        batch.note = note[:1000]
        ImportBatch.objects.filter(pk=batch.pk).update(note=batch.note)
    return batch


@transaction.atomic
def _commit_atomic(*, actor: User | None, batch: ImportBatch, rtype: RosterType) -> ImportBatch:
    # Every batch of the same file is locked, in id order (two commits never deadlock): of
    # two previews of one file committed at once, the second waits for the first, then is
    # told the file is already imported (tests/exchange/test_concurrency.py).
    same_file = ImportBatch.objects.select_for_update().filter(
        roster_type=batch.roster_type, content_sha256=batch.content_sha256
    )
    batch = {b.pk: b for b in same_file.order_by("pk")}[batch.pk]
    if batch.status == BatchStatus.COMMITTED:
        raise _already_imported(batch)
    if batch.status != BatchStatus.PREVIEWED:
        raise refuse(
            "not_previewed",
            "该批次尚未完成校验或已取消，不能导入",
            "the batch is not validated or was cancelled",
        )
    done = selectors.committed_batch_with(batch.roster_type, batch.content_sha256)
    if done is not None:
        raise _already_imported(done)
    rows = ImportRow.objects.filter(batch=batch, outcome=Outcome.WILL_CHANGE)
    persons = _affected_persons(rtype, rows)
    if persons.filter(facts_mark__changed_at__gt=batch.validated_at).exists():
        raise _stale()
    with transaction.atomic():  # a savepoint: IntegrityError must not poison the outer block
        if rtype.target == Target.DEATH:
            changed = _commit_deaths(rows)
        elif rtype.target == Target.NEEDS_SURVEY:
            try:
                changed = surveyroster.commit(batch, rows)
            except surveyroster.Stale:
                raise _stale() from None
        elif rtype.target == Target.MEDICAL_SETTLEMENT:
            changed = medicalroster.commit(batch, rows)
        else:
            changed = _commit_facts(rtype, batch, rows)
        followed = commit_hooks.after_commit(rtype.target, actor, batch, rows)
    queued = mark_facts_changed(persons.values("pk"))
    suspects = _suspects_from_rows(batch)
    batch.status = BatchStatus.COMMITTED
    batch.committed_at = timezone.now()
    batch.committed_by = actor
    batch.counts = {
        **batch.counts,
        "facts_changed": changed,
        "persons_queued": queued,
        "check_character_suspects": suspects,
        **followed,
    }
    batch.save(update_fields=["status", "committed_at", "committed_by", "counts", "updated_at"])
    audit.record(
        actor=actor,
        action="import",
        object_type="import_batch",
        object_id=batch.pk,
        changes={"roster_type": batch.roster_type, "counts": batch.counts},
    )
    return batch
