"""Recording a death from the page (issue 17 part 1): entitlements end on the day of
death, applications in progress close, the certificate is cancelled, and months already
paid after the death are listed for recovery with nothing deleted."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.benefits import services as benefit_services
from dpf.benefits.models import Entitlement
from dpf.core.errors import NotFound, ValidationFailed
from dpf.registry.change_models import RecordChange
from dpf.registry.models import Certificate, Person
from dpf.workflow.models import (
    Application,
    ApplicationItem,
    EntitlementEvent,
    PaymentLine,
    PaymentMonth,
)
from dpf.workflow.services.deaths import death_record
from tests.benefits.conftest import person_with
from tests.factories import make_user
from tests.workflow.conftest import at, benefit, submit_bundle
from tests.workflow.test_payments import generate, receiving

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 11, 20)


def test_a_death_ends_entitlements_and_lists_months_paid_after_it(
    county_officer, village_worker, regions
):
    person = receiving(1)[0]
    plist = generate(county_officer, month=dt.date(2025, 10, 1))
    paid_october = PaymentMonth.objects.get(person=person, month=dt.date(2025, 10, 1))
    result = death_record(
        actor=village_worker,
        person_id=person.pk,
        on=dt.date(2025, 9, 14),
        reason="村委会出具死亡证明",
        today=TODAY,
        now=at(TODAY),
    )
    entitlement = Entitlement.objects.get(person=person)
    assert (entitlement.status, entitlement.valid_to) == ("terminated", dt.date(2025, 9, 14))
    event = EntitlementEvent.objects.get(entitlement=entitlement)
    assert (event.reason_code, event.on) == ("death", dt.date(2025, 9, 15))
    assert [(o.month, o.amount) for o in result.overpayments] == [
        (dt.date(2025, 10, 1), paid_october.amount)
    ]
    # Nothing deleted: the line and the paid month stay, listed for recovery.
    assert PaymentLine.objects.filter(payment_list=plist, person=person).exists()
    assert PaymentMonth.objects.filter(pk=paid_october.pk, recovered_by__isnull=True).exists()
    person.refresh_from_db()
    assert person.death_date == dt.date(2025, 9, 14)
    cert = Certificate.objects.get(person=person)
    assert (cert.status, cert.valid_to) == ("cancelled", dt.date(2025, 9, 14))
    record = RecordChange.objects.get(person=person, kind="death")
    assert "待追回" in record.summary
    assert str(paid_october.amount) in record.summary


def test_a_death_in_the_month_paid_is_no_overpayment(county_officer, village_worker, regions):
    person = receiving(1)[0]
    generate(county_officer, month=dt.date(2025, 10, 1))
    result = death_record(
        actor=village_worker,
        person_id=person.pk,
        on=dt.date(2025, 10, 1),
        reason="死亡",
        today=TODAY,
        now=at(TODAY),
    )
    assert result.overpayments == []
    assert result.entitlements_ended
    assert not result.entitlements_not_ended


def test_applications_in_progress_close_on_a_death(village_worker, eligible_person, regions):
    day = dt.date(2025, 10, 9)
    application = submit_bundle(village_worker, eligible_person, day)
    result = death_record(
        actor=village_worker,
        person_id=eligible_person.pk,
        on=dt.date(2025, 10, 20),
        reason="家属告知",
        today=TODAY,
        now=at(TODAY),
    )
    assert result.applications_closed == 1
    application.refresh_from_db()
    assert application.status == "withdrawn"
    items = ApplicationItem.objects.filter(application=application)
    assert {i.status for i in items} == {"withdrawn"}
    assert all("本人死亡" in i.decision_reason for i in items)


def test_a_death_outside_the_region_is_not_found_and_writes_nothing(regions):
    other = make_user("village_worker", "150404002001")
    person = person_with(level=1, household="dibao")
    benefit_services.entitlement_create(
        actor=None,
        person=person,
        benefit=benefit("living_allowance"),
        valid_from=dt.date(2025, 1, 1),
    )
    with pytest.raises(NotFound):
        death_record(
            actor=other, person_id=person.pk, on=dt.date(2025, 9, 1), reason="死亡", today=TODAY
        )
    person.refresh_from_db()
    assert person.death_date is None
    assert Entitlement.objects.get(person=person).status == "active"
    assert not RecordChange.objects.exists()


@pytest.mark.parametrize(
    ("on", "reason", "code"),
    [
        (dt.date(2025, 11, 21), "死亡", "future_date"),
        (dt.date(2025, 9, 1), "", "reason_missing"),
        (dt.date(1970, 1, 1), "死亡", "before_birth"),
    ],
)
def test_death_refusals_write_nothing(village_worker, regions, on, reason, code):
    person = person_with(level=1, household="dibao")
    with pytest.raises(ValidationFailed) as info:
        death_record(actor=village_worker, person_id=person.pk, on=on, reason=reason, today=TODAY)
    assert info.value.code == code
    assert info.value.message_en
    assert info.value.message_zh
    assert Person.objects.get(pk=person.pk).death_date is None
    assert Certificate.objects.get(person=person).status == "valid"


def test_a_second_death_record_is_refused(village_worker, regions):
    person = person_with(level=1, household="dibao")
    death_record(
        actor=village_worker, person_id=person.pk, on=dt.date(2025, 9, 1), reason="死亡",
        today=TODAY,
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as info:
        death_record(
            actor=village_worker, person_id=person.pk, on=dt.date(2025, 9, 2), reason="死亡",
            today=TODAY,
        )  # fmt: skip
    assert info.value.code == "already_deceased"
    assert RecordChange.objects.filter(person=person).count() == 1
    assert not Application.objects.exists()
