"""The bank account allowances are paid to (发放账户): a change is requested by anyone who
may act for the person, verified or rejected by an officer, and the person is told each step
by a text message to the phone on file.

A requested account is ``pending`` and is never paid to: the current verified account keeps
being paid until an officer of the person's township or county, other than the one who
recorded the change, has checked it against the person (ID card and bank card or passbook)
and verified it. Payment lists read verified accounts only (``services.payments``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from dpf.accounts.models import User
from dpf.accounts.permissions import require_permission
from dpf.accounts.scoping import region_in_scope
from dpf.core import audit
from dpf.core.errors import NotFound
from dpf.core.text import check_text_characters, clean_person_name
from dpf.registry.models import Person
from dpf.workflow.models import PayeeAccount
from dpf.workflow.services.common import (
    AlreadyHandled,
    actor_source,
    clean_bank_account,
    clean_reason,
    mask_bank_account,
    now_or,
    refuse,
    require_scope,
    today_or,
)

Status = PayeeAccount.Status
SIGNATURE = "【赤峰市残疾人服务平台】"


@dataclass(frozen=True)
class BankDetails:
    bank_name: str
    account_holder: str
    account_number: str


# Text messages to the phone on file --------------------------------------------------------

# ``send(phone_on_file, text) -> bool``: queue ``text`` for the number on file once the
# transaction commits; False when that number is not a mobile number (nothing is sent). The
# portal registers its sender when the app starts (this app cannot import the portal:
# imports point down).
PhoneMessages = Callable[[str, str], bool]
_phone_messages: PhoneMessages | None = None


def register_phone_messages(send: PhoneMessages) -> None:
    global _phone_messages
    _phone_messages = send


def _tell(person: Person, text: str) -> bool:
    if _phone_messages is None:
        raise ImproperlyConfigured("no sender of text messages is registered (dpf.portal does)")
    return _phone_messages(person.phone or "", SIGNATURE + text)


def _tail(account: PayeeAccount) -> str:
    return account.account_masked[-4:]


# Requests ----------------------------------------------------------------------------------


def _clean(bank: BankDetails) -> tuple[str, str, str]:
    number = clean_bank_account(bank.account_number)
    # Checked before white space is folded (str.split() would turn C1 controls and line
    # separators into spaces); the holder is a person's name (dpf.core.text).
    check_text_characters(
        (bank.bank_name or "").strip(), field="bank_name", label_zh="开户银行", label_en="bank"
    )
    bank_name = " ".join((bank.bank_name or "").split())[:100]
    if not bank_name:
        raise refuse("bank_name", "请填写开户银行", "the bank is required", "bank_name")
    if not (bank.account_holder or "").strip():
        raise refuse(
            "account_holder", "请填写户名", "the account holder is required", "account_holder"
        )
    holder = clean_person_name(bank.account_holder, field="account_holder")
    return number, bank_name, holder


def current_account(person: Person) -> PayeeAccount | None:
    """The verified account paid to now (one at most: a database constraint)."""
    return PayeeAccount.objects.filter(
        person=person, status=Status.VERIFIED, valid_to__isnull=True
    ).first()


@transaction.atomic
def payee_account_request(
    *, actor: User | None, person: Person, bank: BankDetails, on: dt.date
) -> PayeeAccount:
    """Record the account the person asks to be paid to from now on, as ``pending``.

    Nothing changes for payments until an officer verifies it. The same account as the
    current one changes nothing (and drops a pending change); asking again for the
    pending account is the same request; a different one supersedes the pending one. The
    person is told by a message to the phone on file.
    """
    number, bank_name, holder = _clean(bank)
    if actor is not None:  # None: a system import
        require_scope(actor, person.village_code, "person", person_id=person.pk)
    Person.objects.select_for_update().filter(pk=person.pk).first()
    current = current_account(person)
    pending = PayeeAccount.objects.filter(person=person, status=Status.PENDING).first()
    if pending is not None and pending.account_number == number and pending.bank_name == bank_name:
        return pending
    if pending is not None:
        pending.status = Status.SUPERSEDED
        pending.valid_to = max(on, pending.valid_from)
        pending.save(update_fields=["status", "valid_to"])
        audit.record(
            actor=actor,
            action="change",
            object_type="payee_account",
            object_id=pending.pk,
            changes={"person": person.pk, "status": [Status.PENDING, Status.SUPERSEDED]},
        )
    if current is not None and current.account_number == number and current.bank_name == bank_name:
        return current
    account = PayeeAccount.objects.create(
        person=person,
        bank_name=bank_name,
        account_holder=holder,
        account_number=number,
        account_masked=mask_bank_account(number),
        valid_from=on,
        status=Status.PENDING,
        recorded_by=actor if getattr(actor, "pk", None) else None,
        source=actor_source(actor),
    )
    if current is None:
        text = (
            f"已收到登记补贴发放账户{bank_name}尾号{_tail(account)}的申请，"
            "工作人员核实后才会用于发放。如不是您本人申请，请拨打12385。"
        )
    else:
        text = (
            f"已收到把您的补贴发放账户改为{bank_name}尾号{_tail(account)}的申请。"
            "工作人员核实后才会生效，生效前仍发放到原账户。如不是您本人申请，请拨打12385。"
        )
    told = _tell(person, text)
    audit.record(
        actor=actor,
        action="change",
        object_type="payee_account",
        object_id=account.pk,
        changes={
            "person": person.pk,
            "account": account.account_masked,
            "bank": bank_name,
            "status": Status.PENDING,
            "told_by_phone": told,
        },
    )
    return account


# Decisions ---------------------------------------------------------------------------------


def _pending_for_decision(actor: User | None, account_id: int) -> PayeeAccount:
    require_permission(actor, "approve", "payee_account", account_id)
    account = (
        PayeeAccount.objects.select_for_update()
        .select_related("person")
        .filter(pk=account_id)
        .first()
    )
    if account is None or not region_in_scope(actor, account.person.village_code):
        raise NotFound("payee_account")
    if account.status != Status.PENDING:
        raise AlreadyHandled()
    if account.recorded_by_id is not None and account.recorded_by_id == getattr(actor, "pk", None):
        raise refuse(
            "same_officer",
            "账户变更须由录入人以外的工作人员核实",
            "an officer other than the one who recorded the change must verify it",
            "decision",
        )
    return account


@transaction.atomic
def payee_account_verify(
    *,
    actor: User | None,
    account_id: int,
    checked_in_person: bool,
    note: str = "",
    now: dt.datetime | None = None,
    today: dt.date | None = None,
) -> PayeeAccount:
    """The officer has checked the account against the person: it is paid to from
    ``today`` on, and the account paid to until now ends the day before."""
    now = now_or(now)
    today = today_or(today, now)
    account = _pending_for_decision(actor, account_id)
    if not checked_in_person:
        raise refuse(
            "not_checked",
            "请先核对本人身份证件和银行卡（或存折）",
            "check the person's ID card and bank card (or passbook) first",
            "checked_in_person",
        )
    note = clean_reason(note, field="note", required=False)[:300]
    person = account.person
    Person.objects.select_for_update().filter(pk=person.pk).first()
    current = current_account(person)
    start = today
    if current is not None:
        current.valid_to = max(today - dt.timedelta(days=1), current.valid_from)
        current.save(update_fields=["valid_to"])
        start = max(today, current.valid_to + dt.timedelta(days=1))
    account.status = Status.VERIFIED
    account.valid_from = start
    account.decided_by = actor
    account.decided_at = now
    account.decision_note = note
    account.save(
        update_fields=["status", "valid_from", "decided_by", "decided_at", "decision_note"]
    )
    told = _tell(
        person,
        f"您的补贴发放账户已核实，自{start:%Y年%m月%d日}起发放到{account.bank_name}"
        f"尾号{_tail(account)}。如有疑问请拨打12385。",
    )
    audit.record(
        actor=actor,
        action="change",
        object_type="payee_account",
        object_id=account.pk,
        changes={
            "person": person.pk,
            "status": [Status.PENDING, Status.VERIFIED],
            "from": start.isoformat(),
            "replaces": current.pk if current is not None else None,
            "told_by_phone": told,
        },
    )
    return account


@transaction.atomic
def payee_account_reject(
    *,
    actor: User | None,
    account_id: int,
    note: str,
    now: dt.datetime | None = None,
    today: dt.date | None = None,
) -> PayeeAccount:
    """The account could not be verified against the person (``note`` says why): it is
    never paid to, and the current account stays."""
    now = now_or(now)
    today = today_or(today, now)
    account = _pending_for_decision(actor, account_id)
    reason = clean_reason(note, field="note", required=True)[:300]
    account.status = Status.REJECTED
    account.valid_to = max(today, account.valid_from)
    account.decided_by = actor
    account.decided_at = now
    account.decision_note = reason
    account.save(update_fields=["status", "valid_to", "decided_by", "decided_at", "decision_note"])
    told = _tell(
        account.person,
        f"把补贴发放账户改为{account.bank_name}尾号{_tail(account)}的申请未通过核实，"
        "仍发放到原账户。如需变更，请带身份证和银行卡到乡镇（街道）残联办理，或拨打12385。",
    )
    audit.record(
        actor=actor,
        action="change",
        object_type="payee_account",
        object_id=account.pk,
        changes={
            "person": account.person_id,
            "status": [Status.PENDING, Status.REJECTED],
            "told_by_phone": told,
        },
        reason=reason,
    )
    return account
