"""The bank's result file of a payment list: each line marked paid or failed, all or
nothing (one unknown line, and nothing is marked).

Every row is checked first, each check one function (``_row_line``, ``_row_mark``); the
file is refused with every problem listed (``ResultFileRefused``), or the marks are written
in a few set-based statements (``_write_marks``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction

from dpf.accounts.models import User
from dpf.core import audit
from dpf.core.errors import DomainError, ValidationFailed
from dpf.core.idnumber import InvalidIdNumber, parse_id_number
from dpf.core.table_limits import import_limits
from dpf.core.tables import FileRefused, open_rows
from dpf.registry.services import id_lookup_hash
from dpf.workflow.models import PaymentLine, PaymentList
from dpf.workflow.services.common import now_or, refuse
from dpf.workflow.services.payments import _locked_list

MAX_RESULT_ROWS = 300_000

COLUMN_ALIASES = {
    "line_id": ("明细编号", "line_id", "编号", "line"),
    "id_number": ("身份证号", "身份证号码", "id_number"),
    "amount": ("金额", "实发金额", "amount"),
    "status": ("结果", "状态", "发放结果", "status"),
    "reason": ("原因", "失败原因", "reason"),
}
STATUS_WORDS = {
    "paid": PaymentLine.Status.PAID,
    "success": PaymentLine.Status.PAID,
    "成功": PaymentLine.Status.PAID,
    "已发放": PaymentLine.Status.PAID,
    "failed": PaymentLine.Status.FAILED,
    "fail": PaymentLine.Status.FAILED,
    "失败": PaymentLine.Status.FAILED,
    "发放失败": PaymentLine.Status.FAILED,
}
_WRITE_BATCH = 5000


@dataclass(frozen=True)
class RowProblem:
    row: int
    code: str
    message_zh: str
    message_en: str


class ResultFileRefused(DomainError):
    """The bank's file has problems: each is listed, nothing was marked."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(
            "result_file_refused",
            f"银行回盘文件有{len(problems)}处问题，未标记任何明细",
            f"the bank's result file has {len(problems)} problem(s): nothing was marked",
            field="file",
        )
        self.problems = problems


@dataclass(frozen=True)
class ResultSummary:
    paid: int
    failed: int
    closed: bool


@dataclass(frozen=True)
class _Line:
    """A line of the list as the checks read it."""

    pk: int
    net: Decimal
    status: str


Cell = Callable[[list[str], str], str]


def _rows(data: bytes) -> list[list[str]]:
    """The file's rows as text, opened as every uploaded table is (:mod:`dpf.core.tables`:
    format by content, archive and row limits checked before any row is read)."""
    limits = dataclasses.replace(import_limits(), max_rows=MAX_RESULT_ROWS + 1)
    table = open_rows(data, limits)
    return [["" if v is None else str(v).strip() for v in cells] for _, cells in table.rows]


