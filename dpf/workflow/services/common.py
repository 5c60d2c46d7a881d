"""Helpers shared by the workflow services: clocks, refusals, scope checks, masking."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dpf.accounts.models import User
from dpf.accounts.scoping import person_in_scope, region_in_scope
from dpf.core.errors import DomainError, NotFound
from dpf.core.inputs import refuse as refuse  # the one owner, re-exported
from dpf.core.roles import Role
from dpf.core.text import check_text_characters, fold_fullwidth_digits, is_ascii_number

WITHDRAW_MINUTES = 10


class AlreadyHandled(DomainError):
    """Someone else decided this step first (or the page was out of date)."""

    def __init__(self) -> None:
        super().__init__(
            "already_handled",
            "该事项已被他人处理或状态已变化，请刷新后查看",
            "someone else has already handled this step, or its state changed: reload the page",
        )


class NotYourStep(DomainError):
    def __init__(self, step_zh: str, step_en: str) -> None:
        super().__init__(
            "not_your_step",
            f"您的角色不能办理“{step_zh}”环节",
            f"your role does not act on the step “{step_en}”",
        )


def now_or(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def today_or(today: dt.date | None, now: dt.datetime | None = None) -> dt.date:
    if today is not None:
        return today
    return timezone.localdate(now) if now is not None else timezone.localdate()


def require_scope(
    actor: User | None, village_code: str, what: str = "record", *, person_id: int | None = None
) -> None:
    """Out of the actor's region: the same answer as "does not exist" (a 404).

    With ``person_id`` a citizen (the portal) passes for the persons they act for.
    """
    if person_id is not None and getattr(actor, "role", None) == Role.CITIZEN:
        if not person_in_scope(actor, person_id=person_id, village_code=village_code):
            raise NotFound(what)
        return
    if not region_in_scope(actor, village_code):
        raise NotFound(what)


def actor_source(actor: User | None) -> str:
    pk = getattr(actor, "pk", None)
    return f"user:{pk}" if pk is not None else "system"


def mask_bank_account(number: str) -> str:
    """``6222********1234``: the first and last four digits kept."""
    digits = number.strip()
    if len(digits) <= 8:
        return "*" * len(digits)
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def clean_bank_account(raw: str) -> str:
    # Full-width digits are the same number; other scripts' digits (which str.isdigit
    # accepts) would be a second spelling of an account: refused (dpf.core.text).
    digits = fold_fullwidth_digits("".join((raw or "").split()))
    if not is_ascii_number(digits) or not 12 <= len(digits) <= 30:
        raise refuse(
            "bank_account",
            "银行账号应为12至30位数字",
            "the bank account number must be 12 to 30 digits",
            "account_number",
        )
    return digits


# The words a refusal uses for the field a reason is typed into.
_REASON_LABELS = {
    "purpose": ("用途", "purpose"),
    "note": ("说明", "note"),
    "waiver_reason": ("免交理由", "waiver reason"),
}


def clean_reason(raw: str, *, field: str = "reason", required: bool = True) -> str:
    label_zh, label_en = _REASON_LABELS.get(field, ("理由", "reason"))
    # Line breaks are allowed (and become spaces); controls and direction marks are not.
    check_text_characters(
        raw or "", field=field, label_zh=label_zh, label_en=label_en, multiline=True
    )
    text = " ".join((raw or "").split())
    if required and not text:
        raise refuse("reason_required", "请填写理由", "a reason is required", field)
    if len(text) > 500:
        raise refuse(
            "reason_long", "理由不超过500字", "the reason is at most 500 characters", field
        )
    return text
