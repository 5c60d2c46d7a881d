"""Time the payment list's long documents on synthetic lines (no database, no people):
the bank workbook of a city's largest list and the signing PDFs of its largest township
(issue 21; docs/benchmarks.md, "Payment documents").

``dpf bench documents [--rows 81485] [--township 4946] [--compare]``

The lines have the shape and the types the services read from the database (names,
villages and banks in Chinese, 18-digit ID numbers, 19-digit accounts, decimal amounts) and
go through the same code that writes the files: ``dpf.core.spreadsheets.write_xlsx`` with
the bank workbook's head, and ``signing_document_pdf`` for each volume of
``DPF_SIGNING_VOLUME_LINES`` lines. What is not timed is reading the lines from the
database (one ``values_list`` query in chunks), except the decryption of the workbook's
two encrypted columns, timed apart. ``--compare`` also times the libraries
the platform used before, on the same lines: openpyxl's write-only workbook, and
WeasyPrint laying out one volume as the former HTML template did (automatic table layout,
"page N / M") and with a fixed table layout. Prints JSON.
"""

from __future__ import annotations

import io
import os
import random
import resource
import time
from decimal import Decimal
from html import escape
from typing import Any

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏"
    "卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩然子涵欣怡梓轩晨阳"
    "佳琪思远文博志春梅海燕建国凤巴特尔其格乌图雅苏和额敦仁高娃"
)
VILLAGES = [
    f"{a}{b}嘎查" if i % 3 else f"{a}{b}村"
    for i, (a, b) in enumerate(
        zip("哈拉乌兰巴彦沙布台查干宝力格敖包", "达图浩特温都苏木塔拉营子沟门屯", strict=False)
    )
]
BANKS = [
    "中国农业银行股份有限公司赤峰红山支行",
    "中国工商银行赤峰分行营业部",
    "赤峰农村商业银行股份有限公司",
    "中国邮政储蓄银行赤峰市分行",
    "内蒙古银行赤峰分行",
]


def synthetic_lines(count: int, seed: int = 21) -> list[tuple[Any, ...]]:
    """``count`` lines as the bank workbook reads them: pk, township, village, name, ID
    number, bank, holder, account, amount, arrears months, arrears, deduction, net."""
    rng = random.Random(seed)
    lines = []
    for n in range(count):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 3)))
        born = f"{rng.randint(1940, 2020)}{rng.randint(101, 1228):04d}"
        id_number = f"150402{born}{rng.randint(0, 9999):04d}"
        amount = Decimal(rng.choice(["95.00", "100.00", "120.00", "200.00"]))
        months = rng.choice([0, 0, 0, 1, 2])
        arrears = amount * months
        deduction = Decimal("0.00") if rng.random() < 0.95 else Decimal("50.00")
        lines.append(
            (
                1_000_000 + n,
                "红山区文钟镇",
                rng.choice(VILLAGES),
                name,
                id_number,
                rng.choice(BANKS),
                name,
                f"622848{rng.randint(10**12, 10**13 - 1)}",
                amount,
                months,
                arrears,
                deduction,
                amount + arrears - deduction,
            )
        )
    return lines


