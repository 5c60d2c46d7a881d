"""The PDF tables writer (dpf/core/pdf_tables.py, dpf/core/pdf_fonts.py): what it lays out
is what a reader shows, page after page, and each character is drawn with its own glyph."""

from __future__ import annotations

import io

import pytest
from fontTools.cffLib import CFFFontSet  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from dpf.core import pdf_fonts
from dpf.core.pdf_tables import FAMILIES, Column, PrintedTables
from tests.pdf_text import read

COLUMNS = (
    Column("编号", 1),
    Column("姓名", 2),
    Column("嘎查村（社区）", 3),
    Column("金额", 1, right=True),
)


def _rows(n: int) -> list[tuple[str, ...]]:
    return [(str(1000 + i), f"张{'三丰'[i % 2]}", "阿拉坦呼都嘎嘎查", f"{i}.50") for i in range(n)]


def _document(rows: list[tuple[str, ...]]) -> bytes:
    printed = PrintedTables(title="测试名册")
    printed.text("测试名册", size=14, bold=True, center=True)
    printed.table(COLUMNS, rows, heading="发放明细")
    printed.signatures(["制表人：", "审核人："])
    return printed.pdf()


def test_a_long_table_keeps_every_row_in_order_with_its_header_on_every_page():
    rows = _rows(130)
    shown = read(_document(rows))
    pages = len(shown.pages)
    assert pages >= 3
    header = [c.heading for c in COLUMNS]
    printed: list[tuple[str, ...]] = []
    for page in range(pages):
        lines = shown.rows(page)
        assert header in lines, f"page {page + 1} has no header row"
        assert lines[-1] == [f"{page + 1} / {pages}"]
        printed.extend(tuple(line) for line in lines if len(line) == 4 and line != header)
    assert printed == rows
    assert shown.rows(0)[0] == ["测试名册"]
    assert ["制表人：", "审核人："] in shown.rows(pages - 1)


def test_text_wider_than_its_column_wraps_and_keeps_every_character():
    printed = PrintedTables(title="t")
    text = "中国农业银行股份有限公司赤峰分行红山区支行营业部" * 3
    lines = printed.wrap(text, 60, 8.5)
    assert len(lines) > 3
    assert "".join(lines) == text
    assert all(printed.measure(line, 8.5) <= 60 for line in lines)
    # Latin words break at spaces, a word longer than the line anywhere
    words = printed.wrap("alpha beta gamma delta 6228480012345678901234567890", 50, 8.5)
    assert words[0].startswith("alpha")
    assert " ".join(words).replace(" ", "") == "alphabetagammadelta6228480012345678901234567890"


def test_each_character_is_drawn_with_its_own_glyph_and_copied_back_as_itself():
    text = "赤峰市巴林左旗林东镇 Ąż 150404********768X"
    printed = PrintedTables(title="t")
    printed.table((Column("名称", 1),), [(text,)])
    data = printed.pdf()
    assert [text] in read(data).all_rows()
    shown = read(data)
    programs = shown.font_programs()
    assert len(programs) == 3  # regular and bold CJK, DejaVu for the Polish letters
    faces = [pdf_fonts.face(FAMILIES[0]), pdf_fonts.face(FAMILIES[0], bold=True)]
    cmaps = {
        face.postscript_name: TTFont(face.path, fontNumber=face.index, lazy=True).getBestCmap()
        for face in faces
        if face is not None
    }
    checked = 0
    for number, program in programs.items():
        if program[:4] == b"\x00\x01\x00\x00":
            continue  # the TrueType fallback, shown by glyph index
        base = shown.objects[number].split(b"/BaseFont /")[1].split(b"/")[0].decode()
        cmap = cmaps[base.split("+", 1)[1]]
        cff = CFFFontSet()
        cff.decompile(io.BytesIO(program), None)
        charset = set(cff[cff.fontNames[0]].charset)
        for code, char in _map(shown, number).items():
            # the CID shown is the glyph the font gives the character, and it is embedded
            assert cmap[ord(char)] == f"cid{code:05d}"
            assert f"cid{code:05d}" in charset
            checked += 1
    assert checked >= len(set(text.replace(" ", "")) - set("Ąż"))


def _map(shown, font: int) -> dict[int, str]:
    from tests.pdf_text import _unicode_map

    return _unicode_map(shown.objects, shown.streams, font)


def test_a_family_not_installed_is_none():
    assert pdf_fonts.face("No Such Family 9") is None


@pytest.mark.parametrize("cells", [("",), ("   ",)])
def test_empty_cells_draw_nothing(cells):
    printed = PrintedTables(title="t")
    printed.table((Column("空", 1),), [cells])
    assert read(printed.pdf()).all_rows()[-2:] == [["空"], ["1 / 1"]]
