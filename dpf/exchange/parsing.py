"""Parsing one roster row: ID numbers, names, dates, status codes, with per-cell errors.

A cell error names the column as the file spells it and carries a code and a message in
Chinese and English. The ID number leaves this module only as its look-up hash and its
masked form.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from dpf.core.errors import DomainError
from dpf.core.idnumber import InvalidIdNumber, check_character, mask_id_number, parse_id_number
from dpf.core.text import (
    InvalidName,
    InvalidText,
    check_name_characters,
    check_text_characters,
    is_ascii_number,
)
from dpf.exchange.rostertypes import (
    Column,
    ColumnKind,
    RosterType,
    Target,
    normalize_name,
    normalize_text,
    parse_status,
)
from dpf.registry.services import id_lookup_hash

CELL_MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("必填项为空", "this cell is required"),
    "too_long": ("内容过长", "the text is too long"),
    "date_format": (
        "日期格式无法识别（可用 2023-01-05、2023/1/5、20230105）",
        "the date format is not recognised (use 2023-01-05, 2023/1/5 or 20230105)",
    ),
    "date_impossible": ("日期不存在", "the date does not exist"),
    "date_range": ("终止日期早于起始日期", "the end date is before the start date"),
    "future_date": ("日期晚于今天", "the date is in the future"),
    "leave_before_entry": ("离校日期早于入学日期", "the date of leaving is before the entry date"),
    "only_with": (
        "只在填写“{other}”时填写",
        "fill it only together with “{other}”",
    ),
    "death_before_birth": ("死亡日期早于出生日期", "the date of death is before the birth date"),
    "status": (
        "类别无效（应为低保、特困或低保边缘）",
        "unknown category (expected 低保, 特困 or 低保边缘)",
    ),
    "id_numeric": (
        "身份证号码被存为数值，可能已丢失末位，请将该列设为文本格式",
        "the ID number was stored as a number and may have lost digits; format the column as text",
    ),
    "formula": (
        "单元格是公式（以“=”开头）：请复制后“选择性粘贴—数值”再导入",
        "the cell is a formula (it starts with '='): paste it as values and import again",
    ),
    "date_digits": (
        "日期中有非阿拉伯数字（如全角以外的其他文字的数字），请用 0至9 书写",
        "the date holds digits of another script: write it with 0 to 9",
    ),
    "choice": ("内容无效（可填：{allowed}）", "unknown value (allowed: {allowed})"),
    "number_format": ("不是数字", "not a number"),
    "number_range": (
        "数值不合理（应为{low}至{high}，最多{decimals}位小数）",
        "implausible value ({low} to {high}, at most {decimals} decimals)",
    ),
    "survey_year": ("调查日期不在调查年度内", "the date of the survey is not in the survey year"),
    "survey_exists": (
        "该人员本年度已有不同的需求调查，不能重复登记，请人工核对",
        "a different survey of this year is already recorded for the person; check by hand",
    ),
    "survey_no_certificate": (
        "该人员在调查日期没有有效的残疾人证",
        "the person holds no valid disability certificate on the date of the survey",
    ),
    "medical_paid_over_total": (
        "医保报销金额与医疗救助金额之和超过医疗总费用",
        "the insurance's and the medical assistance's payments exceed the total expense",
    ),
    "medical_out_of_pocket": (
        "个人自付金额应为医疗总费用减医保报销金额和医疗救助金额（{expected}）",
        "the out-of-pocket amount must be the total less the insurance's and the medical "
        "assistance's payments ({expected})",
    ),
    "settlement_conflict": (
        "该人员的同一结算单号已登记为不同的日期或金额，请人工核对",
        "the person's settlement of this number is recorded with another date or amounts; "
        "check by hand",
    ),
    "duplicate_row": ("与第{row}行重复", "duplicates row {row}"),
    "conflict_row": (
        "同一人在第{row}行的内容不同（如类别、日期）",
        "the same person appears in row {row} with different values",
    ),
    "conflict_household": (
        "同一家庭在第{row}行的类别或日期不同",
        "the same household appears in row {row} with a different category or dates",
    ),
    "no_household": ("该人员在登记系统中没有家庭", "the person has no household in the registry"),
    "history_conflict": (
        "与登记系统已有记录冲突（该日期之后已有记录或起始日期不同），请人工核对",
        "conflicts with the registry's history (a later record exists or the start differs); "
        "check by hand",
    ),
    "death_conflict": (
        "登记系统中已有不同的死亡日期，请人工核对",
        "the registry already holds a different date of death; check by hand",
    ),
}

ID_MESSAGE_CODES = {
    "empty",
    "length",
    "characters",
    "region",
    "date",
    "future_date",
    "too_old",
    "checksum",
}


def cell_error(column: str, code: str, **params: Any) -> dict[str, Any]:
    """One error as stored on a row: column, code, Chinese and English message."""
    zh, en = CELL_MESSAGES[code]
    return {
        "column": column,
        "code": code,
        "message": zh.format(**params),
        "message_en": en.format(**params),
    }


class CellProblem(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


_YMD_SEPARATED = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
)
_YMD_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


# A workbook is read with its formulas, not the values cached beside them (a crafted file
# can cache anything, e.g. a registered person's ID number under =HYPERLINK(...)): a cell
# holding a formula reads "=…" and is refused, and so is a CSV cell written so. Text that
# merely starts with +, - or @ is data; every export neutralises it
# (dpf.core.spreadsheets.neutralise).
def is_formula(value: Any) -> bool:
    return isinstance(value, str) and value.lstrip().startswith("=")


def _foreign_digits(text: str) -> bool:
    """Digits other than ASCII and full-width ones (``str.isdigit`` takes every script's,
    and NFKC would turn superscripts and mathematical digits into ASCII)."""
    return any(c.isdigit() and not ("0" <= c <= "9" or "０" <= c <= "９") for c in text)


def parse_date(value: Any) -> dt.date:  # noqa: C901
    """A date cell: Excel date cells, Excel serial numbers, and the usual written forms."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise CellProblem("date_format")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if 19000101 <= value <= 21001231:
            value = str(value)
        elif 1 <= value <= 73050:  # an Excel serial day number (1900-01-01 .. 2099-12-31)
            return _EXCEL_EPOCH + dt.timedelta(days=value)
        else:
            raise CellProblem("date_format")
    if _foreign_digits(str(value)):
        raise CellProblem("date_digits")
    text = normalize_text(value)
    match = _YMD_SEPARATED.match(text) or _YMD_COMPACT.match(text)
    if match is None:
        raise CellProblem("date_format")
    year, month, day = (int(g) for g in match.groups())
    if not 1900 <= year <= 2100:
        raise CellProblem("date_impossible")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellProblem("date_impossible") from None


