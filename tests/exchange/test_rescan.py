"""After a commit the changed people are rescanned by the benefits' incremental scan:
the death roster ends in review items, the 低保 leavers in the reconciliation list."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.benefits import services as benefit_services
from dpf.benefits.models import ScanRun, ScanStatus
from dpf.core.errors import ValidationFailed
from dpf.exchange import services
from dpf.exchange.models import ImportBatch
from dpf.jobs.models import Job, JobStatus
from dpf.registry import services as registry
from dpf.registry.models import FactsMark
from tests.exchange.conftest import stage, xlsx_bytes
from tests.factories import make_person

pytestmark = pytest.mark.django_db

D = dt.date


def test_scan_runs_after_the_commit_is_durable(county_officer, monkeypatch) -> None:
    person = make_person(actor=county_officer, name="李秀英")
    seen: list[str] = []

    def fake_scan(*, actor, incremental):
        seen.append(ImportBatch.objects.get().status)  # already committed when it runs
        return "scan #7"

    monkeypatch.setattr(benefit_services, "scan", fake_scan)
    batch = stage(
        county_officer,
        "death",
        xlsx_bytes(
            [["身份证号码", "姓名", "死亡日期"], [person.id_number, "李秀英", "2026-03-15"]]
        ),
    )
    batch = services.batch_commit(actor=county_officer, batch=batch)
    assert seen == ["committed"]
    assert ImportBatch.objects.get().note == "scan #7"


def test_a_scan_that_cannot_run_does_not_undo_the_import(county_officer, monkeypatch) -> None:
    person = make_person(actor=county_officer, name="李秀英")

    def busy(*, actor, incremental):
        raise ValidationFailed("scan_running", "另一次扫描正在运行", "another scan is running")

    monkeypatch.setattr(benefit_services, "scan", busy)
    batch = stage(
        county_officer,
        "death",
        xlsx_bytes(
            [["身份证号码", "姓名", "死亡日期"], [person.id_number, "李秀英", "2026-03-15"]]
        ),
    )
    batch = services.batch_commit(actor=county_officer, batch=batch)
    person.refresh_from_db()
    assert person.death_date == D(2026, 3, 15)
    assert FactsMark.objects.filter(person=person).exists()
    # An incremental scan is queued as a job, run here at once (DPF_JOBS_RUN immediate).
    job = Job.objects.get(kind="benefits.scan")
    assert batch.note == f"scan not run: scan_running; queued as job #{job.pk}"
    assert job.params == {"incremental": True}
    assert job.key == services.RESCAN_JOB_KEY
    assert job.status == JobStatus.DONE, job.error
    assert job.result.startswith("incremental scan #")
    run = ScanRun.objects.get()
    assert run.mode == ScanRun.Mode.INCREMENTAL
    assert run.status == ScanStatus.DONE


def test_commits_while_the_follow_up_scan_waits_join_it(county_officer, monkeypatch, settings):
    settings.DPF_JOBS_RUN = "worker"  # the follow-up stays queued, as behind a running scan

    def busy(*, actor, incremental):
        raise ValidationFailed("scan_running", "另一次扫描正在运行", "another scan is running")

    monkeypatch.setattr(benefit_services, "scan", busy)
    for name in ("李秀英", "王建国"):
        person = make_person(actor=county_officer, name=name)
        rows = [["身份证号码", "姓名", "死亡日期"], [person.id_number, name, "2026-03-15"]]
        batch = stage(county_officer, "death", xlsx_bytes(rows))
        services.batch_commit(actor=county_officer, batch=batch)
    job = Job.objects.get(kind="benefits.scan")
    assert job.status == JobStatus.QUEUED
    assert [b.note for b in ImportBatch.objects.order_by("pk")] == [
        f"scan not run: scan_running; queued as job #{job.pk}"
    ] * 2


def test_death_roster_ends_in_review_items(county_officer, real_rescan, time_machine) -> None:
    """The scans run "today" (the commit's rescan too): today is fixed while the certificate
    is valid, after the death the roster reports."""
    from dpf.benefits import services as benefits
    from dpf.benefits.models import BenefitItem, WorkItem

    time_machine.move_to(dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC))
    person = make_person(actor=county_officer, name="李秀英")
    registry.certificate_issue(
        actor=county_officer, person=person, category=4, level=1, issue_date=D(2020, 5, 1)
    )
    # Government-paid pension contributions: alive, valid certificate, level 1-2, age 16-59.
    benefit = BenefitItem._default_manager.get(code="pension_subsidy")
    benefits.entitlement_create(
        actor=county_officer, person=person, benefit=benefit, valid_from=D(2021, 1, 1)
    )
    benefits.scan(actor=county_officer)
    reviews = WorkItem._default_manager.filter(person=person, kind="review", benefit=benefit)
    assert not reviews.exists()
    batch = stage(
        county_officer,
        "death",
        xlsx_bytes(
            [["身份证号码", "姓名", "死亡日期"], [person.id_number, "李秀英", "2026-03-15"]]
        ),
    )
    services.batch_commit(actor=county_officer, batch=batch)
    assert reviews.filter(status="open").exists()


def test_dibao_leavers_still_receiving_the_living_allowance(county_officer, real_rescan) -> None:
    from dpf.benefits import services as benefits
    from dpf.benefits.models import BenefitItem
    from dpf.exchange import selectors

    leaver = make_person(actor=county_officer, name="李秀英")
    stayer = make_person(actor=county_officer, name="王建国")
    benefit = BenefitItem._default_manager.get(code="living_allowance")
    for person in (leaver, stayer):
        assert person.household is not None
        registry.household_status_set(
            actor=county_officer,
            household=person.household,
            status="dibao",
            valid_from=D(2020, 1, 1),
        )
        registry.certificate_issue(
            actor=county_officer, person=person, category=4, level=3, issue_date=D(2020, 5, 1)
        )
        benefits.entitlement_create(
            actor=county_officer, person=person, benefit=benefit, valid_from=D(2021, 1, 1)
        )
    batch = stage(
        county_officer,
        "dibao",
        xlsx_bytes(
            [
                ["身份证号码", "姓名", "类别", "起始日期", "终止日期"],
                [leaver.id_number, "李秀英", "低保", "2020-01-01", "2026-06-30"],
                [stayer.id_number, "王建国", "低保", "2020-01-01", None],
            ]
        ),
    )
    services.batch_commit(actor=county_officer, batch=batch)
    persons = selectors.left_dibao_receiving(batch, county_officer)
    assert list(persons.values_list("pk", flat=True)) == [leaver.pk]
