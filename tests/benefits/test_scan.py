"""The proactive scan: proposals, reviews, idempotence, incremental runs, counts, resuming,
and a number of queries that does not grow with the number of persons."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dpf.benefits import services
from dpf.benefits.models import (
    ScanRun,
    ScanStatus,
    WorkItem,
    WorkItemKind,
    WorkItemStatus,
)
from dpf.registry.models import FactsMark
from tests.benefits.conftest import AS_OF, benefit, person_with, touch

pytestmark = pytest.mark.django_db

ALLOWANCES = ["living_allowance", "nursing_allowance"]


def items(kind: str, status: str = WorkItemStatus.OPEN) -> set[tuple[int, str]]:
    return set(
        WorkItem.objects.filter(kind=kind, status=status).values_list("person_id", "benefit__code")
    )


def test_scan_proposes_eligible_and_reviews_receiving_not_eligible():
    eligible = person_with(level=1, household="dibao", long_term_care=True)
    receiving_ok = person_with(level=2, household="dibao")
    expired = person_with(
        level=2, household="dibao", cert_from=dt.date(2014, 1, 1), cert_to=dt.date(2024, 12, 31)
    )
    dead = person_with(level=3, household="dibao", died=dt.date(2025, 3, 1))
    not_eligible = person_with(level=4, household="none")
    for person in (receiving_ok, expired, dead):
        services.entitlement_create(
            actor=None,
            person=person,
            benefit=benefit("living_allowance"),
            valid_from=dt.date(2024, 1, 1),
        )

    run = services.scan(as_of=AS_OF, benefit_codes=ALLOWANCES)

    assert run.status == ScanStatus.DONE
    assert items(WorkItemKind.PROPOSAL) == {
        (eligible.pk, "living_allowance"),
        (eligible.pk, "nursing_allowance"),
    }
    assert items(WorkItemKind.REVIEW) == {
        (expired.pk, "living_allowance"),
        (dead.pk, "living_allowance"),
    }
    assert not WorkItem.objects.filter(person=not_eligible).exists()
    item = WorkItem.objects.get(person=eligible, benefit__code="living_allowance")
    assert (item.county_code, item.township_code, item.village_code) == (
        eligible.county_code,
        eligible.township_code,
        eligible.village_code,
    )
    assert item.scan_run_id == run.pk
    assert item.as_of == AS_OF
    assert item.explanation is None  # computed when a worker opens it

    living = run.counts["living_allowance"]
    assert living["eligible"] == 2  # eligible, receiving_ok
    assert living["receiving"] == 3
    assert living["covered"] == 1
    assert living["proposed"] == 1
    assert living["to_review"] == 2
    assert run.counts["nursing_allowance"]["proposed"] == 1


def test_second_run_adds_nothing():
    person_with(level=1, household="dibao", long_term_care=True)
    person_with(level=3, household="dibao")
    first = services.scan(as_of=AS_OF)
    before = WorkItem.objects.count()
    assert before > 0
    second = services.scan(as_of=AS_OF)
    assert WorkItem.objects.count() == before
    assert all(c["proposed"] == 0 and c["to_review"] == 0 for c in second.counts.values())
    assert sum(c["proposed"] for c in first.counts.values()) == before


def test_items_that_no_longer_apply_are_withdrawn():
    person = person_with(level=3, household="dibao")
    services.scan(as_of=AS_OF, benefit_codes=["living_allowance"])
    assert items(WorkItemKind.PROPOSAL) == {(person.pk, "living_allowance")}
    services.entitlement_create(
        actor=None, person=person, benefit=benefit("living_allowance"), valid_from=AS_OF
    )
    run = services.scan(as_of=AS_OF, benefit_codes=["living_allowance"])
    assert items(WorkItemKind.PROPOSAL) == set()
    assert items(WorkItemKind.PROPOSAL, WorkItemStatus.OBSOLETE) == {
        (person.pk, "living_allowance")
    }
    assert run.counts["living_allowance"]["withdrawn"] == 1


def test_incremental_run_only_touches_changed_people():
    first = person_with(level=3, household="dibao")
    services.scan(as_of=AS_OF, benefit_codes=["living_allowance"])
    # Two people become eligible without the registry noticing (no facts mark)…
    unchanged = person_with(level=3, household="dibao")
    changed = person_with(level=3, household="dibao")
    FactsMark.objects.filter(person__in=[unchanged, changed]).delete()
    WorkItem.objects.filter(person=first).delete()
    # … and only one of them is marked as changed after the last run started.
    touch(changed)

    run = services.scan(as_of=AS_OF, benefit_codes=["living_allowance"], incremental=True)

    assert run.mode == ScanRun.Mode.INCREMENTAL
    assert items(WorkItemKind.PROPOSAL) == {(changed.pk, "living_allowance")}
    assert run.counts["living_allowance"]["eligible"] == 1
    full = services.scan(as_of=AS_OF, benefit_codes=["living_allowance"])
    assert items(WorkItemKind.PROPOSAL) == {
        (first.pk, "living_allowance"),
        (unchanged.pk, "living_allowance"),
        (changed.pk, "living_allowance"),
    }
    assert full.counts["living_allowance"]["proposed"] == 2


def test_a_run_that_died_is_resumed(monkeypatch):
    person = person_with(level=1, household="dibao", long_term_care=True)
    from dpf.benefits import scanning

    real = scanning.scan_benefit
    calls: list[str] = []

    def dies_on_nursing(benefit, **kwargs):
        calls.append(benefit.code)
        if benefit.code == "nursing_allowance":
            raise RuntimeError("killed")
        return real(benefit, **kwargs)

    monkeypatch.setattr(scanning, "scan_benefit", dies_on_nursing)
    with pytest.raises(RuntimeError):
        services.scan(as_of=AS_OF, benefit_codes=ALLOWANCES)
    failed = ScanRun.objects.get()
    assert failed.status == ScanStatus.FAILED
    assert list(failed.counts) == ["living_allowance"]

    resumed_calls: list[str] = []

    def records(benefit, **kwargs):
        resumed_calls.append(benefit.code)
        return real(benefit, **kwargs)

    monkeypatch.setattr(scanning, "scan_benefit", records)
    resumed = services.scan(as_of=AS_OF, benefit_codes=ALLOWANCES)
    assert resumed.pk == failed.pk
    assert resumed.status == ScanStatus.DONE
    assert set(resumed.counts) == set(ALLOWANCES)
    assert calls == ["living_allowance", "nursing_allowance"]
    assert resumed_calls == ["nursing_allowance"]  # living was done and is not redone
    assert items(WorkItemKind.PROPOSAL) == {(person.pk, c) for c in ALLOWANCES}


def test_unknown_benefit_is_refused():
    from dpf.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        services.scan(as_of=AS_OF, benefit_codes=["no_such_benefit"])
    assert exc.value.field == "benefit"
    assert not ScanRun.objects.exists()


def test_progress_is_reported():
    messages: list[str] = []
    services.scan(as_of=AS_OF, benefit_codes=ALLOWANCES, progress=messages.append)
    assert len(messages) == 2
    assert messages[0].startswith("[1/2] living_allowance")


def _scan_queries() -> int:
    WorkItem.objects.all().delete()
    ScanRun.objects.all().delete()
    with CaptureQueriesContext(connection) as ctx:
        services.scan(as_of=AS_OF)
    return len(ctx.captured_queries)


def test_scan_queries_do_not_grow_with_persons():
    for _ in range(2):
        person_with(level=1, household="dibao", long_term_care=True)
    few = _scan_queries()
    for village in ("150402001002", "150404002001", "150404002002"):
        for _ in range(3):
            person_with(village=village, level=1, household="dibao", long_term_care=True)
    assert WorkItem.objects.count() > 0
    many = _scan_queries()
    assert many == few
