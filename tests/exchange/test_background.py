"""Every roster upload validated in the background: the request returns at once with a
pending batch; progress on the batch page; a run that is overtaken, cancelled or killed
leaves nothing half-done, and validating again gives the same rows; the kept file is
encrypted.

The job (``dpf.jobs``, kind ``exchange.validate``) runs ``dpf.exchange.jobs.run_validation``;
most tests call it in this process (``DPF_IMPORT_WORKER = "manual"`` in tests). The last
tests start real processes: the worker taking the job ``batch_validate_start`` queued, and
``dpf exchange validate`` killed with SIGKILL between chunks (tests/jobs/test_worker.py
kills the worker itself).
"""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry
from dpf.exchange import jobs, services, validation
from dpf.exchange.models import BatchStatus, ImportBatch, ImportRow
from tests.exchange.conftest import csv_bytes, xlsx_bytes
from tests.factories import make_person, make_user, new_id_number

HEADER = ["身份证号码", "姓名", "类别", "起始日期"]
ROW_FIELDS = (
    "row_number",
    "outcome",
    "person_id",
    "id_hash",
    "id_masked",
    "values",
    "errors",
    "before",
    "after",
    "target_id",
    "close_fact_id",
    "close_to",
    "insert_fact",
    "new_from",
    "new_to",
    "note",
)


def rows_of(batch: ImportBatch) -> list[tuple[Any, ...]]:
    return list(
        ImportRow.objects.filter(batch=batch).order_by("row_number").values_list(*ROW_FIELDS)
    )


def upload(actor: Any, content: bytes, name: str = "低保.xlsx") -> ImportBatch:
    return services.batch_upload(
        actor=actor, roster_type="dibao", file_name=name, stream=io.BytesIO(content)
    )


def roster(officer: Any, registered: int = 5, unknown: int = 5) -> bytes:
    people = [make_person(actor=officer, name=f"低保{i}") for i in range(registered)]
    rows = [[p.id_number, p.name, "低保", "2023-01-05"] for p in people]
    rows += [[new_id_number(), f"外县{i}", "低保", "2023-01-05"] for i in range(unknown)]
    rows.append(["11010519491231002Y", "校验位错", "低保", "2023-01-05"])
    return xlsx_bytes([HEADER, *rows])


# --- in this process ------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_upload_returns_at_once_with_a_pending_batch(client, county_officer) -> None:
    """A small file is no longer validated inside the request (100,000 rows took 14 s)."""
    content = roster(county_officer)
    client.force_login(county_officer)
    response = client.post(
        reverse("exchange:upload"),
        {"roster_type": "dibao", "file": SimpleUploadedFile("低保.xlsx", content)},
    )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exchange:batch", args=[batch.pk])
    assert batch.status == BatchStatus.VALIDATING
    assert batch.validation_run == ""
    assert not ImportRow.objects.exists()
    progress = client.get(reverse("exchange:progress", args=[batch.pk])).json()
    assert progress == {"status": "validating", "progress": 0, "rows_read": 0, "rows_total": None}
    page = client.get(response["Location"]).content.decode()
    assert "等待校验开始" in page
    assert 'href="/exchange/batches/' in page

    jobs.run_validation(batch.pk)  # what the background process runs
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PREVIEWED
    assert (batch.rows_total, batch.rows_read, batch.progress) == (12, 11, 100)
    assert batch.counts["will_change"] == 5
    assert batch.counts["not_found"] == 5
    page = client.get(response["Location"]).content.decode()
    assert "确认导入" in page
    assert "校验进度" not in page


@pytest.mark.django_db
def test_roster_files_are_kept_encrypted(county_officer) -> None:
    person = make_person(actor=county_officer, name="李秀英")
    content = csv_bytes([HEADER, [person.id_number, "李秀英", "低保", "2023-01-05"]])
    batch = upload(county_officer, content, "低保.csv")
    [stored] = (Path(django_settings.MEDIA_ROOT) / "imports").iterdir()
    raw = stored.read_bytes()
    assert person.id_number.encode() not in raw
    assert "李秀英".encode() not in raw
    assert person.id_number[-8:].encode() not in raw
    assert validation.read_stored_file(batch) == content
    assert services.batch_validate_now(batch).counts["will_change"] == 1


