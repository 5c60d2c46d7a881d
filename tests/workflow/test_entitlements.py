"""Suspension, resumption and termination driven by the scan's review items, with history
and as-of queries; back-dated suspensions recovered from later payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dpf.benefits import services as benefit_services
from dpf.benefits.models import Entitlement, EntitlementStatus, WorkItem, WorkItemKind
from dpf.core.errors import DomainError, ValidationFailed
from dpf.registry import services as registry
from dpf.workflow import selectors, services
from dpf.workflow.models import EntitlementEvent, PaymentLine
from tests.benefits.conftest import person_with
from tests.factories import make_user
from tests.workflow.conftest import benefit, standard

pytestmark = pytest.mark.django_db

LIVING = "living_allowance"


def enrol(person, start: dt.date) -> Entitlement:
    return benefit_services.entitlement_create(
        actor=None, person=person, benefit=benefit(LIVING), valid_from=start
    )


def review_item(person) -> WorkItem:
    return WorkItem.objects.get(person=person, kind=WorkItemKind.REVIEW, status="open")


def test_scan_review_suspends_then_resumes_with_history(county_officer, regions):
    person = person_with(
        level=2, household="dibao", cert_from=dt.date(2015, 8, 1), cert_to=dt.date(2025, 7, 31)
    )
    first = enrol(person, dt.date(2024, 1, 1))
    benefit_services.scan(as_of=dt.date(2025, 8, 15), benefit_codes=[LIVING])
    item = review_item(person)

    services.review_resolve(
        actor=county_officer,
        work_item_id=item.pk,
        action="suspend",
        on=dt.date(2025, 8, 1),
        reason_code="certificate_expired",
    )
    first.refresh_from_db()
    assert first.status == EntitlementStatus.SUSPENDED
    assert first.valid_to == dt.date(2025, 7, 31)
    item.refresh_from_db()
    assert item.status == "done"
    event = EntitlementEvent.objects.get(entitlement=first, kind="suspended")
    assert (event.reason_code, event.source) == ("certificate_expired", f"work_item:{item.pk}")

    # The certificate is renewed; the county resumes from 10 September.
    registry.certificate_issue(
        actor=None,
        person=person,
        category=4,
        level=2,
        issue_date=dt.date(2025, 9, 10),
        today=dt.date(2025, 9, 10),
    )
    second = services.resume(
        actor=county_officer, entitlement_id=first.pk, on=dt.date(2025, 9, 10), reason="已换证"
    )
    assert second.pk != first.pk
    assert second.status == EntitlementStatus.ACTIVE
    assert EntitlementEvent.objects.get(entitlement=second).previous == first
    with pytest.raises(ValidationFailed) as info:
        services.resume(
            actor=county_officer, entitlement_id=first.pk, on=dt.date(2025, 9, 11), reason="x"
        )
    assert info.value.code == "already_resumed"

    b = benefit(LIVING).pk
    # Enrolled from 2024 (directly, not through an application): active until suspended.
    assert selectors.status_on(county_officer, person.pk, b, dt.date(2023, 12, 31)) is None
    assert selectors.status_on(county_officer, person.pk, b, dt.date(2025, 7, 31)) == "active"
    assert selectors.status_on(county_officer, person.pk, b, dt.date(2025, 8, 20)) == "suspended"
    assert selectors.status_on(county_officer, person.pk, b, dt.date(2025, 9, 20)) == "active"
    outside = make_user("county_officer", "150404")
    assert selectors.status_on(outside, person.pk, b, dt.date(2025, 9, 20)) is None
    in_force = selectors.entitlements_in_force(county_officer, dt.date(2025, 8, 20))
    assert not in_force.filter(person=person).exists()
    assert Entitlement.objects.filter(person=person).count() == 2
    assert (
        selectors.entitlements_in_force(county_officer, dt.date(2025, 7, 20)).get(person=person)
        == first
    )


def test_scan_review_terminates_on_death(county_officer, regions):
    person = person_with(level=3, household="dibao", died=dt.date(2025, 3, 14))
    ent = enrol(person, dt.date(2024, 1, 1))
    benefit_services.scan(as_of=dt.date(2025, 6, 30), benefit_codes=[LIVING])
    item = review_item(person)
    with pytest.raises(ValidationFailed) as info:
        services.review_resolve(
            actor=county_officer, work_item_id=item.pk, action="terminate", reason_code="x"
        )
    assert info.value.code == "reason_code"
    services.review_resolve(
        actor=county_officer,
        work_item_id=item.pk,
        action="terminate",
        on=dt.date(2025, 3, 15),
        reason_code="death",
    )
    ent.refresh_from_db()
    assert ent.status == EntitlementStatus.TERMINATED
    assert ent.valid_to == dt.date(2025, 3, 14)
    status = selectors.status_on(county_officer, person.pk, ent.benefit_id, dt.date(2025, 4, 1))
    assert status == "terminated"
    # Paid for March (in force on 1 March), not for April.
    march = services.payment_list_generate(
        actor=county_officer,
        county_code="150402",
        benefit=benefit(LIVING),
        month=dt.date(2025, 3, 1),
    )
    april = services.payment_list_generate(
        actor=county_officer,
        county_code="150402",
        benefit=benefit(LIVING),
        month=dt.date(2025, 4, 1),
    )
    assert march.line_count == 1
    assert april.line_count == 0


def test_back_dated_suspension_is_recovered_from_the_next_payment(
    county_officer, approver, regions
):
    person = person_with(level=2, household="dibao")
    ent = enrol(person, dt.date(2025, 7, 1))
    living = benefit(LIVING)

    def month_list(month: dt.date):
        plist = services.payment_list_generate(
            actor=county_officer, county_code="150402", benefit=living, month=month
        )
        services.payment_list_approve(actor=approver, list_id=plist.pk)
        return plist

    month_list(dt.date(2025, 8, 1))
    month_list(dt.date(2025, 9, 1))
    # Found in October: not eligible since 1 August (August and September were overpaid).
    services.suspend(
        actor=county_officer,
        entitlement_id=ent.pk,
        on=dt.date(2025, 8, 1),
        reason_code="not_eligible",
    )
    resumed = services.resume(
        actor=county_officer, entitlement_id=ent.pk, on=dt.date(2025, 10, 1), reason="复核符合"
    )
    monthly = standard(LIVING, None)
    october = month_list(dt.date(2025, 10, 1))
    line = PaymentLine.objects.get(payment_list=october)
    assert line.entitlement_id == resumed.pk
    # One month fits in October's payment (never below zero); the other waits.
    assert (line.deduction_months, line.deduction_amount, line.net_amount) == (1, monthly, 0)
    november = month_list(dt.date(2025, 11, 1))
    line = PaymentLine.objects.get(payment_list=november)
    assert (line.deduction_months, line.net_amount) == (1, 0)
    december = month_list(dt.date(2025, 12, 1))
    line = PaymentLine.objects.get(payment_list=december)
    assert (line.deduction_months, line.net_amount) == (0, monthly)


def test_only_county_staff_change_entitlements(officers, regions):
    person = person_with(level=2, household="dibao")
    ent = enrol(person, dt.date(2025, 1, 1))
    for role in ("village_worker", "township_officer"):
        with pytest.raises(DomainError) as info:
            services.suspend(
                actor=officers[role],
                entitlement_id=ent.pk,
                on=dt.date(2025, 8, 1),
                reason_code="not_eligible",
            )
        assert info.value.code == "not_found"
    ent.refresh_from_db()
    assert ent.status == EntitlementStatus.ACTIVE


def test_a_job_terminates_many_at_once_never_past_a_fixed_end(regions):
    """``terminate_many`` (the children's transition at 8): one update and one event each,
    a period with an earlier fixed end keeps it, a suspended one is left alone, a bad
    reason or a last day before the start writes nothing."""
    people = [
        person_with(level=2, household="dibao", cert_from=dt.date(2015, 8, 1)) for _ in range(3)
    ]
    open_one = enrol(people[0], dt.date(2024, 1, 1))
    fixed = benefit_services.entitlement_create(
        actor=None,
        person=people[1],
        benefit=benefit(LIVING),
        valid_from=dt.date(2024, 1, 1),
        valid_to=dt.date(2025, 3, 31),
    )
    suspended = enrol(people[2], dt.date(2024, 1, 1))
    benefit_services.entitlement_suspend(
        actor=None, entitlement=suspended, on=dt.date(2025, 2, 1), reason="test"
    )
    last = dt.date(2025, 5, 31)
    with pytest.raises(ValidationFailed):
        services.terminate_many(
            last_days={open_one.pk: last}, reason_code="approved", reason="x", source="job:t"
        )
    with pytest.raises(ValidationFailed):
        services.terminate_many(
            last_days={open_one.pk: dt.date(2023, 1, 1)},
            reason_code="not_eligible",
            reason="x",
            source="job:t",
        )
    open_one.refresh_from_db()
    assert (open_one.status, open_one.valid_to) == (EntitlementStatus.ACTIVE, None)
    ended = services.terminate_many(
        last_days={open_one.pk: last, fixed.pk: last, suspended.pk: last},
        reason_code="not_eligible",
        reason="年满8周岁",
        source="job:test",
        now=dt.datetime(2025, 6, 1, 1, 0, tzinfo=dt.UTC),
    )
    assert {e.pk for e in ended} == {open_one.pk, fixed.pk}
    for row, valid_to in ((open_one, last), (fixed, dt.date(2025, 3, 31))):
        row.refresh_from_db()
        assert (row.status, row.valid_to) == (EntitlementStatus.TERMINATED, valid_to)
        event = EntitlementEvent.objects.get(entitlement=row, kind="terminated")
        assert (event.on, event.source) == (valid_to + dt.timedelta(days=1), "job:test")
    suspended.refresh_from_db()
    assert suspended.status == EntitlementStatus.SUSPENDED


# --- entitlements decided outside an application (a care placement's subsidy) -------------

CARE = "care_service"


def test_a_decided_entitlement_is_granted_with_its_history_and_closed_early(
    county_officer, regions
):
    person = person_with(level=1, household="dibao")
    granted = services.entitlement_grant(
        actor=county_officer,
        person=person,
        benefit_code=CARE,
        valid_from=dt.date(2025, 3, 15),
        valid_to=dt.date(2025, 9, 14),
        monthly_amount=Decimal("450.00"),
        source="care_placement:7",
    )
    assert (granted.monthly_amount, granted.amount_fixed) == (Decimal("450.00"), True)
    assert granted.monthly_amount != standard(CARE, 1)
    staff = make_user("institution_staff", None, institution_code="CARE-1")
    closed = services.entitlement_close(
        actor=staff,  # an institution ends its placement without holding entitlements
        entitlement_id=granted.pk,
        last_day=dt.date(2025, 6, 20),
        reason="回家照料",
        source="care_placement:7",
    )
    assert (closed.status, closed.valid_to) == (EntitlementStatus.TERMINATED, dt.date(2025, 6, 20))
    events = list(
        EntitlementEvent.objects.filter(entitlement=granted)
        .order_by("pk")
        .values_list("kind", "on", "source", "actor_id")
    )
    assert events == [
        ("created", dt.date(2025, 3, 15), "care_placement:7", county_officer.pk),
        ("terminated", dt.date(2025, 6, 21), "care_placement:7", staff.pk),
    ]
    # Closed again (or once no longer active): left as it is, no second event.
    services.entitlement_close(
        actor=staff,
        entitlement_id=granted.pk,
        last_day=dt.date(2025, 5, 1),
        reason="再次",
        source="care_placement:7",
    )
    granted.refresh_from_db()
    assert granted.valid_to == dt.date(2025, 6, 20)
    assert EntitlementEvent.objects.filter(entitlement=granted).count() == 2


def test_a_decided_entitlement_is_refused_over_days_already_held(county_officer, regions):
    person = person_with(level=1, household="dibao")
    benefit_services.entitlement_create(
        actor=None,
        person=person,
        benefit=benefit(CARE),
        valid_from=dt.date(2025, 1, 1),
        valid_to=dt.date(2025, 3, 31),
    )
    with pytest.raises(ValidationFailed) as info:
        services.entitlement_grant(
            actor=county_officer,
            person=person,
            benefit_code=CARE,
            valid_from=dt.date(2025, 3, 31),
            valid_to=dt.date(2025, 6, 30),
            monthly_amount=Decimal("300.00"),
            source="care_placement:8",
        )
    assert info.value.code == "entitlement_held"
    assert "2025-01-01至2025-03-31" in info.value.message_zh
    assert "2025-01-01 to 2025-03-31" in info.value.message_en
    with pytest.raises(ValidationFailed) as info:
        services.entitlement_grant(
            actor=county_officer,
            person=person,
            benefit_code="no_such_benefit",
            valid_from=dt.date(2025, 4, 1),
            valid_to=dt.date(2025, 6, 30),
            monthly_amount=Decimal("300.00"),
            source="care_placement:8",
        )
    assert info.value.code == "benefit_unavailable"
    assert Entitlement.objects.filter(person=person).count() == 1
    assert not EntitlementEvent.objects.exists()
    # The day after the held period: granted.
    services.entitlement_grant(
        actor=county_officer,
        person=person,
        benefit_code=CARE,
        valid_from=dt.date(2025, 4, 1),
        valid_to=dt.date(2025, 6, 30),
        monthly_amount=Decimal("300.00"),
        source="care_placement:8",
    )
    assert Entitlement.objects.filter(person=person).count() == 2


def test_a_fixed_amount_needs_the_amount(regions):
    person = person_with(level=1, household="dibao")
    with pytest.raises(ValidationFailed) as info:
        benefit_services.entitlement_create(
            actor=None,
            person=person,
            benefit=benefit(CARE),
            valid_from=dt.date(2025, 1, 1),
            amount_fixed=True,
        )
    assert info.value.code == "amount_required"
    assert not Entitlement.objects.exists()
