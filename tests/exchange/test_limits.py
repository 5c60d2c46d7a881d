"""Roster limits under attack: zip bombs refused at upload from the zip directory alone,
files of a million rows refused at the row cap before any row is validated, rows far apart
and cells in the last column refused, and the limits read from settings.

"Nothing written" means: no batch (refused at upload), or a failed batch with no rows and
no stored file (refused when counted), and the registry as it was.
"""

from __future__ import annotations

import io
import time
import tracemalloc
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry
from dpf.exchange import services
from dpf.exchange.models import BatchStatus, ImportBatch, ImportRow
from dpf.registry.models import HouseholdStatus
from tests.exchange import bombs
from tests.exchange.conftest import csv_bytes, xlsx_bytes
from tests.factories import make_person

pytestmark = pytest.mark.django_db

HEADER = ["身份证号码", "姓名", "类别", "起始日期"]


def upload(actor, content: bytes, name: str = "名单.xlsx") -> ImportBatch:
    return services.batch_upload(
        actor=actor, roster_type="dibao", file_name=name, stream=io.BytesIO(content)
    )


def stored_files() -> list[Path]:
    folder = Path(django_settings.MEDIA_ROOT) / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []


def refused_at_upload(actor, content: bytes, name: str = "名单.xlsx") -> ValidationFailed:
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as info:
        upload(actor, content, name)
    assert info.value.field == "file"
    assert not ImportBatch.objects.exists()
    assert stored_files() == []
    assert AuditEntry.objects.count() == audit_before
    return info.value


@pytest.fixture
def refused_when_counted(django_capture_on_commit_callbacks):
    """Accepted at upload, refused by the background validation's count: no row written."""

    def refuse(actor, content: bytes, name: str = "名单.xlsx") -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            batch = services.batch_validate_now(upload(actor, content, name))
        assert batch.status == BatchStatus.FAILED
        assert not ImportRow.objects.exists()
        assert stored_files() == []  # the file (it may hold ID numbers) is not kept either
        assert not HouseholdStatus.objects.exists()
        [error] = batch.errors
        return error

    return refuse


# --- zip bombs: refused from the directory, before anything is decompressed ---------------


