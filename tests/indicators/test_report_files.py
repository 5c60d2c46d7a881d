"""The evaluation report's PDF and workbook are background jobs (issue 22): the request only
queues the file; the report page offers it to whoever asked, and to nobody else."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from dpf.core.models import AuditEntry
from dpf.jobs.models import Job, JobOutput, JobStatus
from tests.factories import make_user, report_download
from tests.indicators.conftest import AS_OF

pytestmark = pytest.mark.django_db

DAY = AS_OF.isoformat()


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _start(client: Client, **params: str):
    return client.post(reverse("indicators:report_file_start"), params)


def test_the_request_only_queues_the_file_and_the_page_shows_it(
    figures, county_officer, settings
) -> None:
    settings.DPF_JOBS_RUN = "worker"
    client = _client(county_officer)
    response = _start(client, as_of=DAY, region="150402", format="pdf")
    assert response.status_code == 302
    assert response["Location"].endswith("#files")
    job = Job.objects.get(kind="indicators.report")
    assert job.status == JobStatus.QUEUED
    assert job.params["region"] == "150402"
    assert job.params["as_of"] == DAY
    assert job.params["publish"] is False
    assert not JobOutput.objects.exists()
    page = client.get(reverse("indicators:report") + f"?as_of={DAY}&region=150402")
    html = page.content.decode()
    assert "我生成的文件" in html
    assert "生成中，刷新查看" in html
    assert "PDF · 红山区 · 2025-12-31 · 内部版" in html
    # Pressed again while it is queued: joined, not doubled.
    _start(client, as_of=DAY, region="150402", format="pdf")
    assert Job.objects.filter(kind="indicators.report").count() == 1


def test_the_file_is_offered_to_whoever_asked_and_its_download_is_audited(
    figures, county_officer
) -> None:
    client = _client(county_officer)
    pdf = report_download(client, as_of=DAY, region="150402", format="pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    job = Job.objects.get(kind="indicators.report")
    assert job.status == JobStatus.DONE
    entry = AuditEntry.objects.get(actor=county_officer, action="download")
    assert entry.object_type == "evaluation_report"
    assert entry.changes["job"] == job.pk
    page = client.get(reverse("indicators:report") + f"?as_of={DAY}&region=150402")
    assert reverse("indicators:report_file", args=[job.pk]) in page.content.decode()


def test_another_officer_of_the_same_county_cannot_download_it(figures, county_officer) -> None:
    """The attack: the same role and region, guessing the job's number."""
    report_download(_client(county_officer), as_of=DAY, region="150402", format="xlsx")
    job = Job.objects.get(kind="indicators.report")
    colleague = make_user("county_officer", "150402")
    response = _client(colleague).get(reverse("indicators:report_file", args=[job.pk]))
    assert response.status_code == 404
    page = _client(colleague).get(reverse("indicators:report") + f"?as_of={DAY}")
    assert reverse("indicators:report_file", args=[job.pk]) not in page.content.decode()
    assert not AuditEntry.objects.filter(actor=colleague, action="download").exists()


def test_a_viewers_file_is_the_published_version(figures) -> None:
    viewer = make_user("viewer", "150400")
    report_download(_client(viewer), as_of=DAY, format="xlsx")
    assert Job.objects.get(kind="indicators.report").params["publish"] is True


def test_another_countys_file_is_refused_before_it_is_queued(figures, county_officer) -> None:
    response = _start(_client(county_officer), as_of=DAY, region="150404", format="xlsx")
    assert response.status_code == 404
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"as_of": DAY, "format": "docx"}, "文件格式须为PDF或Excel"),
        ({"as_of": "2025-02-30", "format": "pdf"}, "统计日期无效"),
        ({"as_of": "2024-01-31", "format": "pdf"}, "该日期没有指标快照"),
    ],
)
def test_bad_requests_are_refused_with_a_message_and_nothing_queued(
    figures, city_admin, params, message
) -> None:
    response = _client(city_admin).post(
        reverse("indicators:report_file_start"), params, follow=True
    )
    assert message in response.content.decode()
    assert not Job.objects.exists()


def test_the_file_is_made_in_the_language_of_the_page_that_asked(figures, city_admin) -> None:
    client = _client(city_admin)
    client.cookies["django_language"] = "en"
    _start(client, as_of=DAY, format="pdf")
    assert Job.objects.get(kind="indicators.report").params["language"] == "en"
