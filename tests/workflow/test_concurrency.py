"""Two officers approving the same step at the same moment, on two real PostgreSQL
connections: one transition, one entitlement, a clear message for the second."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from dpf.benefits.models import Entitlement
from dpf.core.errors import DomainError
from dpf.workflow import services
from dpf.workflow.models import ApplicationItem, PaymentList, Transition
from tests.factories import make_user
from tests.workflow.conftest import benefit, submit_bundle, walk

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises writers (one connection writes at a time): no race to test",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def race(*calls) -> list[str]:
    """Run the calls in threads (own connections); all read before any writes."""
    barrier = threading.Barrier(len(calls))
    results: list[str] = []
    lock = threading.Lock()

    def run(call) -> None:
        try:
            prepared = call[0]()  # the read each officer's page made
            barrier.wait(timeout=30)
            call[1](prepared)
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.code
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(results)


def test_two_officers_approve_the_same_step_at_once(officers, eligible_person):
    application = submit_bundle(officers["township_officer"], eligible_person, dt.date(2025, 9, 1))
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

    outcome = race(officer(officers["county_officer"]), officer(second))

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

    outcome = race(officer(officers["county_officer"]), officer(second))

    assert outcome == ["list_exists", "ok"]
    assert PaymentList.objects.get().line_count == 1
