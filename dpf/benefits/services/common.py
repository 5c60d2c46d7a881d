"""What the benefit services share: refusals, region checks, amounts. (Who may publish
rules or standards is the permission table's: ``require_permission``.)"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models

from dpf.accounts.models import User
from dpf.core.errors import ValidationFailed
from dpf.core.inputs import refuse as refuse  # the one owner, re-exported
from dpf.core.models import check_interval as check_interval  # the one owner, re-exported
from dpf.core.regions import counties


class RuleRefused(ValidationFailed):
    """A rule text that does not compile, with where (``line``, ``column``, 1-based)."""

    def __init__(
        self, code: str, message_zh: str, message_en: str, *, line: int | None, column: int | None
    ) -> None:
        super().__init__(code, message_zh, message_en, field="text")
        self.line = line
        self.column = column


def check_region(region_code: str, *, required: bool) -> None:
    if not region_code:
        if required:
            raise refuse(
                "region_required",
                "地区放宽规则须指定旗县区",
                "a widening needs a county",
                "region_code",
            )
        return
    ok = counties().filter(code=region_code).exists()
    if not ok:
        raise refuse(
            "region_unknown",
            f"旗县区代码 {region_code} 不存在",
            f"county code {region_code} does not exist",
            "region_code",
        )


def close_open_predecessor(
    rows: models.QuerySet[Any], valid_from: dt.date
) -> tuple[Any, dt.date | None] | None:
    """End the open version that started before ``valid_from`` the day before it."""
    current = rows.filter(valid_to__isnull=True, valid_from__lt=valid_from).first()
    if current is None:
        return None
    before = current.valid_to
    current.valid_to = valid_from - dt.timedelta(days=1)
    current.save(update_fields=["valid_to"])
    return current, before


def decimal_amount(value: Any, field: str = "monthly_amount") -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise refuse("amount", "金额格式不正确", "the amount is not a number", field) from None
    if not amount.is_finite() or amount < 0:
        raise refuse("amount_negative", "金额不能为负数", "the amount cannot be negative", field)
    if amount != amount.quantize(Decimal("0.01")) or amount >= Decimal("100000000"):
        raise refuse(
            "amount_format",
            "金额最多两位小数、不超过一亿元",
            "the amount has at most 2 decimals and is below 100,000,000",
            field,
        )
    return amount.quantize(Decimal("0.01"))


def actor_source(actor: User | None) -> str:
    pk = getattr(actor, "pk", None)
    return f"user:{pk}" if pk is not None else "system"
