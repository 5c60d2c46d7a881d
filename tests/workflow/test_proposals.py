"""Proactive proposals (免申即享): from the scan's queue through every step to
entitlements and a paid line, without the person applying."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dpf.benefits import services as benefit_services
from dpf.benefits.models import Entitlement, WorkItem, WorkItemKind, WorkItemStatus
from dpf.core.errors import ValidationFailed
from dpf.workflow import selectors, services
from dpf.workflow.models import Application, PayeeAccount, PaymentLine, Transition
from tests.workflow.conftest import ALLOWANCES, BANK, at, benefit, standard, walk

pytestmark = pytest.mark.django_db

SCAN_DAY = dt.date(2025, 6, 30)


def proposals_for(person) -> list[WorkItem]:
    return list(
        WorkItem.objects.filter(
            person=person, kind=WorkItemKind.PROPOSAL, status=WorkItemStatus.OPEN
        ).order_by("benefit__code")
    )


def confirm(worker, application, day, **extra):
    kwargs = {
        "actor": worker,
        "application_id": application.pk,
        "identity_confirmed": True,
        "consent": True,
        "consent_method": "signed",
        "bank": BANK,
        "today": day,
        "now": at(day),
        **extra,
    }
    return services.proposal_confirm(**kwargs)


def test_proposal_from_the_scan_to_entitlements_and_a_paid_line(
    officers, eligible_person, county_officer, approver
):
    benefit_services.scan(as_of=SCAN_DAY, benefit_codes=ALLOWANCES)
    found = proposals_for(eligible_person)
    assert [w.benefit.code for w in found] == sorted(ALLOWANCES)
    worker = officers["village_worker"]

    # The queue shows them by township with the rule explanation beside each.
    rows = selectors.with_explanations(list(selectors.proposals(worker)), SCAN_DAY)
    assert {r.item.pk for r in rows} == {w.pk for w in found}
    assert all(r.eligibility is not None and r.eligibility.eligible for r in rows)

    application = services.proposal_start(actor=worker, work_item_id=found[0].pk)
    assert application.status == "proposed"
    assert application.applicant_kind == "proposal"
    # One bundle for the person's open proposals; opening again gives the same one.
    assert application.items.count() == 2
    assert services.proposal_start(actor=worker, work_item_id=found[1].pk).pk == application.pk
    assert set(application.items.values_list("step_code", flat=True)) == {"proposed"}

    consented = dt.date(2025, 9, 10)
    confirm(worker, application, consented, consent_note="入户核实")
    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.application_date == consented
    assert application.consent_at is not None
    assert application.confirmed_by == worker
    assert set(application.items.values_list("step_code", flat=True)) == {"window"}
    assert all(w.status == WorkItemStatus.DONE for w in proposals_for_all(found))
    account = PayeeAccount.objects.get(person=eligible_person, valid_to__isnull=True)
    assert account.account_number == BANK.account_number
    assert account.account_masked != BANK.account_number
    # Recorded by the worker on the visit; paid to once a township officer has verified it.
    assert account.status == "pending"
    services.payee_account_verify(
        actor=officers["township_officer"],
        account_id=account.pk,
        checked_in_person=True,
        now=at(consented),
        today=consented,
    )

    for item in application.items.all():
        assert walk(item, officers, dt.date(2025, 10, 20)).status == "approved"
    ents = Entitlement.objects.filter(person=eligible_person)
    assert {e.valid_from for e in ents} == {dt.date(2025, 9, 1)}
    assert (
        Transition.objects.filter(
            item__application=application, action=Transition.Action.CONFIRM
        ).count()
        == 2
    )

    plist = services.payment_list_generate(
        actor=county_officer,
        county_code="150402",
        benefit=benefit("living_allowance"),
        month=dt.date(2025, 10, 1),
    )
    services.payment_list_approve(actor=approver, list_id=plist.pk)
    line = PaymentLine.objects.get(payment_list=plist)
    assert line.net_amount == 2 * standard("living_allowance", None)  # October + September
    data = f"line_id,amount,status,reason\n{line.pk},{line.net_amount},paid,\n".encode()
    services.import_results(actor=county_officer, list_id=plist.pk, data=data)
    line.refresh_from_db()
    assert line.status == "paid"

    # The scan no longer proposes what is now received.
    benefit_services.scan(as_of=dt.date(2025, 11, 30), benefit_codes=ALLOWANCES)
    assert proposals_for(eligible_person) == []


def proposals_for_all(items: list[WorkItem]) -> list[WorkItem]:
    return list(WorkItem.objects.filter(pk__in=[w.pk for w in items]))


def test_confirmation_needs_identity_consent_and_an_account(officers, eligible_person):
    benefit_services.scan(as_of=SCAN_DAY, benefit_codes=ALLOWANCES)
    worker = officers["village_worker"]
    application = services.proposal_start(
        actor=worker, work_item_id=proposals_for(eligible_person)[0].pk
    )
    day = dt.date(2025, 9, 10)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"identity_confirmed": False}, "identity_unconfirmed"),
        ({"consent": False}, "consent_missing"),
        ({"consent_method": ""}, "consent_method"),
        ({"bank": services.BankDetails("银行", "张", "")}, "bank_account"),
    ]
    for extra, code in cases:
        with pytest.raises(ValidationFailed) as info:
            confirm(worker, application, day, **extra)
        assert info.value.code == code
    application.refresh_from_db()
    assert application.status == "proposed"
    assert not PayeeAccount.objects.exists()
    # Officers cannot decide a step of an unconfirmed proposal.
    item = application.items.order_by("pk")[0]
    with pytest.raises(ValidationFailed) as info:
        services.item_decide(
            actor=officers["township_officer"],
            item_id=item.pk,
            expected_step="proposed",
            decision="advance",
        )
    assert info.value.code == "proposal_unconfirmed"


def test_a_declined_proposal_dismisses_the_scan_items(officers, eligible_person):
    benefit_services.scan(as_of=SCAN_DAY, benefit_codes=ALLOWANCES)
    worker = officers["village_worker"]
    found = proposals_for(eligible_person)
    application = services.proposal_start(actor=worker, work_item_id=found[0].pk)
    services.proposal_decline(actor=worker, application_id=application.pk, reason="本人不同意")
    application.refresh_from_db()
    assert application.status == "withdrawn"
    assert {w.status for w in proposals_for_all(found)} == {WorkItemStatus.DISMISSED}
    assert Application.objects.count() == 1
