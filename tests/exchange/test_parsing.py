"""Row parsing (headers, dates, statuses, ID numbers) and change planning; no database."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.core.idnumber import check_character, make_id_number
from dpf.exchange.fact_change import Fact, change_for
from dpf.exchange.parsing import CellProblem, parse_date, parse_row
from dpf.exchange.rostertypes import (
    HOUSEHOLD,
    ROSTER_TYPES,
    normalize_header,
    normalize_name,
    parse_status,
)

TODAY = dt.date(2026, 11, 1)
GOOD_ID = make_id_number("150402", dt.date(1980, 5, 17), 123)
HEADERS = {c.key: c.header for c in HOUSEHOLD.columns}


def wrong_check(number: str) -> str:
    bad = next(c for c in "0123456789X" if c != check_character(number[:17]))
    return number[:17] + bad


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 身份证号码（必填）* ", "身份证号码"),
        ("起始日期(yyyy-mm-dd)", "起始日期"),
        ("ＩＤ＿ＮＵＭＢＥＲ", "idnumber"),
        ("姓　名", "姓名"),
        (None, ""),
    ],
)
def test_header_normalisation(raw, expected) -> None:
    assert normalize_header(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-01-05", dt.date(2023, 1, 5)),
        ("2023/1/5", dt.date(2023, 1, 5)),
        ("2023.01.05", dt.date(2023, 1, 5)),
        ("2023年1月5日", dt.date(2023, 1, 5)),
        ("20230105", dt.date(2023, 1, 5)),
        (20230105, dt.date(2023, 1, 5)),
        ("２０２３－０１－０５", dt.date(2023, 1, 5)),
        ("2023-01-05 00:00:00", dt.date(2023, 1, 5)),
        (dt.datetime(2023, 1, 5, 8, 30), dt.date(2023, 1, 5)),  # noqa: DTZ001 (a spreadsheet cell is naive)
        (dt.date(2023, 1, 5), dt.date(2023, 1, 5)),
        (44931, dt.date(2023, 1, 5)),  # an Excel serial day number
        (44931.0, dt.date(2023, 1, 5)),
    ],
)
def test_dates_in_common_forms(raw, expected) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("2023-02-30", "date_impossible"),
        ("20231301", "date_impossible"),
        ("1850-01-01", "date_impossible"),
        ("五月", "date_format"),
        ("2023-1", "date_format"),
        (True, "date_format"),
        (-3, "date_format"),
    ],
)
def test_bad_dates_are_named(raw, code) -> None:
    with pytest.raises(CellProblem) as info:
        parse_date(raw)
    assert info.value.code == code


def test_status_words_and_names() -> None:
    assert parse_status("城市低保") == "dibao"
    assert parse_status(" 五保户 ") == "tekun"
    assert parse_status("低保边缘户") == "dibao_edge"
    assert parse_status("低收入") is None
    assert normalize_name(" 巴特尔 · 朝鲁 ") == "巴特尔·朝鲁"
    assert normalize_name("巴特尔•朝鲁") == normalize_name("巴特尔．朝鲁")


def test_row_parsing_collects_every_cell_error() -> None:
    cells = {
        "id_number": wrong_check(GOOD_ID),
        "name": "",
        "status": "困难户",
        "valid_from": "2023-02-30",
        "valid_to": "",
    }
    row = parse_row(HOUSEHOLD, HEADERS, cells, 7, today=TODAY)
    codes = {e["column"]: e["code"] for e in row.errors}
    assert codes == {
        "身份证号码": "checksum",
        "姓名": "required",
        "类别": "status",
        "起始日期": "date_impossible",
    }
    assert all(e["message"] and e["message_en"] for e in row.errors)
    assert row.corrected_hash  # the number matches someone after correcting the check char
    assert GOOD_ID not in str(row.values)
    assert row.id_masked.startswith("150402")


def test_valid_row_keeps_no_id_number_in_clear() -> None:
    cells = {
        "id_number": f" {GOOD_ID.lower()} ",
        "name": "张 海明",
        "status": "低保",
        "valid_from": "2023/1/5",
        "valid_to": None,
    }
    row = parse_row(HOUSEHOLD, HEADERS, cells, 2, today=TODAY)
    assert row.valid, row.errors
    assert row.values == {
        "name": "张海明",
        "status": "dibao",
        "valid_from": "2023-01-05",
        "valid_to": None,
    }
    assert len(row.id_hash) == 64
    assert GOOD_ID not in row.id_hash
    assert row.id_masked == GOOD_ID[:6] + "********" + GOOD_ID[-4:]


def test_inverted_range_future_death_and_numeric_id() -> None:
    cells = {
        "id_number": GOOD_ID,
        "name": "张海明",
        "status": "低保",
        "valid_from": "2024-01-01",
        "valid_to": "2023-12-31",
    }
    row = parse_row(HOUSEHOLD, HEADERS, cells, 3, today=TODAY)
    assert [(e["column"], e["code"]) for e in row.errors] == [("终止日期", "date_range")]
    death = ROSTER_TYPES["death"]
    dh = {c.key: c.header for c in death.columns}
    future = parse_row(
        death,
        dh,
        {"id_number": GOOD_ID, "name": "张海明", "death_date": "2027-01-01"},
        2,
        today=TODAY,
    )
    assert [e["code"] for e in future.errors] == ["future_date"]
    before_birth = parse_row(
        death,
        dh,
        {"id_number": GOOD_ID, "name": "张海明", "death_date": "1970-01-01"},
        2,
        today=TODAY,
    )
    assert [e["code"] for e in before_birth.errors] == ["death_before_birth"]
    numeric = parse_row(
        death,
        dh,
        {"id_number": 1.50402e17, "name": "张海明", "death_date": "2026-01-01"},
        2,
        today=TODAY,
    )
    assert [e["code"] for e in numeric.errors] == ["id_numeric"]


D = dt.date


def test_plan_insert_close_extend_and_conflict() -> None:
    open_dibao = Fact(1, "dibao", D(2020, 1, 1), None)
    assert change_for([], "dibao", D(2023, 1, 5), None).insert
    same = change_for([open_dibao], "dibao", D(2022, 1, 1), None)
    assert same.outcome == "up_to_date"
    ended = change_for([open_dibao], "dibao", D(2020, 1, 1), D(2026, 6, 30))
    assert (ended.outcome, ended.close_fact_id, ended.close_to, ended.insert) == (
        "will_change",
        1,
        D(2026, 6, 30),
        False,
    )
    switched = change_for([open_dibao], "tekun", D(2024, 3, 1), None)
    assert (switched.close_fact_id, switched.close_to, switched.insert) == (1, D(2024, 2, 29), True)
    later = Fact(2, "tekun", D(2025, 1, 1), None)
    closed = Fact(1, "dibao", D(2020, 1, 1), D(2024, 12, 31))
    assert change_for([closed, later], "dibao_edge", D(2024, 6, 1), None).outcome == "conflict"
    assert change_for([closed, later], "dibao", D(2020, 1, 1), None).outcome == "conflict"
    assert change_for([open_dibao], "tekun", D(2019, 1, 1), None).outcome == "conflict"
    gap = change_for([closed], "dibao", D(2025, 3, 1), None)
    assert gap.insert
    assert gap.close_fact_id is None
    assert gap.before == closed
