"""The one-window workflow: a bundle from the window through every step to entitlements
and a paid line; deadlines in working days; withdrawal; rejection and appeal; refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dpf.benefits.models import Entitlement, EntitlementStatus
from dpf.core.errors import NotFound, ValidationFailed
from dpf.workflow import selectors, services
from dpf.workflow.models import (
    Application,
    ApplicationItem,
    EntitlementEvent,
    ItemStatus,
    PayeeAccount,
    PaymentLine,
    Transition,
)
from dpf.workflow.procedures import procedures
from tests.workflow.conftest import ALLOWANCES, at, benefit, standard, submit_bundle, walk

pytestmark = pytest.mark.django_db


def results_csv(lines: list[PaymentLine]) -> bytes:
    rows = ["明细编号,金额,结果,原因"] + [f"{ln.pk},{ln.net_amount},成功," for ln in lines]
    return "\n".join(rows).encode("utf-8")


def test_bundle_from_the_window_to_entitlements_and_a_paid_line(
    officers, eligible_person, county_officer, approver
):
    applied = dt.date(2025, 9, 15)
    application = submit_bundle(officers["township_officer"], eligible_person, applied)
    items = list(application.items.select_related("benefit").order_by("benefit__code"))
    assert [i.benefit.code for i in items] == sorted(ALLOWANCES)
    # Both items start at the township window, one notice lists the union of documents.
    assert {i.step_code for i in items} == {"window"}
    missing = [d.code for d in selectors.missing_documents(application)]
    assert len(missing) == len(set(missing))
    assert {"dibao_certificate", "care_need", "bank_card"} <= set(missing)

    approved_on = dt.date(2025, 10, 20)
    steps_taken = {}
    for item in items:
        done = walk(item, officers, approved_on)
        assert done.status == ItemStatus.APPROVED
        steps_taken[item.benefit.code] = list(
            Transition.objects.filter(item=item).order_by("id").values_list("from_step", "action")
        )
    normal = [s.code for s in procedures().for_benefit("living_allowance").normal]
    assert [s for s, _ in steps_taken["living_allowance"]] == ["", *normal]
    assert steps_taken["living_allowance"][-1][1] == Transition.Action.APPROVE
    civil = Transition.objects.get(item=items[0], from_step="civil_affairs")
    assert civil.actor_role == "county_officer"  # acting for civil affairs

    entitlements = Entitlement.objects.filter(person=eligible_person).order_by("benefit__code")
    assert [e.benefit.code for e in entitlements] == sorted(ALLOWANCES)
    for ent in entitlements:
        assert ent.status == EntitlementStatus.ACTIVE
        assert ent.valid_from == dt.date(2025, 9, 1)  # first day of the month of application
        assert ent.monthly_amount == standard(ent.benefit.code, 1)
        assert EntitlementEvent.objects.filter(entitlement=ent, kind="created").count() == 1
    application.refresh_from_db()
    assert application.status == "decided"
    # The account the township officer recorded at the window is paid to once another
    # officer has verified it.
    account = PayeeAccount.objects.get(person=eligible_person, status="pending")
    services.payee_account_verify(
        actor=county_officer, account_id=account.pk, checked_in_person=True, today=approved_on
    )

    # October's list: October's amount plus September as arrears (approved late).
    plist = services.payment_list_generate(
        actor=county_officer,
        county_code="150402",
        benefit=benefit("nursing_allowance"),
        month=dt.date(2025, 10, 1),
    )
    line = PaymentLine.objects.get(payment_list=plist)
    monthly = standard("nursing_allowance", 1)
    assert line.amount == monthly
    assert (line.arrears_months, line.arrears_amount) == (1, monthly)
    assert line.net_amount == 2 * monthly
    assert line.bank_account_masked.startswith("6228")
    assert "*" in line.bank_account_masked
    assert line.bank_account == "6228480012345678901"
    services.payment_list_approve(actor=approver, list_id=plist.pk)
    summary = services.import_results(
        actor=county_officer, list_id=plist.pk, data=results_csv([line])
    )
    assert (summary.paid, summary.failed, summary.closed) == (1, 0, True)
    line.refresh_from_db()
    assert line.status == PaymentLine.Status.PAID


def test_deadlines_count_working_days_across_national_day(officers, eligible_person):
    # Friday 26 September 2025: Sat 27 rest, Sun 28 adjusted working day, Mon 29, Tue 30.
    application = submit_bundle(officers["township_officer"], eligible_person, dt.date(2025, 9, 26))
    item = application.items.get(benefit__code="living_allowance")
    assert item.step_due_on == dt.date(2025, 9, 30)  # 3 working days
    services.item_decide(
        actor=officers["township_officer"],
        item_id=item.pk,
        expected_step="window",
        decision="advance",
        today=dt.date(2025, 9, 30),
    )
    item.refresh_from_db()
    # 10 working days from Tue 30 September: 1–8 October are holidays, Sat 11 is worked.
    # 9,10,11,13,14,15,16,17,20,21 October.
    assert item.step_code == "township_report"
    assert item.step_due_on == dt.date(2025, 10, 21)


def test_overdue_steps_alert_the_officer(officers, eligible_person, township_officer):
    application = submit_bundle(township_officer, eligible_person, dt.date(2025, 9, 26))
    due = dt.date(2025, 9, 30)
    assert selectors.overdue_mine(township_officer, due) == 0
    assert selectors.overdue_mine(township_officer, dt.date(2025, 10, 9)) == 2
    assert set(selectors.overdue(officers["county_officer"], dt.date(2025, 10, 9))) == set(
        application.items.all()
    )
    # Deciding late records how late, in working days (9 October is the 1st after the 30th).
    item = application.items.order_by("pk")[0]
    services.item_decide(
        actor=township_officer,
        item_id=item.pk,
        expected_step="window",
        decision="advance",
        today=dt.date(2025, 10, 10),
    )
    assert Transition.objects.get(item=item, from_step="window").overdue_days == 2


def test_withdrawal_within_ten_minutes(officers, eligible_person):
    worker = officers["village_worker"]
    day = dt.date(2025, 9, 15)
    application = submit_bundle(worker, eligible_person, day)
    services.application_withdraw(actor=worker, application_id=application.pk, now=at(day, 10, 10))
    application.refresh_from_db()
    assert application.status == "withdrawn"
    assert set(application.items.values_list("status", flat=True)) == {ItemStatus.WITHDRAWN}
    assert not selectors.my_tasks(officers["township_officer"]).exists()


def test_withdrawal_after_ten_minutes_or_by_someone_else_is_refused(officers, eligible_person):
    worker = officers["village_worker"]
    day = dt.date(2025, 9, 15)
    application = submit_bundle(worker, eligible_person, day)
    with pytest.raises(ValidationFailed) as info:
        services.application_withdraw(
            actor=worker,
            application_id=application.pk,
            now=at(
                day,
                10,
                10,
            )
            + dt.timedelta(seconds=1),
        )
    assert info.value.code == "withdraw_window_closed"
    with pytest.raises(ValidationFailed) as info:
        services.application_withdraw(
            actor=officers["township_officer"], application_id=application.pk, now=at(day, 10, 1)
        )
    assert info.value.code == "withdraw_not_yours"
    application.refresh_from_db()
    assert application.status == "submitted"


def test_rejection_needs_a_reason_and_can_be_appealed_once(officers, eligible_person):
    township = officers["township_officer"]
    application = submit_bundle(township, eligible_person, dt.date(2025, 9, 15))
    item = application.items.get(benefit__code="living_allowance")
    with pytest.raises(ValidationFailed) as info:
        services.item_decide(
            actor=township, item_id=item.pk, expected_step="window", decision="reject"
        )
    assert info.value.code == "reason_required"
    assert not Transition.objects.filter(item=item, from_step="window").exists()

    services.item_decide(
        actor=township,
        item_id=item.pk,
        expected_step="window",
        decision="reject",
        reason="缺少低保证明",
    )
    item.refresh_from_db()
    assert item.status == ItemStatus.REJECTED
    assert item.decision_reason == "缺少低保证明"

    services.item_appeal(actor=township, item_id=item.pk, reason="已补交低保证明")
    item.refresh_from_db()
    assert (item.status, item.step_code, item.step_role, item.round) == (
        "in_progress",
        "appeal",
        "city_admin",
        2,
    )
    with pytest.raises(services.NotYourStep):
        services.item_decide(
            actor=officers["county_officer"],
            item_id=item.pk,
            expected_step="appeal",
            decision="overturn",
        )
    services.item_decide(
        actor=officers["city_admin"], item_id=item.pk, expected_step="appeal", decision="overturn"
    )
    item.refresh_from_db()
    assert (item.status, item.step_code) == ("in_progress", "window")
    done = walk(item, officers, dt.date(2025, 10, 20))
    assert done.status == ItemStatus.APPROVED

    other = application.items.get(benefit__code="nursing_allowance")
    services.item_decide(
        actor=township, item_id=other.pk, expected_step="window", decision="reject", reason="x"
    )
    services.item_appeal(actor=township, item_id=other.pk, reason="y")
    services.item_decide(
        actor=officers["city_admin"],
        item_id=other.pk,
        expected_step="appeal",
        decision="uphold",
        reason="维持",
    )
    with pytest.raises(ValidationFailed) as info:
        services.item_appeal(actor=township, item_id=other.pk, reason="again")
    assert info.value.code == "appeal_once"


def test_a_stale_page_is_already_handled(officers, eligible_person):
    township = officers["township_officer"]
    application = submit_bundle(township, eligible_person, dt.date(2025, 9, 15))
    item = application.items.order_by("pk")[0]
    services.item_decide(
        actor=township, item_id=item.pk, expected_step="window", decision="advance"
    )
    with pytest.raises(services.AlreadyHandled):
        services.item_decide(
            actor=township, item_id=item.pk, expected_step="window", decision="advance"
        )
    assert Transition.objects.filter(item=item, from_step="window").count() == 1


def test_wrong_role_or_region_cannot_act(officers, eligible_person, other_county_officer):
    application = submit_bundle(officers["township_officer"], eligible_person, dt.date(2025, 9, 15))
    item = application.items.order_by("pk")[0]
    with pytest.raises(services.NotYourStep):
        services.item_decide(
            actor=officers["county_officer"],
            item_id=item.pk,
            expected_step="window",
            decision="advance",
        )
    with pytest.raises(NotFound):
        services.item_decide(
            actor=other_county_officer, item_id=item.pk, expected_step="window", decision="advance"
        )
    with pytest.raises(NotFound):
        selectors.application_for(other_county_officer, application.pk)


def test_refusals_write_nothing(officers, eligible_person):
    township = officers["township_officer"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"benefit_codes": []}, "benefits_required"),
        ({"benefit_codes": ["no_such_benefit"]}, "benefit_unknown"),
        ({"applicant_kind": "guardian"}, "applicant_name"),
        ({"channel": "proactive"}, "channel"),
        (
            {"bank": services.BankDetails("银行", "张海明", "12ab")},
            "bank_account",
        ),
    ]
    for extra, code in cases:
        kwargs = {
            "actor": township,
            "person": eligible_person,
            "benefit_codes": ALLOWANCES,
            "applicant_kind": "self",
            "channel": "window",
            **extra,
        }
        with pytest.raises(ValidationFailed) as info:
            services.application_submit(**kwargs)
        assert info.value.code == code
    assert Application.objects.count() == 0
    assert ApplicationItem.objects.count() == 0

    submit_bundle(township, eligible_person, dt.date(2025, 9, 15))
    with pytest.raises(ValidationFailed) as info:
        submit_bundle(township, eligible_person, dt.date(2025, 9, 16))
    assert info.value.code == "already_applying"
    assert Application.objects.count() == 1


def test_an_ineligible_person_may_apply_and_the_failing_clauses_are_shown(officers, regions):
    from tests.benefits.conftest import person_with

    person = person_with(level=4, household="none")
    township = officers["township_officer"]
    application = submit_bundle(township, person, dt.date(2025, 9, 15))
    results = selectors.explanations(township, application, dt.date(2025, 9, 15))
    assert {r.benefit.code for r in results} == set(ALLOWANCES)
    assert all(not r.eligible for r in results)
    assert all(any(c.value is False for c in r.base) for r in results)


def test_the_staff_page_offers_withdrawal_only_when_the_service_would_accept_it(
    client, officers, eligible_person, time_machine
):
    """One rule decides withdrawal: the page's button follows the service. Within the ten
    minutes but with one item already rejected, the service refuses, so the page must not
    offer the button (it did: the page checked only the status and 600 s)."""
    from django.urls import reverse

    worker = officers["village_worker"]
    day = dt.date(2025, 9, 15)
    application = submit_bundle(worker, eligible_person, day)
    url = reverse("workflow:application", args=[application.pk])
    client.force_login(worker)
    time_machine.move_to(at(day, 10, 3), tick=False)
    assert 'id="withdraw-h"' in client.get(url).content.decode()  # offered: the rule allows
    item = application.items.order_by("id").first()
    assert item is not None
    services.item_decide(
        actor=officers["township_officer"],
        item_id=item.pk,
        expected_step=item.step_code,
        decision="reject",
        reason="材料不符合要求",
        today=day,
        now=at(day, 10, 4),
    )
    with pytest.raises(ValidationFailed) as info:
        services.application_withdraw(
            actor=worker, application_id=application.pk, now=at(day, 10, 5)
        )
    assert info.value.code == "already_decided"
    time_machine.move_to(at(day, 10, 5), tick=False)
    assert 'id="withdraw-h"' not in client.get(url).content.decode()
