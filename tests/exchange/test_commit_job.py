"""The roster commit runs as a job started from the batch page: the page follows it, and
the job run again after a crash gives the same registry (issue 22 part 1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dpf.exchange import services
from dpf.exchange.models import BatchStatus, ImportBatch
from dpf.jobs import runner
from dpf.jobs.models import Job, JobStatus
from dpf.registry.models import HouseholdStatus, Person
from tests.exchange.conftest import stage, xlsx_bytes
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def _registry() -> tuple[list, list]:
    return (
        list(HouseholdStatus.objects.order_by("pk").values()),
        list(Person.objects.order_by("pk").values_list("pk", "facts_mark__changed_at")),
    )


def _previewed(actor) -> ImportBatch:
    people = [make_person(actor=actor, name=f"低保{i}") for i in range(3)]
    rows = [["身份证号码", "姓名", "类别", "起始日期"]]
    rows += [[p.id_number, p.name, "低保", "2024-03-01"] for p in people]
    batch = stage(actor, "dibao", xlsx_bytes(rows))
    assert batch.status == BatchStatus.PREVIEWED
    assert batch.counts["will_change"] == 3
    return batch


def test_the_commit_job_run_again_after_a_crash_gives_the_same_registry(
    county_officer,
) -> None:
    batch = _previewed(county_officer)

    job = services.batch_commit_start(actor=county_officer, batch=batch)

    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    batch.refresh_from_db()
    assert batch.status == BatchStatus.COMMITTED
    after, result = _registry(), job.result
    assert "3 changed" in result
    # The worker died after the commit, before marking the job done: delivered again.
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, finished_at=None)
    runner.run_job(job.pk, today=dt.date(2025, 6, 1))
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.attempts == 2
    assert job.result == result
    assert _registry() == after


def test_the_batch_page_follows_the_commit_until_it_is_done(
    client, county_officer, settings
) -> None:
    batch = _previewed(county_officer)
    settings.DPF_JOBS_RUN = "worker"  # queued: a busy worker takes it later
    client.force_login(county_officer)

    response = client.post(reverse("exchange:commit", args=[batch.pk]), follow=True)

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("exchange:batch", args=[batch.pk])
    assert "排队中" in page
    assert "确认导入" not in page
    job = Job.objects.get(kind="exchange.commit")
    runner.run_job(job.pk)  # what the worker does
    page = client.get(reverse("exchange:batch", args=[batch.pk])).content.decode()
    assert "已完成" in page
    assert "3 changed" in page
    assert "查看对账结果" in page


def test_a_cancelled_batch_is_refused_at_once_and_starts_no_job(client, county_officer) -> None:
    batch = _previewed(county_officer)
    services.batch_cancel(actor=county_officer, batch=batch)
    client.force_login(county_officer)

    response = client.post(reverse("exchange:commit", args=[batch.pk]), follow=True)

    assert "不能导入" in response.content.decode()
    assert not Job.objects.filter(kind="exchange.commit").exists()