def _header(row: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    lowered = [c.strip().lower() for c in row]
    for key, aliases in COLUMN_ALIASES.items():
        for i, cell in enumerate(lowered):
            if cell in {a.lower() for a in aliases}:
                found[key] = i
                break
    return found


def _problem(row: int, code: str, zh: str, en: str) -> RowProblem:
    return RowProblem(row, code, f"第{row}行：{zh}", f"row {row}: {en}")


def _columns(rows: list[list[str]]) -> dict[str, int]:
    """The header's columns; refused when the amount, the result or both ways of naming
    the line (its number, the person's ID number) are missing."""
    if not rows:
        raise FileRefused("no_rows")
    columns = _header(rows[0])
    missing = [k for k in ("amount", "status") if k not in columns]
    if "line_id" not in columns and "id_number" not in columns:
        missing.insert(0, "line_id/id_number")
    if missing:
        raise ValidationFailed(
            "result_file_columns",
            f"缺少列：{', '.join(missing)}",
            f"missing columns: {', '.join(missing)}",
            field="file",
        )
    return columns


def _row_line(
    number: int, row: list[str], cell: Cell, lines: dict[int, _Line], by_hash: dict[str, int]
) -> int | RowProblem:
    """The list's line a row names: by the line's number, else by the person's ID number."""
    raw_id = cell(row, "line_id")
    if raw_id:
        try:
            line_id: int | None = int(Decimal(raw_id))
        except (InvalidOperation, ValueError):
            line_id = None
        if line_id is None or line_id not in lines:
            return _problem(
                number, "unknown_line", "本名册中没有该明细", "no such line in this list"
            )
        return line_id
    try:
        digest = id_lookup_hash(parse_id_number(cell(row, "id_number")).normalized)
    except InvalidIdNumber:
        return _problem(number, "bad_id_number", "身份证号无效", "invalid ID number")
    found = by_hash.get(digest)
    if found is None:
        return _problem(number, "unknown_line", "本名册中没有该人员", "no such person in this list")
    return found


def _row_mark(number: int, row: list[str], cell: Cell, line: _Line) -> tuple[str, str] | RowProblem:
    """The (result, reason) a row gives its line: the amount is the line's, the result is
    known, a failure has a reason, the line has no result yet."""
    try:
        amount = Decimal(cell(row, "amount").replace(",", ""))
    except InvalidOperation:
        return _problem(number, "bad_amount", "金额无效", "invalid amount")
    if amount != line.net:
        return _problem(
            number,
            "amount_mismatch",
            f"金额{amount}与名册实发金额{line.net}不一致",
            f"amount {amount} differs from the line's {line.net}",
        )
    result = STATUS_WORDS.get(cell(row, "status").strip().lower())
    if result is None:
        return _problem(
            number, "bad_status", "结果应为成功或失败", "the result must be paid or failed"
        )
    reason = cell(row, "reason")[:200]
    if result == PaymentLine.Status.FAILED and not reason:
        return _problem(number, "reason_missing", "发放失败须注明原因", "a failure needs a reason")
    if line.status != PaymentLine.Status.PENDING:
        return _problem(
            number, "already_marked", "该明细已标记结果", "the line already has a result"
        )
    return result, reason


def _checked_marks(rows: list[list[str]], plist: PaymentList) -> dict[str, list[tuple[int, str]]]:
    """Every row checked against the list's lines: the marks to write, or the file refused
    with every problem."""
    columns = _columns(rows)

    def cell(row: list[str], key: str) -> str:
        i = columns.get(key)
        return row[i].strip() if i is not None and i < len(row) else ""

    lines: dict[int, _Line] = {}
    by_hash: dict[str, int] = {}
    for pk, net, status, digest in PaymentLine.objects.filter(payment_list=plist).values_list(
        "pk", "net_amount", "status", "person__id_number_hash"
    ):
        lines[pk] = _Line(pk, net, status)
        by_hash[digest] = pk
    problems: list[RowProblem] = []
    seen: set[int] = set()
    marks: dict[str, list[tuple[int, str]]] = {
        PaymentLine.Status.PAID: [],
        PaymentLine.Status.FAILED: [],
    }
    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        line_id = _row_line(number, row, cell, lines, by_hash)
        if isinstance(line_id, RowProblem):
            problems.append(line_id)
            continue
        if line_id in seen:
            problems.append(
                _problem(number, "duplicate_line", "明细重复", "the line appears twice")
            )
            continue
        seen.add(line_id)
        mark = _row_mark(number, row, cell, lines[line_id])
        if isinstance(mark, RowProblem):
            problems.append(mark)
            continue
        result, reason = mark
        marks[result].append((line_id, reason))
    if problems:
        raise ResultFileRefused(problems)
    return marks


def _write_marks(
    plist: PaymentList, marks: dict[str, list[tuple[int, str]]], now: dt.datetime
) -> ResultSummary:
    """The marks in a few statements; the list closes when no line is left pending."""
    paid_ids = [pk for pk, _ in marks[PaymentLine.Status.PAID]]
    for start in range(0, len(paid_ids), _WRITE_BATCH):
        PaymentLine.objects.filter(pk__in=paid_ids[start : start + _WRITE_BATCH]).update(
            status=PaymentLine.Status.PAID, result_at=now
        )
    failed = [
        PaymentLine(pk=pk, status=PaymentLine.Status.FAILED, failure_reason=reason, result_at=now)
        for pk, reason in marks[PaymentLine.Status.FAILED]
    ]
    PaymentLine.objects.bulk_update(
        failed, ["status", "failure_reason", "result_at"], batch_size=2000
    )
    closed = not PaymentLine.objects.filter(
        payment_list=plist, status=PaymentLine.Status.PENDING
    ).exists()
    if closed:
        plist.status = PaymentList.Status.CLOSED
        plist.closed_at = now
        plist.save(update_fields=["status", "closed_at"])
    return ResultSummary(paid=len(paid_ids), failed=len(failed), closed=closed)


@transaction.atomic
def import_results(
    *, actor: User | None, list_id: int, data: bytes, now: dt.datetime | None = None
) -> ResultSummary:
    """Mark each line paid or failed from the bank's file. Every row is checked first (the
    line is this list's, the amount is the line's, the result is known, a failure has a
    reason, no line twice, no line already marked); any problem refuses the whole file."""
    plist = _locked_list(actor, list_id, "change")
    if plist.status not in (PaymentList.Status.APPROVED, PaymentList.Status.EXPORTED):
        raise refuse(
            "list_not_exported",
            "只能为已审核或已导出的名册导入银行回盘",
            "results are imported for approved or exported lists only",
            "file",
        )
    marks = _checked_marks(_rows(data), plist)
    summary = _write_marks(plist, marks, now_or(now))
    audit.record(
        actor=actor,
        action="change",
        object_type="payment_list",
        object_id=plist.pk,
        changes={
            "results": {"paid": summary.paid, "failed": summary.failed},
            "closed": summary.closed,
        },
    )
    return summary
