"""The bank account allowances are paid to (``dpf.workflow.services.payees``): a change from
any path stays pending and unpaid until another officer verifies it against the person, the
person is told on the phone on file, payment lists read verified accounts only, and the
database holds the rules on both engines."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dpf.accounts.permissions import PermissionRefused
from dpf.benefits import services as benefit_services
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.models import AuditEntry
from dpf.portal.messaging import MemorySender
from dpf.portal.models import CitizenAccount
from dpf.registry.models import Person
from dpf.workflow import services
from dpf.workflow.models import PayeeAccount, PaymentLine
from dpf.workflow.services.common import AlreadyHandled
from tests.benefits.conftest import person_with
from tests.factories import make_user
from tests.migrating import migrate_latest, migrate_to
from tests.workflow.conftest import BANK, at, benefit, verified_account

pytestmark = pytest.mark.django_db

PHONE_ON_FILE = "13904761234"
ON_FILE_MASKED = "139****1234"
STRANGER = services.BankDetails("中国建设银行", "张海明", "6217000099998888777")
OCTOBER = dt.date(2025, 10, 1)
NOVEMBER = dt.date(2025, 11, 1)


def receiving_person(phone: str = PHONE_ON_FILE) -> Person:
    """Living allowance since January, the old account verified in September, a mobile
    number on file."""
    person = person_with(level=1, household="dibao")
    person.phone = phone
    person.save(update_fields=["phone"])
    benefit_services.entitlement_create(
        actor=None,
        person=person,
        benefit=benefit("living_allowance"),
        valid_from=dt.date(2025, 1, 1),
    )
    verified_account(person, BANK, day=dt.date(2025, 9, 1))
    MemorySender.sent.clear()
    return person


def paid_account(county_officer: Any, month: dt.date) -> str:
    plist = services.payment_list_generate(
        actor=county_officer,
        county_code="150402",
        benefit=benefit("living_allowance"),
        month=month,
        today=month + dt.timedelta(days=5),
    )
    return PaymentLine.objects.get(payment_list=plist).bank_account


def citizen_client(person: Person) -> Client:
    user = make_user("citizen", None)
    CitizenAccount.objects.create(user=user, person=person)
    client = Client()
    client.force_login(user)
    return client


def test_an_account_given_online_is_paid_only_after_an_officer_verifies_it(
    county_officer, township_officer, django_capture_on_commit_callbacks
) -> None:
    """The payment redirection of issue 14: whoever holds the person's portal account
    applies online with their own bank account. The next list still pays the person's
    account; only after an officer has verified the new one does a list pay it, and the
    person hears of both on the phone on file."""
    person = receiving_person()
    with django_capture_on_commit_callbacks(execute=True):
        response = citizen_client(person).post(
            reverse("portal:apply"),
            {
                "benefits": ["nursing_allowance"],
                "bank_name": STRANGER.bank_name,
                "account_holder": STRANGER.account_holder,
                "account_number": STRANGER.account_number,
            },
        )
    assert response.status_code == 302
    assert paid_account(county_officer, OCTOBER) == BANK.account_number
    assert [phone for phone, _ in MemorySender.sent] == [ON_FILE_MASKED]
    assert "8777" in MemorySender.sent[0][1]
    assert "核实" in MemorySender.sent[0][1]

    pending = PayeeAccount.objects.get(person=person, status="pending")
    with django_capture_on_commit_callbacks(execute=True):
        services.payee_account_verify(
            actor=township_officer,
            account_id=pending.pk,
            checked_in_person=True,
            now=at(dt.date(2025, 10, 20)),
            today=dt.date(2025, 10, 20),
        )
    assert paid_account(county_officer, NOVEMBER) == STRANGER.account_number
    assert [phone for phone, _ in MemorySender.sent] == [ON_FILE_MASKED] * 2
    assert "已核实" in MemorySender.sent[1][1]
    # The old account was paid to the day before; the new one from the day of verification.
    old, new = PayeeAccount.objects.filter(person=person, status="verified").order_by("valid_from")
    assert (old.valid_to, new.valid_from, new.valid_to) == (
        dt.date(2025, 10, 19),
        dt.date(2025, 10, 20),
        None,
    )


def test_a_rejected_change_is_never_paid_and_the_person_is_told(
    county_officer, township_officer, village_worker, django_capture_on_commit_callbacks
) -> None:
    person = receiving_person()
    with django_capture_on_commit_callbacks(execute=True):
        pending = services.payee_account_request(
            actor=village_worker, person=person, bank=STRANGER, on=dt.date(2025, 10, 2)
        )
        services.payee_account_reject(
            actor=township_officer,
            account_id=pending.pk,
            note="本人称未申请变更",
            today=dt.date(2025, 10, 3),
        )
    pending.refresh_from_db()
    assert (pending.status, pending.valid_to) == ("rejected", dt.date(2025, 10, 3))
    assert paid_account(county_officer, OCTOBER) == BANK.account_number
    assert paid_account(county_officer, NOVEMBER) == BANK.account_number
    assert [phone for phone, _ in MemorySender.sent] == [ON_FILE_MASKED] * 2
    assert "未通过核实" in MemorySender.sent[1][1]
    entry = AuditEntry.objects.filter(object_type="payee_account").latest("id")
    assert entry.changes["status"] == ["pending", "rejected"]
    assert entry.reason == "本人称未申请变更"
    assert STRANGER.account_number not in str(list(AuditEntry.objects.values("changes")))


def test_a_person_with_only_a_pending_account_is_listed_without_one(
    county_officer, village_worker
) -> None:
    person = person_with(level=1, household="dibao")
    benefit_services.entitlement_create(
        actor=None,
        person=person,
        benefit=benefit("living_allowance"),
        valid_from=dt.date(2025, 1, 1),
    )
    services.payee_account_request(actor=village_worker, person=person, bank=STRANGER, on=OCTOBER)
    assert paid_account(county_officer, OCTOBER) == ""
    plist = services.payment_list_generate(
        actor=county_officer,
        county_code="150402",
        benefit=benefit("living_allowance"),
        month=NOVEMBER,
        today=NOVEMBER,
    )
    client = Client()
    client.force_login(county_officer)
    page = client.get(reverse("workflow:payment_list", args=[plist.pk])).content.decode()
    assert "无已核实账户" in page
    assert "8777" not in page


def test_an_account_given_at_the_window_is_pending_too(village_worker) -> None:
    """Staff intake goes the same way as the portal (the home visit's proposal too:
    ``test_proposals``)."""
    person = receiving_person()
    services.application_submit(
        actor=village_worker,
        person=person,
        benefit_codes=["nursing_allowance"],
        applicant_kind="worker",
        channel="window",
        bank=STRANGER,
        today=OCTOBER,
    )
    assert PayeeAccount.objects.get(person=person, status="pending").account_number == (
        STRANGER.account_number
    )
    current = PayeeAccount.objects.get(person=person, status="verified", valid_to__isnull=True)
    assert current.account_number == BANK.account_number


def test_asking_again_changes_nothing_and_a_new_request_supersedes_the_pending_one(
    village_worker,
) -> None:
    person = receiving_person()
    first = services.payee_account_request(
        actor=village_worker, person=person, bank=STRANGER, on=OCTOBER
    )
    again = services.payee_account_request(
        actor=village_worker, person=person, bank=STRANGER, on=OCTOBER
    )
    assert again.pk == first.pk
    other = services.BankDetails("中国银行", "张海明", "6013820000111122223")
    second = services.payee_account_request(
        actor=village_worker, person=person, bank=other, on=NOVEMBER
    )
    first.refresh_from_db()
    assert (first.status, first.valid_to) == ("superseded", NOVEMBER)
    assert second.status == "pending"
    # Asking for the account paid to now drops the pending change.
    assert (
        services.payee_account_request(
            actor=village_worker, person=person, bank=BANK, on=NOVEMBER
        ).status
        == "verified"
    )
    assert not PayeeAccount.objects.filter(person=person, status="pending").exists()


def test_who_may_verify(
    village_worker, township_officer, county_officer, other_county_officer
) -> None:
    person = receiving_person()
    pending = services.payee_account_request(
        actor=township_officer, person=person, bank=STRANGER, on=OCTOBER
    )
    with pytest.raises(PermissionRefused):  # village workers record, never verify
        services.payee_account_verify(
            actor=village_worker, account_id=pending.pk, checked_in_person=True
        )
    with pytest.raises(NotFound):  # another county: the same answer as "no such account"
        services.payee_account_verify(
            actor=other_county_officer, account_id=pending.pk, checked_in_person=True
        )
    with pytest.raises(ValidationFailed) as same:  # four eyes: not the one who recorded it
        services.payee_account_verify(
            actor=township_officer, account_id=pending.pk, checked_in_person=True
        )
    assert same.value.code == "same_officer"
    with pytest.raises(ValidationFailed) as unchecked:
        services.payee_account_verify(
            actor=county_officer, account_id=pending.pk, checked_in_person=False
        )
    assert unchecked.value.code == "not_checked"
    with pytest.raises(ValidationFailed) as no_reason:
        services.payee_account_reject(actor=county_officer, account_id=pending.pk, note=" ")
    assert no_reason.value.code == "reason_required"
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert pending.decided_at is None
    services.payee_account_verify(
        actor=county_officer, account_id=pending.pk, checked_in_person=True, today=OCTOBER
    )
    with pytest.raises(AlreadyHandled):
        services.payee_account_reject(actor=county_officer, account_id=pending.pk, note="晚了")


def test_a_person_without_a_mobile_number_on_file_is_told_nothing(
    village_worker, django_capture_on_commit_callbacks
) -> None:
    person = receiving_person(phone="04768321234")  # a landline takes no text message
    with django_capture_on_commit_callbacks(execute=True):
        services.payee_account_request(
            actor=village_worker, person=person, bank=STRANGER, on=OCTOBER
        )
    assert MemorySender.sent == []
    entry = AuditEntry.objects.filter(object_type="payee_account").latest("id")
    assert entry.changes["told_by_phone"] is False


# The rules as database facts ---------------------------------------------------------------


def _row(person: Person, **fields: Any) -> PayeeAccount:
    values: dict[str, Any] = {
        "person": person,
        "bank_name": "银行",
        "account_holder": "张海明",
        "account_number": "6228480000000000001",
        "account_masked": "6228***0001",
        "valid_from": dt.date(2025, 1, 1),
        **fields,
    }
    return PayeeAccount.objects.create(**values)


BAD_ROWS: dict[str, dict[str, Any]] = {
    "unknown status": {"status": "approved", "decided_at": timezone.now()},
    "pending yet decided": {"status": "pending", "decided_at": timezone.now()},
    "pending yet closed": {"status": "pending", "valid_to": dt.date(2025, 2, 1)},
    "verified without a time": {"status": "verified"},
    "rejected without a reason": {
        "status": "rejected",
        "decided_at": timezone.now(),
        "valid_to": dt.date(2025, 2, 1),
    },
    "rejected yet open": {"status": "rejected", "decided_at": timezone.now(), "decision_note": "x"},
    "superseded yet open": {"status": "superseded"},
}


@pytest.mark.parametrize("case", BAD_ROWS)
def test_the_database_refuses_a_status_that_breaks_the_rules(regions, case: str) -> None:
    person = person_with(level=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(person, **BAD_ROWS[case])
    assert not PayeeAccount.objects.exists()


def test_the_database_keeps_one_current_verified_account_and_one_pending_change(regions) -> None:
    person = person_with(level=1)
    _row(person, status="verified", decided_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(person, status="verified", decided_at=timezone.now(), valid_from=dt.date(2025, 3, 1))
    _row(person, status="pending")
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(person, status="pending", valid_from=dt.date(2025, 3, 1))
    assert PayeeAccount.objects.filter(person=person).count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraint is PostgreSQL")
def test_verified_periods_never_overlap_in_the_database(regions) -> None:
    person = person_with(level=1)
    decided = timezone.now()
    _row(person, status="verified", decided_at=decided, valid_to=dt.date(2025, 6, 30))
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(
            person,
            status="verified",
            decided_at=decided,
            valid_from=dt.date(2025, 6, 30),
            valid_to=dt.date(2025, 8, 1),
        )
    # A pending or rejected row may cover the same days: it is never paid to.
    _row(person, status="pending", valid_from=dt.date(2025, 6, 1))
    _row(person, status="verified", decided_at=decided, valid_from=dt.date(2025, 7, 1))
    assert PayeeAccount.objects.filter(person=person).count() == 3


# Accounts already on file when verification arrived (migration 0004) -----------------------

BEFORE = [("workflow", "0003_payee_account_status")]
AFTER = [("workflow", "0005_payee_account_verification_constraints")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_accounts_on_file_become_verified_and_a_portal_change_goes_back_to_pending() -> None:
    """Staff-recorded accounts are verified; an open change a citizen typed before this
    release is pending again and the account staff recorded before it is paid again."""
    worker = make_user("village_worker", "150402001001")
    citizen = make_user("citizen", None)
    taken_over, staff_only, portal_only = (person_with(level=1) for _ in range(3))
    try:
        old = migrate_to(BEFORE).get_model("workflow", "PayeeAccount")

        def legacy(person: Person, by: Any, start: dt.date, end: dt.date | None) -> int:
            return old.objects.create(
                person_id=person.pk,
                bank_name="银行",
                account_holder=person.name,
                account_number=f"62284800000000{person.pk:05d}",
                account_masked="6228***",
                valid_from=start,
                valid_to=end,
                recorded_by_id=by.pk,
                status="pending",  # what 0003 gives every row it finds
            ).pk

        own = legacy(taken_over, worker, dt.date(2024, 1, 1), dt.date(2025, 3, 31))
        typed = legacy(taken_over, citizen, dt.date(2025, 4, 1), None)
        staff = legacy(staff_only, worker, dt.date(2024, 1, 1), None)
        alone = legacy(portal_only, citizen, dt.date(2025, 4, 1), None)
        migrate_to(AFTER)
        rows = {a.pk: a for a in PayeeAccount.objects.all()}
        assert (rows[own].status, rows[own].valid_to) == ("verified", None)
        assert (rows[typed].status, rows[typed].decided_at) == ("pending", None)
        assert rows[staff].status == "verified"
        assert rows[staff].decided_at is not None
        assert rows[alone].status == "pending"
        # Back again: one open account per person, as before the release.
        back = migrate_to(BEFORE).get_model("workflow", "PayeeAccount")
        assert back.objects.get(pk=own).valid_to == dt.date(2025, 3, 31)
        assert not back.objects.exclude(status="verified").exists()
    finally:
        migrate_latest()