def test_an_uploaded_roster_is_never_spooled_to_disk_in_clear(rf) -> None:
    """Django writes an upload over 2.5 MB to a temporary file as it arrives: every upload
    the platform accepts is held in memory instead, until it is stored encrypted."""
    size = django_settings.DPF_IMPORT_MAX_BYTES
    content = b"\xe8\xba\xab\xe4\xbb\xbd\xe8\xaf\x81\xe5\x8f\xb7\xe7\xa0\x81\n" + b"1" * (size - 20)
    request = rf.post("/", {"file": SimpleUploadedFile("big.csv", content)})
    uploaded = request.FILES["file"]
    assert uploaded.size == len(content)
    assert len(content) > 2_621_440
    assert isinstance(uploaded, InMemoryUploadedFile)


@pytest.mark.django_db
def test_a_committed_batch_is_not_validated_again(county_officer) -> None:
    """``dpf exchange validate`` on a committed batch used to delete the rows the
    reconciliation reads and put the batch back to "previewed"."""
    batch = services.batch_validate_now(upload(county_officer, roster(county_officer)))
    services.batch_commit(actor=county_officer, batch=batch, rescan=False)
    before = rows_of(batch)
    again = jobs.run_validation(batch.pk)
    assert again.status == BatchStatus.COMMITTED
    assert rows_of(batch) == before
    with pytest.raises(ValidationFailed) as info:
        services.batch_revalidate(actor=county_officer, batch=batch)
    assert info.value.code == "already_committed"


@pytest.mark.django_db
def test_a_run_overtaken_by_a_newer_one_stops_writing(county_officer) -> None:
    batch = upload(county_officer, roster(county_officer, registered=3, unknown=8))
    reference = rows_of(services.batch_validate_now(batch))
    overtaken: list[int] = []

    def newer_run_starts(current: ImportBatch) -> None:
        if not overtaken:  # once: while the first run is between chunks
            overtaken.append(current.rows_read)
            services.batch_validate_now(ImportBatch.objects.get(pk=batch.pk), chunk_size=4)

    first = services.batch_validate_now(batch, chunk_size=4, on_progress=newer_run_starts)
    assert overtaken == [4]
    assert first.status == BatchStatus.PREVIEWED
    assert rows_of(batch) == reference  # the newer run's rows, none of the first's after it


@pytest.mark.django_db
def test_a_batch_cancelled_during_validation_stays_cancelled(
    county_officer, django_capture_on_commit_callbacks
) -> None:
    batch = upload(county_officer, roster(county_officer, registered=3, unknown=8))

    def cancel(current: ImportBatch) -> None:
        if current.status == BatchStatus.VALIDATING:
            with django_capture_on_commit_callbacks(execute=True):
                services.batch_cancel(actor=county_officer, batch=current)

    done = services.batch_validate_now(batch, chunk_size=4, on_progress=cancel)
    assert done.status == BatchStatus.CANCELLED
    assert not ImportRow.objects.exists()
    assert not validation.stored_file(batch).exists()


@pytest.mark.django_db
def test_an_interrupted_validation_keeps_no_rows_and_can_be_run_again(county_officer) -> None:
    batch = upload(county_officer, roster(county_officer, registered=3, unknown=8))
    reference = rows_of(services.batch_validate_now(batch))

    def fail(current: ImportBatch) -> None:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        services.batch_validate_now(batch, chunk_size=4, on_progress=fail)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED
    assert batch.errors[0]["code"] == "internal"
    assert not ImportRow.objects.exists()
    assert jobs.run_validation(batch.pk).status == BatchStatus.PREVIEWED
    assert rows_of(batch) == reference


@pytest.mark.django_db
def test_validate_again_from_the_batch_page(client, county_officer) -> None:
    batch = services.batch_validate_now(upload(county_officer, roster(county_officer)))
    reference = rows_of(batch)
    url = reverse("exchange:revalidate", args=[batch.pk])
    page = reverse("exchange:batch", args=[batch.pk])
    client.force_login(county_officer)
    assert "重新校验" in client.get(page).content.decode()

    assert client.post(url)["Location"] == page
    batch.refresh_from_db()
    assert batch.status == BatchStatus.VALIDATING
    assert batch.validation_run == ""
    assert AuditEntry.objects.filter(
        action="change", object_type="import_batch", object_id=str(batch.pk)
    ).exists()
    # Waiting (or running) and not stalled: not started twice.
    html = client.post(url, follow=True).content.decode()
    assert "该批次正在校验" in html

    # Silent for longer than STALL_SECONDS (the process died): may be started again.
    silent = batch.updated_at - dt.timedelta(seconds=validation.STALL_SECONDS + 1)
    ImportBatch.objects.filter(pk=batch.pk).update(updated_at=silent)
    html = client.get(page).content.decode()
    assert "没有进展" in html
    assert "重新校验" in html
    assert client.post(url).status_code == 302
    assert jobs.run_validation(batch.pk).status == BatchStatus.PREVIEWED
    assert rows_of(batch) == reference