def _id_text(value: Any) -> str:
    if isinstance(value, float):
        raise CellProblem("id_numeric")
    # Not NFKC (normalize_text): it would turn mathematical or circled digits into ASCII.
    # parse_id_number folds full-width digits itself and refuses every other script's.
    text = re.sub(r"[\s\-－]", "", str(value)).lstrip("'").upper()
    return text


@dataclass
class ParsedRow:
    """One row after parsing (nothing looked up yet)."""

    row_number: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    id_hash: str = ""
    id_masked: str = ""
    birth_date: dt.date | None = None
    # When only the check character was wrong: the hash of the corrected number.
    corrected_hash: str = ""

    @property
    def valid(self) -> bool:
        return not self.errors


def _blank(value: Any) -> bool:
    return value is None or normalize_text(value) == ""


def _refusal_error(header: str, refusal: DomainError) -> dict[str, Any]:
    return {"column": header, **refusal.as_dict()}


def _parse_id(row: ParsedRow, column: Column, header: str, raw: Any, today: dt.date) -> None:
    try:
        text = _id_text(raw)
    except CellProblem as problem:
        row.errors.append(cell_error(header, problem.code))
        return
    try:
        parsed = parse_id_number(text, today=today)
    except InvalidIdNumber as exc:
        row.errors.append(_refusal_error(header, exc))
        # Shown masked; a number holding anything but digits and X is not shown at all (a
        # NUL would not even fit in a PostgreSQL column).
        plain = is_ascii_number(text, last_x=True) and len(text) in (15, 18)
        row.id_masked = mask_id_number(text) if plain else "*" * min(len(text), 18)
        if exc.code == "checksum" and len(text) == 18:
            corrected = text[:17] + check_character(text[:17])
            row.corrected_hash = id_lookup_hash(corrected)
        return
    row.id_hash = id_lookup_hash(parsed.normalized)
    row.id_masked = parsed.masked
    row.birth_date = parsed.birth_date
    if parsed.upgraded_from_15:
        row.values["id_upgraded_from_15"] = True