def _time(call: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return round(time.perf_counter() - start, 2), result


def workbook(lines: list[tuple[Any, ...]]) -> bytes:
    from dpf.core.spreadsheets import write_xlsx
    from dpf.workflow.services.bank import BANK_HEADERS

    head = [["红山区残疾人两项补贴2026年11月发放名册"], ["合计 … 人"], BANK_HEADERS]
    out = io.BytesIO()
    write_xlsx(out, "发放名册", [*head, *((n, *ln) for n, ln in enumerate(lines, start=1))])
    return out.getvalue()


def workbook_openpyxl(lines: list[tuple[Any, ...]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("发放名册")
    for n, ln in enumerate(lines, start=1):
        sheet.append([n, *ln])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _volume(lines: list[tuple[Any, ...]], volume: int, volumes: int) -> Any:
    from django.utils.formats import localize

    from dpf.workflow.services.bank import SigningDocument

    def masked(text: str) -> str:
        return text[:6] + "*" * (len(text) - 10) + text[-4:]

    rows = [
        (
            str(pk),
            town,
            village,
            name,
            masked(id_number),
            bank,
            masked(account),
            *(localize(a) for a in (amount, arrears, deduction, net)),
            "",
        )
        for pk, town, village, name, id_number, bank, _holder, account, amount, _months, *money in (
            lines
        )
        for arrears, deduction, net in [money]
    ]
    total = sum(ln[12] for ln in lines)
    return SigningDocument(
        title=f"红山区残疾人两项补贴2026年11月发放名册（文钟镇，第{volume}册/共{volumes}册）",
        note="状态：已审核；金额为示例标准。银行账号已脱敏。",
        towns=[("文钟镇", str(len(lines)), "0", "0", "0", str(total))],
        heading=f"发放明细（第{volume}册/共{volumes}册，本册 {len(lines)} 人，实发 {total} 元）",
        lines=rows,
    )


def signing_pdfs(lines: list[tuple[Any, ...]], size: int) -> list[bytes]:
    from dpf.workflow.services.bank import signing_document_pdf

    parts = [lines[i : i + size] for i in range(0, len(lines), size)]
    return [
        signing_document_pdf(_volume(part, n, len(parts))) for n, part in enumerate(parts, start=1)
    ]


def signing_pdf_weasyprint(lines: list[tuple[Any, ...]], *, fixed: bool) -> bytes:
    """One volume as the former template (workflow/payment_list_pdf.html) printed it."""
    from weasyprint import HTML

    from dpf.workflow.services.bank import LINE_COLUMNS

    document = _volume(lines, 1, 1)
    layout = "table-layout: fixed;" if fixed else ""
    cols = "".join(f'<col style="width:{c.share}%">' for c in LINE_COLUMNS) if fixed else ""
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
        for row in document.lines
    )
    head = "".join(f"<th>{c.heading}</th>" for c in LINE_COLUMNS)
    html = f"""<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8"><style>
@page {{ size: A4 landscape; margin: 14mm 10mm;
  @bottom-center {{ content: counter(page) " / " counter(pages); font-size: 8pt; }} }}
body {{ font-family: "Noto Sans CJK SC", sans-serif; font-size: 8.5pt; }}
table {{ border-collapse: collapse; width: 100%; {layout} }}
thead {{ display: table-header-group; }}
th, td {{ border: 0.5pt solid #444; padding: 1mm 1.5mm; text-align: left; }}
</style></head><body><h1>{escape(document.title)}</h1>
<table><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
</body></html>"""
    return bytes(HTML(string=html).write_pdf() or b"")


def measure(*, lines: int, township: int, volume_lines: int = 1_000, compare: bool) -> dict:
    """The figures of ``dpf bench documents`` (seconds, bytes, the load average)."""
    synthetic = synthetic_lines(lines)
    part = synthetic[:township]
    out: dict[str, Any] = {"lines": lines, "township_lines": len(part)}
    out["workbook_seconds"], data = _time(lambda: workbook(synthetic))
    out["workbook_bytes"] = len(data)
    # The part of the database read that grows with the rows beyond the query itself: the
    # workbook's two encrypted columns (ID number, account) decrypted for every line.
    from dpf.core import crypto

    tokens = [crypto.encrypt(ln[k]) for ln in synthetic for k in (4, 7)]
    out["decrypt_two_columns_seconds"], _ = _time(lambda: [crypto.decrypt(t) for t in tokens])
    out["signing_pdfs_seconds"], pdfs = _time(lambda: signing_pdfs(part, volume_lines))
    out["signing_pdfs"] = len(pdfs)
    out["signing_pdf_bytes"] = sum(len(p) for p in pdfs)
    # peak of the whole process (the synthetic lines included), before the comparisons
    out["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    if compare:
        out["openpyxl_write_only_seconds"], _ = _time(lambda: workbook_openpyxl(synthetic))
        volume = part[:volume_lines]
        out["compare_volume_lines"] = len(volume)
        out["one_volume_tables_writer_seconds"], _ = _time(
            lambda: signing_pdfs(volume, volume_lines)
        )
        out["one_volume_weasyprint_auto_seconds"], _ = _time(
            lambda: signing_pdf_weasyprint(volume, fixed=False)
        )
        out["one_volume_weasyprint_fixed_seconds"], _ = _time(
            lambda: signing_pdf_weasyprint(volume, fixed=True)
        )
    out["load_average"] = round(os.getloadavg()[0], 2)
    return out