@pytest.mark.django_db
def test_validate_again_is_scoped(client, county_officer) -> None:
    batch = services.batch_validate_now(upload(county_officer, roster(county_officer)))
    client.force_login(make_user("county_officer", "150404"))
    assert client.post(reverse("exchange:revalidate", args=[batch.pk])).status_code == 404
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PREVIEWED


# --- the real background process ----------------------------------------------------------


def _status_outside(outside: Any, batch_id: int) -> str | None:
    """The batch's status as the child process left it (SQLite: in the shared file)."""
    if outside.postgresql:
        return ImportBatch.objects.filter(pk=batch_id).values_list("status", flat=True).first()
    with sqlite3.connect(f"file:{outside.sqlite_file}?mode=ro", uri=True) as db:
        row = db.execute(
            "SELECT status FROM exchange_importbatch WHERE id = ?", [batch_id]
        ).fetchone()
    return row[0] if row else None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_upload_queues_a_job_the_real_worker_runs(county_officer, settings, tmp_path) -> None:
    from tests.faults.support import Outside
    from tests.jobs.workers import Worker

    outside = Outside(tmp_path)
    settings.MEDIA_ROOT = outside.data_dir / "uploads"  # where the worker looks for the file
    settings.DPF_IMPORT_WORKER = "queue"
    settings.DPF_JOBS_RUN = "worker"
    batch = upload(county_officer, roster(county_officer))
    started = time.monotonic()
    services.batch_validate_start(batch)
    assert time.monotonic() - started < 1  # queued, not waited for
    outside.push()
    worker = Worker(outside)
    try:
        while _status_outside(outside, batch.pk) == BatchStatus.VALIDATING:
            assert time.monotonic() - started < 120, "the background validation never finished"
            assert worker.process.poll() is None, worker.output()
            time.sleep(0.2)
    finally:
        worker.stop()
    outside.settle()
    outside.pull()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PREVIEWED
    assert batch.counts["will_change"] == 5
    assert batch.rows_total == 12


def _big_roster(officer: Any) -> bytes:
    """2,500 rows: two chunks of the validator's 2,000."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for person in [make_person(actor=officer, name=f"低保{i}") for i in range(10)]:
        sheet.append([person.id_number, person.name, "低保", "2023-01-05"])
    for n in range(2490):
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=n // 400)
        number = new_id_number(birth=birth)
        sheet.append([number, f"名单{n}", "特困" if n % 3 else "低保", "2024-03-01"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_validation_killed_between_chunks_is_run_again_to_the_same_rows(
    county_officer, settings, tmp_path
) -> None:
    from tests.faults.support import Outside

    outside = Outside(tmp_path)
    settings.MEDIA_ROOT = outside.data_dir / "uploads"
    batch = upload(county_officer, _big_roster(county_officer))
    reference = rows_of(services.batch_validate_now(batch))
    counts = ImportBatch.objects.get(pk=batch.pk).counts
    assert len(reference) == 2500

    # Killed after its first chunk was committed, with the second not yet read.
    outside.kill_at(
        "dpf", "exchange", "validate", str(batch.pk),
        pause="dpf.exchange.validation:_store_chunk", nth=1,
    )  # fmt: skip
    batch.refresh_from_db()
    assert batch.status == BatchStatus.VALIDATING
    assert batch.rows_total == 2501
    assert ImportRow.objects.filter(batch=batch).count() == 2000
    later = batch.updated_at + dt.timedelta(seconds=validation.STALL_SECONDS + 1)
    assert validation.is_stalled(batch, later)

    outside.run("dpf", "exchange", "validate", str(batch.pk))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PREVIEWED
    assert batch.counts == counts
    assert rows_of(batch) == reference
