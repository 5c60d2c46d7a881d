"""Loading and querying the region tree."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet

from dpf.core.errors import ValidationFailed
from dpf.core.i18n import localised
from dpf.core.models import (
    LEVEL_CODE_LENGTH,
    Region,
    RegionLevel,
    region_prefix,
    starts_with_q,
)
from dpf.core.text import InvalidText, check_text_characters, is_ascii_number


def root_code() -> str:
    """The region the installation serves (``DPF_ROOT_REGION``; Chifeng City, 150400)."""
    code: str = settings.DPF_ROOT_REGION
    return code


def root_prefix() -> str:
    """The code prefix every region of the installation starts with ("1504" for 150400)."""
    return region_prefix(root_code())


def counties() -> QuerySet[Region]:
    """The county-level regions (旗县区) under the installation's root, in code order."""
    return Region.objects.filter(level=RegionLevel.COUNTY, code__startswith=root_prefix()).order_by(
        "code"
    )


REQUIRED_COLUMNS = ("code", "name", "parent_code", "level")
# The level a township's or a village's parent must have.
PARENT_LEVEL = {
    RegionLevel.TOWNSHIP.value: RegionLevel.COUNTY,
    RegionLevel.VILLAGE.value: RegionLevel.TOWNSHIP,
}


class RegionFileError(ValidationFailed):
    pass


def _error(row: int, column: str, zh: str, en: str) -> RegionFileError:
    return RegionFileError(
        "region_row",
        f"第{row}行“{column}”列：{zh}",
        f"row {row}, column '{column}': {en}",
        field=column,
    )


def parse_region_rows(text: str) -> list[dict[str, str]]:  # noqa: C901
    """Validate every row of a region CSV before anything is written."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RegionFileError(
            "region_columns",
            f"缺少必需的列：{', '.join(missing)}",
            f"missing required columns: {', '.join(missing)}",
        )
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    levels = {lvl.value for lvl in RegionLevel}
    for number, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k}
        code, level = row["code"], row["level"]
        if level not in levels:
            raise _error(number, "level", "层级无效", "unknown level")
        if not is_ascii_number(code) or len(code) != LEVEL_CODE_LENGTH[RegionLevel(level)]:
            raise _error(number, "code", "代码位数与层级不符", "code length does not match level")
        if not row["name"]:
            raise _error(number, "name", "名称为空", "name is empty")
        for column in ("name", "name_en", "kind"):
            try:
                check_text_characters(
                    row.get(column, ""), field=column, label_zh="名称", label_en="name"
                )
            except InvalidText as exc:
                raise _error(number, column, exc.message_zh, exc.message_en) from None
        if code in seen:
            raise _error(number, "code", "代码重复", "duplicate code")
        parent = row["parent_code"]
        if not parent and level in PARENT_LEVEL:
            raise _error(number, "parent_code", "缺少上级地区代码", "the parent code is missing")
        if parent and not code.startswith(region_prefix(parent)):
            raise _error(
                number, "parent_code", "代码不在上级地区之下", "code is not under its parent"
            )
        seen.add(code)
        rows.append(row)
    if not rows:
        raise RegionFileError("region_empty", "文件没有数据行", "the file has no data rows")
    return rows


@transaction.atomic
def load_regions(rows: Iterable[dict[str, str]], *, synthetic: bool = False) -> int:
    """Insert or update regions, parents first. All or nothing."""
    ordered = sorted(rows, key=lambda r: (len(r["code"]), r["level"] != "province", r["code"]))
    known = dict(Region.objects.values_list("code", "level"))
    count = 0
    for row in ordered:
        parent = row.get("parent_code") or None
        if parent and parent not in known:
            raise RegionFileError(
                "region_parent",
                f"上级地区 {parent} 不存在（{row['code']}）",
                f"parent region {parent} does not exist (for {row['code']})",
                field="parent_code",
            )
        wanted = PARENT_LEVEL.get(row["level"])
        if parent and wanted is not None and known[parent] != wanted:
            raise RegionFileError(
                "region_parent_level",
                f"上级地区 {parent} 的层级不符（{row['code']}）",
                f"parent region {parent} is not of the level above (for {row['code']})",
                field="parent_code",
            )
        Region.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "name_en": row.get("name_en", ""),
                "level": row["level"],
                "kind": row.get("kind", ""),
                "parent_id": parent,
                "synthetic": synthetic or row.get("synthetic", "") in ("1", "true", "yes"),
            },
        )
        known[row["code"]] = row["level"]
        count += 1
    return count


def under_q(code: str, column: str = "code") -> Q:
    """``column`` holds ``code`` or a code under it: a range on the code's prefix, answered
    from the column's index on both databases (``starts_with_q``)."""
    return starts_with_q(column, region_prefix(code))


def roll_up(counts: Mapping[str, int], regions: Iterable[Region]) -> dict[str, int]:
    """Counts keyed by the code of a lower region (a township) summed for each of
    ``regions`` by its code prefix, keyed by the prefix (``Region.prefix``): in one pass
    over ``counts``, whatever the number of regions. A region with nothing under it is
    absent (read it with ``.get(region.prefix, 0)``)."""
    lengths = sorted({len(region.prefix) for region in regions})
    sums: dict[str, int] = {}
    for code, count in counts.items():
        for length in lengths:
            if len(code) >= length:
                sums[code[:length]] = sums.get(code[:length], 0) + count
    return sums


def descendants(code: str) -> list[Region]:
    """Every region under ``code`` (itself included): one indexed range query."""
    return list(Region.objects.filter(under_q(code)).order_by("code"))


def display_names(codes: Iterable[str]) -> dict[str, str]:
    """The names of the regions ``codes`` as a page shows them, in one query: English
    (``name_en``) when the request is in English and the region has one, else Chinese."""
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    rows = Region.objects.filter(code__in=wanted).values_list("code", "name", "name_en")
    return {code: localised(name, name_en) for code, name, name_en in rows}
