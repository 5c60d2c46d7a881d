"""Reading roster files: formats, encodings, header variants and order, bad files."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.core.errors import ValidationFailed
from dpf.exchange.models import BatchStatus, ImportBatch, ImportRow
from tests.exchange.conftest import csv_bytes, outcomes, stage, xlsx_bytes
from tests.factories import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(county_officer):
    return make_person(actor=county_officer, name="李秀英", sex="F")


def rows_for(person, header=("身份证号码", "姓名", "类别", "起始日期", "终止日期")):
    values = {
        "身份证号码": person.id_number,
        "姓名": "李秀英",
        "类别": "低保",
        "起始日期": "2023-01-05",
        "终止日期": "",
    }
    return [list(header), [values.get(h, values.get(_canon(h), "")) for h in header]]


def _canon(header: str) -> str:
    return {
        "公民身份号码": "身份证号码",
        "证件号码": "身份证号码",
        "名字": "姓名",
        "救助类别": "类别",
        "开始日期": "起始日期",
    }.get(header.replace(" ", "").replace("　", ""), header)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_csv_in_each_encoding(county_officer, person, encoding) -> None:
    content = csv_bytes(rows_for(person), encoding)
    batch = stage(county_officer, "dibao", content, "roster.csv")
    assert batch.status == BatchStatus.PREVIEWED, batch.errors
    assert batch.file_format == "csv"
    assert outcomes(batch) == {2: "will_change"}


def test_gb18030_is_detected_not_guessed_from_name(county_officer, person) -> None:
    content = csv_bytes(rows_for(person), "gb18030")
    assert content.startswith("身份证".encode("gb18030"))
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    batch = stage(county_officer, "dibao", content, "名单.xlsx")  # a misleading name
    assert batch.file_format == "csv"
    assert batch.status == BatchStatus.PREVIEWED


def test_header_variants_any_order_and_title_rows(county_officer, person) -> None:
    header = ["救助类别", "名字", "备注", "开始日期", "公民身份号码"]
    body = rows_for(person, header)
    content = xlsx_bytes([["2026年11月低保名单"], [], *body])
    batch = stage(county_officer, "dibao", content)
    assert batch.status == BatchStatus.PREVIEWED, batch.errors
    assert batch.ignored_columns == ["备注"]
    row = ImportRow.objects.get(batch=batch)
    assert row.row_number == 4  # the row number a worker sees in Excel
    assert row.outcome == "will_change"
    assert row.after == {"valid_from": "2023-01-05", "valid_to": None, "status": "dibao"}


def test_full_width_and_spaced_headers_and_excel_date_cells(county_officer, person) -> None:
    header = ["身份证号码 ", "姓　名", "类别", "起始日期（年-月-日）"]
    content = xlsx_bytes([header, [person.id_number, "李秀英", "低保", dt.datetime(2023, 1, 5)]])  # noqa: DTZ001 (a naive cell)
    batch = stage(county_officer, "dibao", content)
    assert outcomes(batch) == {2: "will_change"}
    assert batch.rows.get().values["valid_from"] == "2023-01-05"


def test_missing_required_column_fails_the_batch_by_name(county_officer, person) -> None:
    content = xlsx_bytes([["身份证号码", "姓名", "终止日期"], [person.id_number, "李秀英", ""]])
    batch = stage(county_officer, "dibao", content)
    assert batch.status == BatchStatus.FAILED
    [error] = batch.errors
    assert error["code"] == "missing_column"
    assert "类别" in error["message"]
    assert "起始日期" in error["message"]
    assert error["message_en"]
    assert not batch.rows.exists()


def test_duplicate_column_is_refused(county_officer, person) -> None:
    content = xlsx_bytes(
        [
            ["身份证号码", "证件号码", "姓名", "类别", "起始日期"],
            [person.id_number] * 2 + ["李秀英"],
        ]
    )
    batch = stage(county_officer, "dibao", content)
    assert batch.status == BatchStatus.FAILED
    assert batch.errors[0]["code"] == "duplicate_column"
    assert "证件号码" in batch.errors[0]["message"]


def test_a_text_file_without_headers_is_not_a_roster(county_officer) -> None:
    batch = stage(county_officer, "dibao", b"hello\nworld\n", "notes.csv")
    assert batch.status == BatchStatus.FAILED
    assert batch.errors[0]["code"] == "no_header"
    assert "身份证号码" in batch.errors[0]["message"]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "not_spreadsheet"),
        (b"%PDF-1.7\n", "not_spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "xls_unsupported"),
        (b"", "empty_file"),
    ],
)
def test_files_that_are_not_spreadsheets_are_refused_at_upload(
    county_officer, content, code
) -> None:
    with pytest.raises(ValidationFailed) as info:
        stage(county_officer, "dibao", content, "roster.xlsx")
    assert info.value.code == code
    assert info.value.message_zh


def test_a_broken_xlsx_is_refused_at_upload(county_officer) -> None:
    with pytest.raises(ValidationFailed) as info:
        stage(county_officer, "dibao", b"PK\x03\x04 this is not a workbook", "r.xlsx")
    assert info.value.code == "not_spreadsheet"
    assert not ImportBatch.objects.exists()


def test_header_only_file_has_no_rows(county_officer) -> None:
    batch = stage(county_officer, "dibao", xlsx_bytes([["身份证号码", "姓名", "类别", "起始日期"]]))
    assert batch.status == BatchStatus.FAILED
    assert batch.errors[0]["code"] == "no_rows"
    assert batch.errors[0]["message"] == "文件中没有数据行"


def test_undecodable_text_is_refused(county_officer) -> None:
    # Neither UTF-8 nor GB18030 (0xFF is never a GB18030 lead byte).
    content = "身份证号码,姓名\n".encode() + b"\xff\xfa\x80\x80\n"
    batch = stage(county_officer, "dibao", content, "r.csv")
    assert batch.status == BatchStatus.FAILED
    assert batch.errors[0]["code"] == "encoding"
