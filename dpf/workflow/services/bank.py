"""The bank side of a payment list: the Excel bank list, the PDF for signing, and the
import of the bank's result file (all or nothing: one unknown line and nothing is marked).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Count, Subquery, Sum
from django.template.loader import render_to_string
from django.utils import timezone

from dpf.core import audit
from dpf.core.errors import DomainError, ValidationFailed
from dpf.core.idnumber import InvalidIdNumber, parse_id_number
from dpf.core.models import Region
from dpf.core.spreadsheets import neutralise
from dpf.core.table_limits import import_limits
from dpf.core.tables import FileRefused, open_rows
from dpf.jobs.models import Job
from dpf.jobs.services import job_start
from dpf.registry.services import id_lookup_hash
from dpf.workflow.models import PaymentLine, PaymentList
from dpf.workflow.services.common import clean_reason, now_or, refuse
from dpf.workflow.services.payments import (
    _locked_list,
    mark_exported,
    township_totals,
    volume_lines,
)

MAX_RESULT_ROWS = 300_000

BANK_HEADERS = [
    "序号",
    "明细编号",
    "苏木乡镇（街道）",
    "嘎查村（社区）",
    "姓名",
    "身份证号码",
    "开户银行",
    "户名",
    "银行账号",
    "当月金额",
    "补发月数",
    "补发金额",
    "扣减金额",
    "实发金额",
]


def _title(plist: PaymentList) -> str:
    county = Region.objects.filter(code=plist.county_code).values_list("name", flat=True).first()
    return (
        f"{county or plist.county_code}{plist.benefit.name_zh}"
        f"{plist.month.year}年{plist.month.month}月发放名册"
    )


def _purpose(purpose: str) -> str:
    text = clean_reason(purpose, field="purpose", required=False)
    if len(text) < 2:
        raise refuse(
            "purpose_required",
            "导出个人信息须说明用途",
            "say why the personal data is exported",
            "purpose",
        )
    return text


def _lines_for_export(plist: PaymentList) -> Any:
    return (
        PaymentLine.objects.filter(payment_list=plist)
        .select_related("person")
        .only(
            "pk",
            "township_code",
            "village_code",
            "bank_name",
            "account_holder",
            "bank_account",
            "bank_account_masked",
            "amount",
            "arrears_months",
            "arrears_amount",
            "deduction_amount",
            "net_amount",
            "person__name",
            "person__id_number_masked",
            "person__id_number",
        )
        .order_by("township_code", "village_code", "pk")
    )


def _bank_list(actor: Any, list_id: int) -> PaymentList:
    """The list, locked, when the actor may export it and it is approved (the bank pays
    approved lists only)."""
    plist = _locked_list(actor, list_id, "export")
    if plist.status == PaymentList.Status.DRAFT:
        raise refuse(
            "list_not_approved",
            "名册审核后才能导出银行代发文件",
            "approve the list before exporting the bank file",
        )
    return plist


def _signing_part(
    actor: Any, list_id: int, township_code: str, volume: int
) -> tuple[PaymentList, list[dict[str, Any]], dict[str, Any] | None, int]:
    """The list (locked), its townships' totals, the township asked for (None: the county
    summary) and its number of volumes, when the actor may export the list and the township
    and volume exist."""
    plist = _locked_list(actor, list_id, "export")
    towns = township_totals(plist)
    town = next((t for t in towns if t["township_code"] == township_code), None)
    if township_code and town is None:
        raise refuse(
            "township_unknown",
            "本名册中没有该苏木乡镇",
            "no such township in this list",
            "township",
        )
    volumes = len(town["volumes"]) if town else 1
    if volume < 1 or volume > volumes:
        raise refuse(
            "volume_unknown",
            f"分册号须在1到{volumes}之间",
            f"the volume must be between 1 and {volumes}",
            "volume",
        )
    return plist, towns, town, volumes


# Documents as background jobs (dpf.jobs): a county's bank workbook or a township's signing
# volume takes tens of seconds at a city's scale (docs/benchmarks.md), longer than a request
# should. The page starts the job; the file is offered to the officer who asked for it.
BANK_WORKBOOK = "workflow.bank_workbook"
SIGNING_PDF = "workflow.signing_pdf"
DOCUMENT_KINDS = (BANK_WORKBOOK, SIGNING_PDF)


def document_start(
    *,
    actor: Any,
    list_id: int,
    kind: str,
    purpose: str = "",
    township_code: str = "",
    volume: int = 1,
) -> tuple[Job, bool]:
    """Queue the bank workbook (``BANK_WORKBOOK``, with the export's purpose) or a signing
    PDF (``SIGNING_PDF``: the summary, or one township's volume). What the job would refuse
    is refused here first, so the page says it at once; a second start of the same document
    by the same officer while the first runs joins it."""
    with transaction.atomic():
        if kind == BANK_WORKBOOK:
            purpose = _purpose(purpose)
            _bank_list(actor, list_id)
            params: dict[str, Any] = {"list_id": list_id, "purpose": purpose}
        elif kind == SIGNING_PDF:
            _signing_part(actor, list_id, township_code, volume)
            params = {"list_id": list_id, "township_code": township_code, "volume": volume}
        else:
            raise refuse("document_unknown", "未知的文件类型", "unknown document", "kind")
    key = f"{kind}:{list_id}:{township_code}:{volume}:{getattr(actor, 'pk', '')}"
    return job_start(actor=actor, kind=kind, key=key, params=params)


@transaction.atomic
def document_file(*, actor: Any, list_id: int, job_id: int) -> tuple[str, str, bytes]:
    """The file a document job of this list made, for the officer who started it (name,
    content type, content); the download is audited. Another officer's file, another
    list's, one not finished or expired: not found."""
    from dpf.jobs import outputs

    plist = _locked_list(actor, list_id, "export")
    _job, output = outputs.output_for(
        actor,
        job_id,
        kinds=DOCUMENT_KINDS,
        belongs=lambda job: job.params.get("list_id") == plist.pk,
    )
    data = outputs.read(output)
    audit.record(
        actor=actor,
        action="download",
        object_type="payment_list",
        object_id=plist.pk,
        changes={"job": job_id, "file": output.filename},
    )
    return output.filename, output.content_type, data


def bank_workbook(
    *, actor: Any, list_id: int, purpose: str, now: dt.datetime | None = None
) -> tuple[str, bytes]:
    """The bank list (approved lists only) as .xlsx, with the full ID and account numbers
    the bank pays by (docs/security.md, Exports); the export is audited with its purpose."""
    from openpyxl import Workbook

    purpose = _purpose(purpose)
    with transaction.atomic():
        plist = _bank_list(actor, list_id)
        mark_exported(actor=actor, plist=plist, now=now)
        audit.record(
            actor=actor,
            action="export",
            object_type="payment_list",
            object_id=plist.pk,
            changes={"format": "xlsx", "lines": plist.line_count},
            reason=purpose,
        )
    names = dict(
        Region.objects.filter(code__startswith=plist.county_code).values_list("code", "name")
    )
    book = Workbook(write_only=True)
    sheet = book.create_sheet("发放名册")
    sheet.append([neutralise(_title(plist))])
    sheet.append([f"合计 {plist.line_count} 人，实发 {plist.total_amount} 元"])
    sheet.append(BANK_HEADERS)
    for n, line in enumerate(_lines_for_export(plist).iterator(chunk_size=5000), start=1):
        sheet.append(
            [
                n,
                line.pk,
                neutralise(names.get(line.township_code, line.township_code)),
                neutralise(names.get(line.village_code, line.village_code)),
                neutralise(line.person.name),
                neutralise(line.person.id_number),
                neutralise(line.bank_name),
                neutralise(line.account_holder),
                neutralise(line.bank_account),
                line.amount,
                line.arrears_months,
                line.arrears_amount,
                line.deduction_amount,
                line.net_amount,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    filename = f"payment-list-{plist.county_code}-{plist.benefit.code}-{plist.month:%Y-%m}.xlsx"
    return filename, out.getvalue()


def signing_pdf(
    *,
    actor: Any,
    list_id: int,
    township_code: str = "",
    volume: int = 1,
    purpose: str = "签字审核",
) -> tuple[str, bytes]:
    """The PDF of ``signing_document``."""
    from weasyprint import HTML

    filename, html = signing_document(
        actor=actor, list_id=list_id, township_code=township_code, volume=volume, purpose=purpose
    )
    return filename, bytes(HTML(string=html).write_pdf() or b"")


def signing_document(
    *,
    actor: Any,
    list_id: int,
    township_code: str = "",
    volume: int = 1,
    purpose: str = "签字审核",
) -> tuple[str, str]:
    """The list as a document (HTML for the PDF engine) for signing: the county's summary
    (totals by township), or one volume of one township's lines (masked account numbers)
    when ``township_code`` is given. A county's lines are printed township by township,
    and a township's in volumes of at most ``volume_lines()`` lines: each township signs
    its own part, and no document grows to the thousands of lines whose layout would take
    gigabytes of memory."""
    with transaction.atomic():
        plist, towns, town, volumes = _signing_part(actor, list_id, township_code, volume)
        audit.record(
            actor=actor,
            action="export",
            object_type="payment_list",
            object_id=plist.pk,
            changes={"format": "pdf", "township": township_code or None, "volume": volume},
            reason=_purpose(purpose),
        )
    names = dict(
        Region.objects.filter(code__startswith=plist.county_code).values_list("code", "name")
    )
    rows: Any = ()
    part_totals: dict[str, Any] = {}
    title = _title(plist)
    if town is not None:
        towns = [town]
        size = volume_lines()
        first = (volume - 1) * size
        lines = _lines_for_export(plist).filter(township_code=township_code)
        lines = lines.defer("bank_account", "person__id_number")[first : first + size]
        part_totals = PaymentLine.objects.filter(pk__in=Subquery(lines.values("pk"))).aggregate(
            lines=Count("pk"), net=Sum("net_amount")
        )
        rows = (
            (ln, names.get(ln.township_code, ""), names.get(ln.village_code, ""))
            for ln in lines.iterator(chunk_size=2000)
        )
        title = f"{title}（{town['name']}"
        title += f"，第{volume}册/共{volumes}册）" if volumes > 1 else "）"
    html = render_to_string(
        "workflow/payment_list_pdf.html",
        {
            "plist": plist,
            "title": title,
            "towns": towns,
            "rows": rows,
            "by_township": town is not None,
            "volume": volume,
            "volumes": volumes,
            "part": part_totals,
            "generated": timezone.localtime(),
        },
    )
    part = f"-{township_code}" if township_code else ""
    if volumes > 1:
        part += f"-{volume}of{volumes}"
    filename = (
        f"payment-list-{plist.county_code}-{plist.benefit.code}-{plist.month:%Y-%m}{part}.pdf"
    )
    return filename, html


# The bank's result file -------------------------------------------------------------------

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


@transaction.atomic
def import_results(  # noqa: C901
    *, actor: Any, list_id: int, data: bytes, now: dt.datetime | None = None
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
    rows = _rows(data)
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
    lines = {
        row[0]: row
        for row in PaymentLine.objects.filter(payment_list=plist).values_list(
            "pk", "net_amount", "status", "person__id_number_hash"
        )
    }
    by_hash = {row[3]: row[0] for row in lines.values()}
    problems: list[RowProblem] = []
    seen: set[int] = set()
    marks: dict[str, list[tuple[int, str]]] = {
        PaymentLine.Status.PAID: [],
        PaymentLine.Status.FAILED: [],
    }

    def cell(row: list[str], key: str) -> str:
        i = columns.get(key)
        return row[i].strip() if i is not None and i < len(row) else ""

    for number, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        line_id: int | None = None
        raw_id = cell(row, "line_id")
        if raw_id:
            try:
                line_id = int(Decimal(raw_id))
            except (InvalidOperation, ValueError):
                line_id = None
            if line_id not in lines:
                problems.append(
                    _problem(
                        number, "unknown_line", "本名册中没有该明细", "no such line in this list"
                    )
                )
                continue
        else:
            raw_number = cell(row, "id_number")
            try:
                digest = id_lookup_hash(parse_id_number(raw_number).normalized)
            except InvalidIdNumber:
                problems.append(
                    _problem(number, "bad_id_number", "身份证号无效", "invalid ID number")
                )
                continue
            line_id = by_hash.get(digest)
            if line_id is None:
                problems.append(
                    _problem(
                        number, "unknown_line", "本名册中没有该人员", "no such person in this list"
                    )
                )
                continue
        net, status, _ = lines[line_id][1], lines[line_id][2], lines[line_id][3]
        if line_id in seen:
            problems.append(
                _problem(number, "duplicate_line", "明细重复", "the line appears twice")
            )
            continue
        seen.add(line_id)
        try:
            amount = Decimal(cell(row, "amount").replace(",", ""))
        except InvalidOperation:
            problems.append(_problem(number, "bad_amount", "金额无效", "invalid amount"))
            continue
        if amount != net:
            problems.append(
                _problem(
                    number,
                    "amount_mismatch",
                    f"金额{amount}与名册实发金额{net}不一致",
                    f"amount {amount} differs from the line's {net}",
                )
            )
            continue
        result = STATUS_WORDS.get(cell(row, "status").strip().lower())
        if result is None:
            problems.append(
                _problem(
                    number, "bad_status", "结果应为成功或失败", "the result must be paid or failed"
                )
            )
            continue
        reason = cell(row, "reason")[:200]
        if result == PaymentLine.Status.FAILED and not reason:
            problems.append(
                _problem(number, "reason_missing", "发放失败须注明原因", "a failure needs a reason")
            )
            continue
        if status != PaymentLine.Status.PENDING:
            problems.append(
                _problem(
                    number, "already_marked", "该明细已标记结果", "the line already has a result"
                )
            )
            continue
        marks[result].append((line_id, reason))
    if problems:
        raise ResultFileRefused(problems)
    now = now_or(now)
    paid_ids = [pk for pk, _ in marks[PaymentLine.Status.PAID]]
    for start in range(0, len(paid_ids), 5000):
        PaymentLine.objects.filter(pk__in=paid_ids[start : start + 5000]).update(
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
    audit.record(
        actor=actor,
        action="change",
        object_type="payment_list",
        object_id=plist.pk,
        changes={"results": {"paid": len(paid_ids), "failed": len(failed)}, "closed": closed},
    )
    return ResultSummary(paid=len(paid_ids), failed=len(failed), closed=closed)
