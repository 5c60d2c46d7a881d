"""Exports of personal data: reconciliation lists and registry extracts.

Each export needs the export permission, is written to the audit log with its purpose,
and is masked unless the user may reveal personal data and asks to.
"""

from __future__ import annotations

import datetime as dt
from typing import IO, Any

from django.utils import timezone

from dpf.accounts.models import User
from dpf.accounts.permissions import has_permission, require_permission
from dpf.accounts.scoping import region_in_scope
from dpf.core import audit
from dpf.core.certnumber import Category, Level
from dpf.core.crypto import mask_name
from dpf.core.errors import ValidationFailed
from dpf.core.models import Region, region_prefix
from dpf.core.text import check_text_characters
from dpf.exchange import selectors
from dpf.exchange.display import describe, problems
from dpf.exchange.models import ImportBatch, Outcome
from dpf.exchange.workbooks import SheetWriter
from dpf.registry.models import HouseholdStatusCode, Sex

PURPOSE_MIN_LENGTH = 4
LIST_LEFT_DIBAO = "left_dibao"


def may_unmask(user: Any) -> bool:
    return has_permission(user, "reveal", "person")


def _purpose(purpose: str) -> str:
    text = (purpose or "").strip()
    check_text_characters(
        text, field="purpose", label_zh="导出用途", label_en="purpose", multiline=True
    )
    if len(text) < PURPOSE_MIN_LENGTH:
        raise ValidationFailed(
            "purpose_required",
            f"请说明导出用途（至少{PURPOSE_MIN_LENGTH}个字）",
            f"state the purpose of the export (at least {PURPOSE_MIN_LENGTH} characters)",
            field="purpose",
        )
    return text[:300]


def row_list(
    *, actor: User | None, batch: ImportBatch, outcome: str, purpose: str = ""
) -> tuple[IO[bytes], int]:
    """The rows of one outcome (or the 低保 leavers still receiving), masked, as xlsx."""
    require_permission(actor, "export", "person")
    writer = SheetWriter()
    count = 0
    if outcome == LIST_LEFT_DIBAO:
        persons = selectors.left_dibao_receiving(batch, actor)
        writer.add_sheet(
            "退出低保仍享受生活补贴", ["姓名", "身份证号码", "嘎查村社区代码"], [12, 22, 16]
        )
        for name, masked, village in persons.values_list(
            "name", "id_number_masked", "village_code"
        ):
            writer.append([mask_name(name), masked, village])
            count += 1
    else:
        if outcome not in Outcome.values:
            raise ValidationFailed("outcome", "名单类型无效", "unknown list", field="outcome")
        writer.add_sheet(
            str(Outcome(outcome).label),
            ["行号", "身份证号码", "姓名", "登记姓名", "变更前", "变更后", "问题", "Problem"],
            [8, 22, 10, 10, 36, 36, 50, 50],
        )
        rows = selectors.batch_rows(batch, outcome).values_list(
            "row_number", "id_masked", "values", "person__name", "before", "after", "errors"
        )
        for number, masked, values, registry_name, before, after, errors in rows.iterator(
            chunk_size=2000
        ):
            writer.append(
                [
                    number,
                    masked,
                    mask_name(values.get("name") or ""),
                    mask_name(registry_name) if registry_name else "",
                    describe(before),
                    describe(after),
                    problems(errors),
                    problems(errors, english=True),
                ]
            )
            count += 1
    handle = writer.finish()
    audit.record(
        actor=actor,
        action="export",
        object_type="import_batch",
        object_id=batch.pk,
        changes={"list": outcome, "rows": count, "masked": True},
        reason=(purpose or "reconciliation")[:300],
    )
    return handle, count


EXTRACT_HEADER = [
    "姓名",
    "身份证号码",
    "性别",
    "出生日期",
    "旗县区",
    "苏木乡镇街道",
    "嘎查村社区",
    "残疾类别",
    "残疾等级",
    "残疾人证有效期至",
    "家庭经济状况",
    "死亡日期",
]


def registry_extract(
    *,
    actor: User | None,
    region_code: str,
    as_of: dt.date,
    purpose: str,
    unmask: bool = False,
) -> tuple[IO[bytes], int]:
    """Certified persons of a region with their facts as of a date, as xlsx; audited."""
    require_permission(actor, "export", "person")
    purpose = _purpose(purpose)
    if unmask and not may_unmask(actor):
        raise ValidationFailed(
            "unmask_forbidden",
            "您没有导出完整身份证号码的权限",
            "you may not export unmasked ID numbers",
            field="unmask",
        )
    if not Region.objects.filter(code=region_code).exists() or not region_in_scope(
        actor, region_code
    ):
        raise ValidationFailed(
            "region", "所选地区不存在或不在权限范围内", "unknown region", field="region"
        )
    persons = selectors.registry_extract(actor, region_code, as_of)
    names = dict(
        Region.objects.filter(code__startswith=region_prefix(region_code[:6])).values_list(
            "code", "name"
        )
    )
    writer = SheetWriter()
    writer.add_sheet("残疾人名单", EXTRACT_HEADER, [10, 22, 6, 12, 12, 16, 16, 10, 8, 14, 12, 12])
    id_field = "id_number" if unmask else "id_number_masked"
    count = 0
    for row in persons.values(
        "name",
        id_field,
        "sex",
        "birth_date",
        "county_code",
        "township_code",
        "village_code",
        "cert_category",
        "cert_level",
        "cert_valid_to",
        "household_status",
        "death_date",
    ).iterator(chunk_size=2000):
        writer.append(
            [
                row["name"] if unmask else mask_name(row["name"]),
                row[id_field],
                str(Sex(row["sex"]).label) if row["sex"] else "",
                row["birth_date"],
                names.get(row["county_code"], row["county_code"]),
                names.get(row["township_code"], row["township_code"]),
                names.get(row["village_code"], row["village_code"]),
                str(Category(row["cert_category"]).label) if row["cert_category"] else "",
                str(Level(row["cert_level"]).label) if row["cert_level"] else "",
                row["cert_valid_to"],
                str(HouseholdStatusCode(row["household_status"]).label)
                if row["household_status"]
                else "",
                row["death_date"],
            ]
        )
        count += 1
    writer.add_sheet("说明", ["项目", "内容"], [16, 60])
    writer.append(["导出用途", purpose])
    writer.append(["统计日期", as_of])
    writer.append(["地区", names.get(region_code, region_code)])
    writer.append(["导出人", getattr(actor, "username", "")])
    writer.append(["导出时间", timezone.localtime().strftime("%Y-%m-%d %H:%M")])
    writer.append(["身份证号码", "完整（经授权）" if unmask else "已脱敏"])
    writer.append(["人数", count])
    handle = writer.finish()
    audit.record(
        actor=actor,
        action="export",
        object_type="person",
        object_id=region_code,
        changes={"as_of": as_of.isoformat(), "rows": count, "masked": not unmask},
        reason=purpose,
    )
    return handle, count