def test_a_zip_bomb_is_refused_at_upload_without_being_unpacked(county_officer) -> None:
    """1 MB that unpacks to 1 GB (what drove the validator to 1.7 GB): refused from the zip
    directory, in well under a second and a few megabytes of memory."""
    bomb = bombs.zip_bomb(1 << 30)
    assert len(bomb) < 2 * 1024 * 1024
    tracemalloc.start()
    started = time.perf_counter()
    try:
        error = refused_at_upload(county_officer, bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2
    assert peak < 3 * len(bomb) + 4 * 1024 * 1024  # the upload itself, nothing unpacked
    assert error.code == "unpacked_too_large"
    assert "1024 MB" in error.message_zh
    assert "256 MB" in error.message_zh
    assert "256 MB limit" in error.message_en


def test_a_small_bomb_under_the_total_is_refused_by_its_compression_ratio(county_officer) -> None:
    error = refused_at_upload(county_officer, bombs.zip_bomb(64 << 20))
    assert error.code == "compression_ratio"
    assert "xl/worksheets/sheet1.xml" in error.message_zh
    assert "100:1" in error.message_zh


def test_shared_strings_are_held_to_a_quarter_of_the_total(county_officer, settings) -> None:
    """The shared strings are read whole into memory (about five times their size)."""
    settings.DPF_IMPORT_MAX_UNPACKED_BYTES = 4 * 1024 * 1024
    strings = (f"<si><t>{n:09d}{n * 7919 % 100003:06d}</t></si>".encode() for n in range(60_000))
    content = bombs.xlsx([bombs.header_row()], shared_strings=strings)
    error = refused_at_upload(county_officer, content)
    assert error.code == "part_too_large"
    assert "xl/sharedStrings.xml" in error.message_zh
    assert "1 MB" in error.message_zh


def test_an_archive_of_ten_thousand_parts_is_refused(county_officer) -> None:
    error = refused_at_upload(county_officer, bombs.xlsx([bombs.header_row()], extra_parts=10_000))
    assert error.code == "too_many_parts"


def test_the_unpacked_limit_is_a_setting(county_officer, settings) -> None:
    content = xlsx_bytes([HEADER] + [[str(n), "名字", "低保", "2023-01-05"] for n in range(500)])
    settings.DPF_IMPORT_MAX_UNPACKED_BYTES = 16 * 1024
    assert refused_at_upload(county_officer, content).code == "unpacked_too_large"
    settings.DPF_IMPORT_MAX_UNPACKED_BYTES = 16 * 1024 * 1024
    assert upload(county_officer, content).status == BatchStatus.VALIDATING


# --- rows: counted before any is validated -----------------------------------------------


def test_a_million_row_xlsx_is_refused_at_the_row_cap_with_nothing_written(
    refused_when_counted, county_officer
) -> None:
    """A 7.7 MB workbook of 1,000,000 rows (the 618 KB file that grew the database by
    550 MB was of this kind): refused while counting, before any row is validated."""
    content = bombs.million_rows_xlsx()
    started = time.perf_counter()
    error = refused_when_counted(county_officer, content)
    assert time.perf_counter() - started < 60
    assert error["code"] == "too_many_rows"
    assert "300,000 行" in error["message"]
    assert "第 300,001 行" in error["message"]
    assert "300,000 rows" in error["message_en"]


def test_a_million_row_csv_is_refused_at_the_row_cap_with_nothing_written(
    refused_when_counted, county_officer
) -> None:
    error = refused_when_counted(county_officer, bombs.million_rows_csv(), "名单.csv")
    assert error["code"] == "too_many_rows"
    assert "第 300,001 行" in error["message"]


def test_the_row_cap_is_a_setting_and_rows_up_to_it_are_validated(
    refused_when_counted, county_officer, settings
):
    settings.DPF_IMPORT_MAX_ROWS = 4  # the header and three rows
    people = [make_person(actor=county_officer, name=f"低保{i}") for i in range(4)]
    rows = [[p.id_number, p.name, "低保", "2023-01-05"] for p in people]
    error = refused_when_counted(county_officer, csv_bytes([HEADER, *rows]), "a.csv")
    assert error["code"] == "too_many_rows"
    assert "每批 4 行" in error["message"]
    batch = services.batch_validate_now(upload(county_officer, xlsx_bytes([HEADER, *rows[:3]])))
    assert batch.status == BatchStatus.PREVIEWED
    assert batch.rows_total == 4
    assert batch.rows_read == 3


def test_rows_far_apart_count_as_the_rows_between(
    refused_when_counted, county_officer, settings
) -> None:
    """Row 1 and row 900,000: openpyxl hands out the 899,998 empty rows between."""
    settings.DPF_IMPORT_MAX_ROWS = 1000
    content = bombs.xlsx([bombs.header_row(), *bombs.numbered_rows(900_000, 900_000)])
    error = refused_when_counted(county_officer, content)
    assert error["code"] == "too_many_rows"
    assert "第 1,001 行" in error["message"]


def test_a_cell_in_the_last_column_is_refused(refused_when_counted, county_officer) -> None:
    """One cell at XFD makes openpyxl pad its row to 16,384 values."""
    row = '<row r="2"><c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>'
    error = refused_when_counted(county_officer, bombs.xlsx([bombs.header_row(), row.encode()]))
    assert error["code"] == "too_many_columns"
    assert "第2行超过 256 列" in error["message"]


def test_a_csv_row_of_many_columns_is_refused(refused_when_counted, county_officer) -> None:
    content = csv_bytes([HEADER, ["1"] * 300])
    error = refused_when_counted(county_officer, content, "a.csv")
    assert error["code"] == "too_many_columns"


def test_a_doctype_in_a_sheet_is_refused(refused_when_counted, county_officer) -> None:
    """Entity tricks need a DOCTYPE; no spreadsheet has one."""
    content = bombs.xlsx(
        [b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'], level=1
    )  # inside the sheet: not well formed either way
    error = refused_when_counted(county_officer, content)
    assert error["code"] == "not_spreadsheet"
