"""Exchange pages: who may open them, the upload → preview → commit → reconciliation
flow through HTTP, bounded queries on list pages, downloads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from dpf.core.models import AuditEntry
from dpf.exchange import jobs
from dpf.exchange.models import BatchStatus, DuplicateSuspect, ImportBatch
from dpf.registry.models import HouseholdStatus
from tests.exchange.conftest import stage, xlsx_bytes
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

D = dt.date
HEADER = ["身份证号码", "姓名", "类别", "起始日期", "终止日期"]
PAGES = [
    ("exchange:index", {}),
    ("exchange:upload", {}),
    ("exchange:duplicates", {}),
    ("exchange:export", {}),
    ("exchange:template", {"code": "dibao"}),
]


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_staff_pages_open_for_county_and_city(client, county_officer, city_admin, name, kwargs):
    for user in (county_officer, city_admin):
        client.force_login(user)
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 200


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_other_roles_get_404(client, village_worker, name, kwargs) -> None:
    for user in (village_worker, make_user("department_exchange", "150400")):
        client.force_login(user)
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 404


def test_anonymous_users_are_sent_to_login(client, regions) -> None:
    response = client.get(reverse("exchange:index"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_upload_preview_commit_reconcile(client, county_officer) -> None:
    people = [make_person(actor=county_officer, name=f"测试{i:02d}") for i in range(60)]
    content = xlsx_bytes(
        [HEADER]
        + [[p.id_number, p.name, "低保", "2023-01-05", None] for p in people]
        + [["11010519491231002X", "不在册", "低保", "2023-01-05", None]]
    )
    client.force_login(county_officer)
    response = client.post(
        reverse("exchange:upload"),
        {"roster_type": "dibao", "file": SimpleUploadedFile("低保名单.xlsx", content)},
    )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exchange:batch", args=[batch.pk])
    assert batch.status == BatchStatus.VALIDATING  # validated in the background
    assert not batch.rows.exists()
    waiting = client.get(response["Location"]).content.decode()
    assert "等待校验开始" in waiting
    assert "确认导入" not in waiting
    assert jobs.run_validation(batch.pk).status == BatchStatus.PREVIEWED  # what it runs

    page = client.get(reverse("exchange:batch", args=[batch.pk]))
    html = page.content.decode()
    assert "确认导入" in html
    assert "将变更" in html
    assert people[0].id_number not in html
    assert people[0].id_number_masked in html
    assert "第 1 / 2 页" in html  # 61 rows, 50 per page
    not_found = client.get(reverse("exchange:batch", args=[batch.pk]) + "?outcome=not_found")
    assert "110105********002X" in not_found.content.decode()

    response = client.post(reverse("exchange:commit", args=[batch.pk]))
    assert response["Location"] == reverse("exchange:reconciliation", args=[batch.pk])
    assert HouseholdStatus.objects.count() == 60
    html = client.get(response["Location"]).content.decode()
    assert "退出低保" in html
    assert "请核查是否停发" in html

    download = client.get(reverse("exchange:list", args=[batch.pk, "not_found"]))
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(filename=__import__("io").BytesIO(b"".join(download.streaming_content)))
    assert sheet.worksheets[0].max_row == 2
    assert AuditEntry.objects.filter(action="export", object_id=str(batch.pk)).exists()


def test_refused_upload_shows_the_reason_next_to_the_file(client, county_officer) -> None:
    client.force_login(county_officer)
    response = client.post(
        reverse("exchange:upload"),
        {
            "roster_type": "dibao",
            "file": SimpleUploadedFile("x.xls", b"\xd0\xcf\x11\xe0" + bytes(99)),
        },
    )
    assert response.status_code == 400  # refused, the reason beside the file
    assert "不支持旧版 .xls 文件" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_failed_batch_page_names_the_problem(client, county_officer) -> None:
    batch = stage(county_officer, "dibao", xlsx_bytes([["身份证号码", "姓名"], ["1", "2"]]))
    client.force_login(county_officer)
    html = client.get(reverse("exchange:batch", args=[batch.pk])).content.decode()
    assert "缺少必需的列：类别、起始日期" in html
    assert "确认导入" not in html


def test_batches_of_another_county_are_not_found(client, county_officer) -> None:
    batch = stage(county_officer, "dibao", xlsx_bytes([["身份证号码", "姓名"], ["1", "2"]]))
    client.force_login(make_user("county_officer", "150404"))
    assert client.get(reverse("exchange:batch", args=[batch.pk])).status_code == 404
    assert client.post(reverse("exchange:commit", args=[batch.pk])).status_code == 404
    client.force_login(make_user("city_admin", "150400"))
    assert client.get(reverse("exchange:batch", args=[batch.pk])).status_code == 200


def test_progress_json_and_validating_page(client, county_officer) -> None:
    batch = stage(county_officer, "dibao", xlsx_bytes([["身份证号码", "姓名"], ["1", "2"]]))
    ImportBatch.objects.filter(pk=batch.pk).update(
        status="validating", progress=40, rows_read=800, rows_total=2001, validation_run="r"
    )
    client.force_login(county_officer)
    assert client.get(reverse("exchange:progress", args=[batch.pk])).json() == {
        "status": "validating",
        "progress": 40,
        "rows_read": 800,
        "rows_total": 2001,
    }
    html = client.get(reverse("exchange:batch", args=[batch.pk])).content.decode()
    assert '<progress id="progress-bar" max="100" value="40">' in html
    assert "已完成 40%，已读 800 行，共 2001 行。" in html
    assert "刷新" in html
    assert "http-equiv" not in html
    assert "exchange/js/progress.js" in html


def test_list_pages_have_bounded_queries(
    client, county_officer, django_assert_max_num_queries
) -> None:
    people = [make_person(actor=county_officer, name=f"人员{i:02d}") for i in range(30)]
    content = xlsx_bytes(
        [HEADER] + [[p.id_number, "别名", "低保", "2023-01-05", None] for p in people]
    )
    batch = stage(county_officer, "dibao", content)
    for i in range(5):
        stage(
            county_officer,
            "pension",
            xlsx_bytes([["身份证号码", "姓名", "参保日期"], [str(i)] * 3]),
        )
    client.force_login(county_officer)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("exchange:batch", args=[batch.pk])).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("exchange:index")).status_code == 200
    from dpf.exchange import services

    twins = [make_person(actor=county_officer, name="同名", birth=D(1990, 1, 1)) for _ in range(6)]
    assert twins
    services.duplicates_find()
    assert DuplicateSuspect.objects.count() == 5
    with django_assert_max_num_queries(12):
        assert client.get(reverse("exchange:duplicates")).status_code == 200


def test_duplicate_resolution_through_the_page(client, county_officer) -> None:
    from dpf.exchange import services

    make_person(actor=county_officer, name="同名", birth=D(1990, 1, 1))
    make_person(actor=county_officer, name="同名", birth=D(1990, 1, 1))
    client.force_login(county_officer)
    client.post(reverse("exchange:duplicates_find"))
    suspect = DuplicateSuspect.objects.get()
    response = client.post(
        reverse("exchange:resolve", args=[suspect.pk]), {"resolution": "distinct"}
    )
    assert response.status_code == 302
    suspect.refresh_from_db()
    assert suspect.status == "distinct"
    assert services.duplicates_find() == 0


def test_export_form_requires_a_purpose_and_downloads(client, county_officer) -> None:
    client.force_login(county_officer)
    url = reverse("exchange:export")
    response = client.post(url, {"region": "150402", "as_of": "2025-12-31", "purpose": ""})
    assert response.status_code == 400
    assert "导出用途" in response.content.decode()
    assert not AuditEntry.objects.filter(action="export").exists()
    response = client.post(
        url, {"region": "150402", "as_of": "2025-12-31", "purpose": "年度核对名单"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert AuditEntry.objects.filter(action="export").count() == 1
    other = client.post(url, {"region": "150404", "as_of": "2025-12-31", "purpose": "越权导出"})
    assert other.status_code == 400
    assert "Content-Disposition" not in other


def test_pages_in_english(client, county_officer) -> None:
    client.force_login(county_officer)
    html = client.get(reverse("exchange:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Roster types and templates" in html
    assert "Dibao, tekun and dibao-edge household list" in html
    batch = stage(county_officer, "dibao", xlsx_bytes([["身份证号码", "姓名"], ["1", "2"]]))
    html = client.get(
        reverse("exchange:batch", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "The file cannot be imported" in html
    assert "required column(s) missing" in html