def parse_row(  # noqa: C901
    rtype: RosterType,
    headers: dict[str, str],
    cells: dict[str, Any],
    row_number: int,
    *,
    today: dt.date,
) -> ParsedRow:
    """Parse the cells of one row (``cells`` keyed by column key; ``headers`` as in the file)."""
    row = ParsedRow(row_number=row_number)
    for column in rtype.columns:
        header = headers.get(column.key, column.header)
        raw = cells.get(column.key)
        if _blank(raw):
            if column.kind == ColumnKind.ID_NUMBER:
                row.errors.append(
                    {
                        "column": header,
                        "code": "empty",
                        "message": "身份证号码不能为空",
                        "message_en": "The ID number is empty",
                    }
                )
            elif not column.blank_ok:
                row.errors.append(cell_error(header, "required"))
            else:
                row.values[column.key] = None
            continue
        if is_formula(raw):
            row.errors.append(cell_error(header, "formula"))
            if column.kind == ColumnKind.NAME:
                row.values["name"] = ""
            continue
        if column.kind == ColumnKind.ID_NUMBER:
            _parse_id(row, column, header, raw, today)
        elif column.kind == ColumnKind.NAME:
            try:
                check_name_characters(str(raw).strip())
            except InvalidName as refusal:
                row.errors.append(_refusal_error(header, refusal))
                row.values["name"] = ""  # the refused text is not kept
                continue
            name = normalize_name(raw)
            if len(name) > column.max_length:
                row.errors.append(cell_error(header, "too_long"))
            row.values["name"] = name[: column.max_length]
        elif column.kind == ColumnKind.DATE:
            try:
                row.values[column.key] = parse_date(raw).isoformat()
            except CellProblem as problem:
                row.errors.append(cell_error(header, problem.code))
        elif column.kind in (ColumnKind.CHOICE, ColumnKind.NUMBER):
            _parse_choice_or_number(row, column, header, raw)
        elif column.kind == ColumnKind.STATUS:
            status = parse_status(raw)
            if status is None:
                row.errors.append(cell_error(header, "status"))
            else:
                row.values[column.key] = status
        else:
            try:  # school, grade, institution: written to the registry on commit
                check_text_characters(
                    str(raw).strip(), field=column.key, label_zh=header, label_en=column.key
                )
            except InvalidText as refusal:
                row.errors.append(_refusal_error(header, refusal))
                row.values[column.key] = ""  # the refused text is not kept
                continue
            text = normalize_text(raw)
            if len(text) > column.max_length:
                row.errors.append(cell_error(header, "too_long"))
            row.values[column.key] = text[: column.max_length]
    _check_dates(rtype, headers, row, today)
    return row


def _parse_choice_or_number(row: ParsedRow, column: Column, header: str, raw: Any) -> None:
    """A CHOICE cell becomes its code; a NUMBER cell the decimal's text (JSON-safe)."""
    text = normalize_text(raw).replace(" ", "")
    if column.kind == ColumnKind.CHOICE:
        code = dict(column.words).get(text)
        if code is None:
            allowed = "、".join(dict.fromkeys(word for word, _code in column.words))
            row.errors.append(cell_error(header, "choice", allowed=allowed))
        else:
            row.values[column.key] = code
        return
    if _foreign_digits(str(raw)):  # Decimal() would read other scripts' digits
        row.errors.append(cell_error(header, "number_format"))
        return
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation:
        row.errors.append(cell_error(header, "number_format"))
        return
    low, high = Decimal(column.minimum), Decimal(column.maximum)
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if not number.is_finite() or not low <= number <= high or places > column.decimals:
        row.errors.append(
            cell_error(
                header,
                "number_range",
                low=column.minimum,
                high=column.maximum,
                decimals=column.decimals,
            )
        )
        return
    row.values[column.key] = str(number if places else number.to_integral_value())


