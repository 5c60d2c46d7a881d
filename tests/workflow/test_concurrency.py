"""Officers acting on the same thing at the same moment, on real PostgreSQL connections:
one effect, and a clear refusal for the others (double approval, double submission at the
window, a list generated or approved twice)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from dpf.benefits.models import Entitlement
from dpf.workflow import services
from dpf.workflow.models import Application, ApplicationItem, PaymentList, Transition
from tests.factories import make_user
from tests.races import race
from tests.workflow.conftest import at, benefit, submit_bundle, upload_required, walk

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises writers (one connection writes at a time): no race to test",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_officers_approve_the_same_step_at_once(officers, eligible_person):
    application = submit_bundle(officers["township_officer"], eligible_person, dt.date(2025, 9, 1))
    # Every required document is on file, so the last approval is refused only by the race.
    upload_required(officers["township_officer"], application)
    item = application.items.get(benefit__code="living_allowance")
    # Up to the last step (civil-affairs approval), then two county officers at once.
    for _ in range(3):
        item.refresh_from_db()
        services.item_decide(
            actor=officers[item.step_role],
            item_id=item.pk,
            expected_step=item.step_code,
            decision="advance",
        )
    item.refresh_from_db()
    assert item.step_code == "civil_affairs"
    second = make_user("county_officer", "150402")

    def officer(actor):
        def read():
            return ApplicationItem.objects.get(pk=item.pk).step_code

        def write(step):
            services.item_decide(
                actor=actor, item_id=item.pk, expected_step=step, decision="advance"
            )

        return read, write

    outcome = race(officer(second), officer(make_user("county_officer", "150402")))

    assert outcome == ["already_handled", "ok"]
    assert Transition.objects.filter(item=item, from_step="civil_affairs").count() == 1
    assert Entitlement.objects.filter(person=eligible_person).count() == 1


def test_two_officers_generate_the_same_list_at_once(officers, eligible_person):
    application = submit_bundle(officers["township_officer"], eligible_person, dt.date(2025, 9, 1))
    walk(application.items.get(benefit__code="living_allowance"), officers, dt.date(2025, 10, 1))
    second = make_user("county_officer", "150402")

    def officer(actor):
        def read():
            return benefit("living_allowance")

        def write(b):
            services.payment_list_generate(
                actor=actor, county_code="150402", benefit=b, month=dt.date(2025, 10, 1)
            )

        return read, write

    outcome = race(officer(second), officer(make_user("county_officer", "150402")))

    assert outcome == ["list_exists", "ok"]
    assert PaymentList.objects.get().line_count == 1


def test_the_same_application_submitted_twice_at_once(officers, eligible_person):
    """A double click on 提交, or two workers at two windows: one application."""
    second_worker = make_user("village_worker", eligible_person.village_code)
    day = dt.date(2025, 9, 1)

    def worker(actor):
        def read():
            return eligible_person

        def write(person):
            services.application_submit(
                actor=actor,
                person=person,
                benefit_codes=["living_allowance", "nursing_allowance"],
                applicant_kind="worker",
                channel="window",
                now=at(day),
                today=day,
            )

        return read, write

    outcome = race(worker(officers["village_worker"]), worker(second_worker))

    assert outcome == ["already_applying", "ok"]
    assert Application.objects.filter(person=eligible_person).count() == 1
    assert ApplicationItem.objects.filter(application__person=eligible_person).count() == 2


def test_two_officers_approve_the_same_list_at_once(officers, eligible_person):
    application = submit_bundle(officers["township_officer"], eligible_person, dt.date(2025, 9, 1))
    walk(application.items.get(benefit__code="living_allowance"), officers, dt.date(2025, 10, 1))
    plist = services.payment_list_generate(
        actor=officers["county_officer"],
        county_code="150402",
        benefit=benefit("living_allowance"),
        month=dt.date(2025, 10, 1),
        today=dt.date(2025, 10, 1),
        now=at(dt.date(2025, 10, 1)),
    )
    second = make_user("county_officer", "150402")

    def officer(actor):
        def read():
            return plist.pk

        def write(list_id):
            services.payment_list_approve(
                actor=actor, list_id=list_id, now=at(dt.date(2025, 10, 2))
            )

        return read, write

    outcome = race(officer(second), officer(make_user("county_officer", "150402")))

    assert outcome == ["list_frozen", "ok"]
    assert PaymentList.objects.get().status == PaymentList.Status.APPROVED
