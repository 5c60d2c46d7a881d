"""The bank side of a payment list: the Excel bank list and the PDF for signing (the
bank's result file is read by ``bank_results``).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Subquery, Sum
from django.utils import timezone
from django.utils.formats import localize

from dpf.accounts.models import User
from dpf.core import audit
from dpf.core.models import Region
from dpf.core.pdf_tables import MM, Column, PrintedTables
from dpf.core.spreadsheets import neutralise as neutralise  # re-exported (tests)
from dpf.core.spreadsheets import write_xlsx
from dpf.jobs.models import Job
from dpf.jobs.services import job_start
from dpf.workflow.models import PaymentLine, PaymentList
from dpf.workflow.services.common import clean_reason, refuse
from dpf.workflow.services.payments import (
    _locked_list,
    mark_exported,
    township_totals,
    volume_lines,
)

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


def _bank_list(actor: User | None, list_id: int) -> PaymentList:
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
    actor: User | None, list_id: int, township_code: str, volume: int
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
    actor: User | None,
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
def document_file(*, actor: User | None, list_id: int, job_id: int) -> tuple[str, str, bytes]:
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
    *, actor: User | None, list_id: int, purpose: str, now: dt.datetime | None = None
) -> tuple[str, bytes]:
    """The bank list (approved lists only) as .xlsx, with the full ID and account numbers
    the bank pays by (docs/security.md, Exports); the export is audited with its purpose.
    The rows are read as tuples in chunks and streamed into the file (``write_xlsx``)."""
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
    lines = _lines_for_export(plist).values_list(
        "pk",
        "township_code",
        "village_code",
        "person__name",
        "person__id_number",
        "bank_name",
        "account_holder",
        "bank_account",
        "amount",
        "arrears_months",
        "arrears_amount",
        "deduction_amount",
        "net_amount",
    )
    head = [
        [_title(plist)],
        [f"合计 {plist.line_count} 人，实发 {plist.total_amount} 元"],
        BANK_HEADERS,
    ]
    body = (
        (n, pk, names.get(town, town), names.get(village, village), *rest)
        for n, (pk, town, village, *rest) in enumerate(lines.iterator(chunk_size=5000), start=1)
    )
    out = io.BytesIO()
    # text cells are neutralised by the writer (formula injection)
    write_xlsx(out, "发放名册", itertools.chain(head, body))
    filename = f"payment-list-{plist.county_code}-{plist.benefit.code}-{plist.month:%Y-%m}.xlsx"
    return filename, out.getvalue()


# The signing document's tables (苏木乡镇 township, 嘎查村 village; 签字 the payee's
# signature). Widths are shares of the page: a line is laid out without measuring its
# neighbours (``dpf.core.pdf_tables``), so the widths hold the longest names and numbers.
TOWN_COLUMNS = (
    Column("苏木乡镇（街道）", 30),
    Column("人数", 14, right=True),
    Column("当月金额", 14, right=True),
    Column("补发", 14, right=True),
    Column("扣减", 14, right=True),
    Column("实发", 14, right=True),
)
LINE_COLUMNS = (
    Column("明细编号", 6),
    Column("苏木乡镇", 9),
    Column("嘎查村（社区）", 10),
    Column("姓名", 7),
    Column("身份证号", 12.5),
    Column("开户银行", 15),
    Column("银行账号", 13),
    Column("当月", 5.5, right=True),
    Column("补发", 5.5, right=True),
    Column("扣减", 5.5, right=True),
    Column("实发", 5.5, right=True),
    Column("签字", 5.5),
)
SIGNATURES = ("制表人：", "审核人：", "单位负责人：")


@dataclass(frozen=True)
class SigningDocument:
    """What a signing PDF prints, as text: its title, the note on the list, the totals by
    township, and for a township's volume its heading and lines (``LINE_COLUMNS``, the
    accounts masked); the county summary has a closing note instead."""

    title: str
    note: str
    towns: list[tuple[str, ...]]
    heading: str = ""
    lines: list[tuple[str, ...]] = field(default_factory=list)
    closing: str = ""


def signing_pdf(
    *,
    actor: User | None,
    list_id: int,
    township_code: str = "",
    volume: int = 1,
    purpose: str = "签字审核",
) -> tuple[str, bytes]:
    """The PDF of ``signing_document``: A4 landscape, the header row on every page, the
    signatures' places at the end, "page N / M" at each page's foot."""
    filename, document = signing_document(
        actor=actor, list_id=list_id, township_code=township_code, volume=volume, purpose=purpose
    )
    return filename, signing_document_pdf(document)


def signing_document_pdf(document: SigningDocument) -> bytes:
    """``document`` laid out as the signing PDF (``dpf.core.pdf_tables``)."""
    printed = PrintedTables(title=document.title)
    printed.text(document.title, size=14, bold=True, center=True, after=4 * MM)
    printed.text(document.note, size=8, before=8, after=8)
    printed.table(TOWN_COLUMNS, document.towns, heading="按苏木乡镇（街道）合计")
    if document.heading:
        printed.table(LINE_COLUMNS, document.lines, heading=document.heading)
    else:
        printed.text(document.closing, size=8, before=8, after=8)
    printed.signatures(SIGNATURES)
    return printed.pdf()


def signing_document(
    *,
    actor: User | None,
    list_id: int,
    township_code: str = "",
    volume: int = 1,
    purpose: str = "签字审核",
) -> tuple[str, SigningDocument]:
    """The list as a document for signing: the county's summary (totals by township), or
    one volume of one township's lines (masked account numbers) when ``township_code`` is
    given. A county's lines are printed township by township, and a township's in volumes
    of at most ``volume_lines()`` lines: each township signs its own part, and no file
    grows past what an officer prints and a job writes at once."""
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
    generated = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    note = (
        f"状态：{plist.get_status_display()}；人数 {localize(plist.line_count)}；"
        f"实发合计 {localize(plist.total_amount)} 元（其中补发 {localize(plist.total_arrears)} 元，"
        f"扣减 {localize(plist.total_deductions)} 元）。金额为示例标准。生成于 {generated}。"
        "银行账号已脱敏。"
    )
    title = _title(plist)
    if town is None:
        filename = _signing_filename(plist, "")
        closing = "发放明细按苏木乡镇（街道）分册打印、签字，每册不超过1000人。"
        return filename, SigningDocument(title, note, _town_rows(towns), closing=closing)
    names = dict(
        Region.objects.filter(code__startswith=plist.county_code).values_list("code", "name")
    )
    size = volume_lines()
    first = (volume - 1) * size
    lines = _lines_for_export(plist).filter(township_code=township_code)[first : first + size]
    part = PaymentLine.objects.filter(pk__in=Subquery(lines.values("pk"))).aggregate(
        lines=Count("pk"), net=Sum("net_amount")
    )
    rows = [
        (
            str(pk),
            names.get(town_code, ""),
            names.get(village_code, ""),
            *(text or "" for text in (name, id_masked, bank_name, account_masked)),
            *(localize(amount) for amount in amounts),
            "",
        )
        for pk, town_code, village_code, name, id_masked, bank_name, account_masked, *amounts in (
            lines.values_list(
                "pk",
                "township_code",
                "village_code",
                "person__name",
                "person__id_number_masked",
                "bank_name",
                "bank_account_masked",
                "amount",
                "arrears_amount",
                "deduction_amount",
                "net_amount",
            ).iterator(chunk_size=2000)
        )
    ]
    heading = "发放明细"
    if volumes > 1:
        title = f"{title}（{town['name']}，第{volume}册/共{volumes}册）"
        heading += (
            f"（第{volume}册/共{volumes}册，本册 {localize(part['lines'])} 人，"
            f"实发 {localize(part['net'])} 元）"
        )
    else:
        title = f"{title}（{town['name']}）"
    filename = _signing_filename(
        plist, f"-{township_code}" + (f"-{volume}of{volumes}" if volumes > 1 else "")
    )
    return filename, SigningDocument(title, note, _town_rows([town]), heading, rows)


def _town_rows(towns: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    return [
        (t["name"], *(localize(t[k]) for k in ("lines", "amount", "arrears", "deductions", "net")))
        for t in towns
    ]


def _signing_filename(plist: PaymentList, part: str) -> str:
    return f"payment-list-{plist.county_code}-{plist.benefit.code}-{plist.month:%Y-%m}{part}.pdf"
