"""The dashboard's "recompute" starts a background job (issue 22): the request only queues
it, the job stores the date's snapshot, and the dashboard shows the job's progress."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dpf.indicators.models import SnapshotRun
from dpf.jobs.models import Job, JobStatus

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2024, 6, 30)


def _post(client, as_of: str):
    return client.post(reverse("indicators:snapshot"), {"plan": "P14", "as_of": as_of})


def test_recompute_runs_as_a_job_and_the_dashboard_shows_it(client, city_admin, settings) -> None:
    settings.DPF_JOBS_RUN = "worker"  # queued only: nothing computed in the request
    client.force_login(city_admin)
    response = _post(client, AS_OF.isoformat())
    assert response.status_code == 302
    assert f"as_of={AS_OF}" in response["Location"]
    job = Job.objects.get(kind="indicators.snapshot")
    assert job.status == JobStatus.QUEUED
    assert job.params == {"plan": "P14", "as_of": "2024-06-30"}
    assert job.started_by == city_admin
    assert not SnapshotRun.objects.filter(as_of=AS_OF).exists()
    page = client.get(response["Location"]).content.decode()
    assert "重新计算指标" in page
    assert str(JobStatus.QUEUED.label) in page

    # A second press while the first is queued joins it.
    _post(client, AS_OF.isoformat())
    assert Job.objects.filter(kind="indicators.snapshot").count() == 1


def test_the_job_stores_the_dates_snapshot(client, city_admin) -> None:
    client.force_login(city_admin)  # the test settings run a job at once (conftest)
    _post(client, AS_OF.isoformat())
    job = Job.objects.get(kind="indicators.snapshot")
    assert job.status == JobStatus.DONE, job.error
    run = SnapshotRun.objects.get(plan__code="P14", as_of=AS_OF)
    assert run.finished_at is not None
    assert run.snapshots.exists()


@pytest.mark.parametrize("as_of", ["", "2024-02-30", "yesterday"])
def test_a_date_that_is_not_one_is_refused_before_anything_is_queued(
    client, city_admin, as_of
) -> None:
    client.force_login(city_admin)
    response = client.post(
        reverse("indicators:snapshot"), {"plan": "P14", "as_of": as_of}, follow=True
    )
    assert "不是有效日期" in response.content.decode()
    assert not Job.objects.exists()
    assert not SnapshotRun.objects.exists()


def test_an_officer_without_the_permission_cannot_start_it(client, county_officer) -> None:
    client.force_login(county_officer)
    response = _post(client, AS_OF.isoformat())
    assert response.status_code in (403, 404)
    assert not Job.objects.exists()
