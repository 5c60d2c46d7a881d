"""The proactive scan started from the queue page runs as a job (not in the request) and
the job page shows its result; a second start while it runs joins it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dpf.benefits.models import ScanRun, ScanStatus
from dpf.jobs.models import Job, JobStatus

pytestmark = pytest.mark.django_db


def test_the_queue_page_starts_the_scan_as_a_job(client, city_admin) -> None:
    client.force_login(city_admin)
    page = client.get(reverse("workflow:proposals")).content.decode()
    run_url = reverse("jobs:schedule_run", args=["benefits.scan"])
    assert f'action="{run_url}"' in page

    response = client.post(run_url)

    job = Job.objects.get(kind="benefits.scan")
    assert response["Location"] == reverse("jobs:job", args=[job.pk])
    assert job.status == JobStatus.DONE
    assert job.result.startswith("scan #")
    assert ScanRun.objects.filter(status=ScanStatus.DONE).count() == 1
    shown = client.get(response["Location"]).content.decode()
    assert job.result in shown


def test_a_second_scan_start_while_one_runs_joins_it(client, city_admin, settings) -> None:
    settings.DPF_JOBS_RUN = "worker"  # stays queued, as while a worker is busy with it
    client.force_login(city_admin)
    run_url = reverse("jobs:schedule_run", args=["benefits.scan"])
    first = client.post(run_url)["Location"]
    second = client.post(run_url)
    assert second["Location"] == first
    assert Job.objects.filter(kind="benefits.scan").count() == 1


def test_the_button_is_only_for_the_city_admin(client, county_officer) -> None:
    client.force_login(county_officer)
    page = client.get(reverse("workflow:proposals")).content.decode()
    assert reverse("jobs:schedule_run", args=["benefits.scan"]) not in page