def _check_dates(
    rtype: RosterType, headers: dict[str, str], row: ParsedRow, today: dt.date
) -> None:
    start, end = row.values.get("valid_from"), row.values.get("valid_to")
    end_column = rtype.column("valid_to")
    end_header = headers.get("valid_to", end_column.header if end_column else "终止日期")
    if start and end and end < start:
        code = "leave_before_entry" if rtype.target == Target.SCHOOL else "date_range"
        row.errors.append(cell_error(end_header, code))
    _check_columns(rtype, headers, row, today)
    if rtype.target == Target.MEDICAL_SETTLEMENT:
        _check_amounts(headers, row)
    surveyed, year = row.values.get("survey_date"), row.values.get("year")
    if surveyed:
        header = headers.get("survey_date", "调查日期")
        if dt.date.fromisoformat(surveyed) > today:
            row.errors.append(cell_error(header, "future_date"))
        elif year and str(dt.date.fromisoformat(surveyed).year) != year:
            row.errors.append(cell_error(header, "survey_year"))
    death = row.values.get("death_date")
    if death:
        header = headers.get("death_date", "死亡日期")
        if dt.date.fromisoformat(death) > today:
            row.errors.append(cell_error(header, "future_date"))
        elif row.birth_date is not None and dt.date.fromisoformat(death) < row.birth_date:
            row.errors.append(cell_error(header, "death_before_birth"))


def _check_amounts(headers: dict[str, str], row: ParsedRow) -> None:
    """A medical settlement's amounts agree: the insurance's and the assistance's payments
    within the total, and the out-of-pocket amount, when the row states it, what remains;
    when it does not, the remainder is written in its place."""
    parts = [row.values.get(k) for k in ("total", "reimbursed", "assistance")]
    if not all(isinstance(p, str) for p in parts):
        return  # a cell refused already
    total, reimbursed, assistance = (Decimal(p) for p in parts if isinstance(p, str))
    remainder = total - reimbursed - assistance
    if remainder < 0:
        header = headers.get("reimbursed", "医保报销金额")
        row.errors.append(cell_error(header, "medical_paid_over_total"))
        return
    if "out_of_pocket" not in row.values:
        return  # its cell refused already
    stated = row.values["out_of_pocket"]
    if stated is None:
        row.values["out_of_pocket"] = str(remainder)
        return
    if Decimal(stated) != remainder:
        header = headers.get("out_of_pocket", "个人自付金额")
        row.errors.append(cell_error(header, "medical_out_of_pocket", expected=f"{remainder:.2f}"))


def _check_columns(
    rtype: RosterType, headers: dict[str, str], row: ParsedRow, today: dt.date
) -> None:
    """A date not after the day of the validation; a cell filled only with another."""
    for column in rtype.columns:
        value = row.values.get(column.key)
        if column.not_future and value and dt.date.fromisoformat(value) > today:
            row.errors.append(cell_error(headers.get(column.key, column.header), "future_date"))
        # (the other cell empty, not refused: that has its own error)
        other_empty = column.only_with in row.values and not row.values[column.only_with]
        if column.only_with and value and other_empty:
            other = rtype.column(column.only_with)
            row.errors.append(
                cell_error(
                    headers.get(column.key, column.header),
                    "only_with",
                    other=headers.get(column.only_with, other.header if other else ""),
                )
            )


def signature(rtype: RosterType, values: dict[str, Any]) -> tuple[Any, ...]:
    """What a row says, for spotting the same person twice with different values."""
    keys = [c.key for c in rtype.columns if c.kind not in (ColumnKind.ID_NUMBER, ColumnKind.NAME)]
    return tuple(values.get(k) for k in keys)
