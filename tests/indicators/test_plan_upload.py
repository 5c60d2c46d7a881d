"""The plan upload page: preview first, nothing written before confirmation or on error."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dpf.indicators import services
from dpf.indicators.models import Indicator, Plan
from dpf.indicators.plan_views import STAGE_KEY
from dpf.indicators.plandefs import MAX_PLAN_FILE_BYTES

pytestmark = pytest.mark.django_db

UPLOAD = reverse("indicators:plan_upload")
CONFIRM = reverse("indicators:plan_upload_confirm")


def _shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(services.PLAN_14TH.read_text(encoding="utf-8"))
    return data


def _fifteenth() -> dict[str, Any]:
    data = copy.deepcopy(_shipped())
    data.update(
        code="P15",
        name_zh="赤峰市“十五五”残疾人事业发展规划（测试）",
        name_en="Chifeng 15th Five-Year Plan (test)",
        start="2026-01-01",
        end="2030-12-31",
        mid_term="2028-12-31",
    )
    return data


def _file(data: Any, name: str = "plan.json") -> SimpleUploadedFile:
    raw = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    return SimpleUploadedFile(name, raw, content_type="application/json")


def _counts() -> tuple[int, int]:
    return Plan.objects.count(), Indicator.objects.count()


@pytest.fixture
def admin_client(client, city_admin):
    client.force_login(city_admin)
    return client


def test_good_upload_previews_then_creates_the_plan_on_confirmation(admin_client) -> None:
    data = _fifteenth()
    before = _counts()
    response = admin_client.post(UPLOAD, {"file": _file(data)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "P15" in html
    assert data["name_zh"] in html
    for item in data["indicators"]:
        assert item["code"] in html
    assert _counts() == before, "the preview writes nothing"
    token = admin_client.session[STAGE_KEY]["token"]
    assert token in html
    assert token not in response.request["PATH_INFO"]

    response = admin_client.post(CONFIRM, {"token": token, "action": "confirm"})
    assert response.status_code == 302
    assert response["Location"] == reverse("indicators:plans")
    plan = Plan.objects.get(code="P15")
    assert plan.indicators.count() == len(data["indicators"])
    assert STAGE_KEY not in admin_client.session
    # The list shows it; a second confirmation of the same token writes nothing more.
    assert "P15" in admin_client.get(reverse("indicators:plans")).content.decode()
    admin_client.post(CONFIRM, {"token": token, "action": "confirm"})
    assert Plan.objects.filter(code="P15").count() == 1


def _refused(admin_client, upload: SimpleUploadedFile) -> str:
    before = _counts()
    response = admin_client.post(UPLOAD, {"file": upload})
    assert response.status_code == 400
    assert _counts() == before
    assert STAGE_KEY not in admin_client.session
    assert "确认载入该规划" not in response.content.decode()
    return response.content.decode()


def test_a_filter_that_does_not_type_check_is_refused_with_code_and_field(admin_client) -> None:
    data = _fifteenth()
    data["indicators"][2]["numerator"] = {"persons": 'age >= "old"'}
    html = _refused(admin_client, _file(data))
    assert "indicators[3].numerator" in html
    assert "I03：numerator：规则有误" in html
    assert "I03: numerator: the rule is not valid" in html


def test_duplicate_codes_are_refused(admin_client) -> None:
    html = _refused(admin_client, _file(_shipped()))
    assert "该规划代码已存在" in html
    assert "a plan with this code exists" in html
    data = _fifteenth()
    data["indicators"][4]["code"] = "I04"
    html = _refused(admin_client, _file(data))
    assert "indicators[5].code" in html
    assert "I04: duplicate code" in html


@pytest.mark.parametrize(
    ("position", "target"),
    [(3, "120"), (1, "-5"), (10, "1e13"), (4, "abc"), (2, "1.005")],
)
def test_a_target_out_of_range_is_refused(admin_client, position: int, target: str) -> None:
    data = _fifteenth()
    data["indicators"][position]["target"] = target
    html = _refused(admin_client, _file(data))
    assert f"indicators[{position + 1}].target" in html
    assert data["indicators"][position]["code"] in html


def test_every_problem_is_listed_at_once(admin_client) -> None:
    data = _fifteenth()
    data["indicators"][0]["kind"] = "maybe"
    data["indicators"][5]["comparison"] = "~"
    data["indicators"][6]["denominator"] = {"persons": "no_such_fact == 1"}
    html = _refused(admin_client, _file(data))
    for field in ("indicators[1].kind", "indicators[6].comparison", "indicators[7].denominator"):
        assert field in html


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"code": "P15", "indicators": [', "文件不是有效的 JSON"),
        (b"[1, 2, 3]", "规划文件须是一个 JSON 对象"),
        ("规划".encode("gbk"), "文件不是 UTF-8 编码的文本"),
        (b" " * 10, "文件为空"),
    ],
)
def test_a_malformed_file_is_refused(admin_client, content: bytes, message: str) -> None:
    assert message in _refused(admin_client, _file(content))


def test_a_too_large_file_is_refused(admin_client) -> None:
    data = _fifteenth()
    data["indicators"][0]["note"] = "长" * MAX_PLAN_FILE_BYTES  # valid JSON, too big
    html = _refused(admin_client, _file(data))
    assert "文件过大" in html
    assert "too large" in html


def test_a_confirmation_without_its_preview_writes_nothing(admin_client) -> None:
    admin_client.post(UPLOAD, {"file": _file(_fifteenth())})
    before = _counts()
    response = admin_client.post(CONFIRM, {"token": "0" * 64, "action": "confirm"})
    assert response.status_code == 302
    assert response["Location"] == UPLOAD
    assert _counts() == before
    response = admin_client.post(
        CONFIRM, {"token": admin_client.session[STAGE_KEY]["token"], "action": "discard"}
    )
    assert _counts() == before
    assert STAGE_KEY not in admin_client.session


def test_template_download_is_the_shipped_plan(admin_client) -> None:
    response = admin_client.get(reverse("indicators:plan_template"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(b"".join(response.streaming_content)) == _shipped()


def test_a_county_officer_may_list_plans_but_not_upload(client, county_officer) -> None:
    client.force_login(county_officer)
    assert client.get(reverse("indicators:plans")).status_code == 200
    assert "上传规划定义文件" not in client.get(reverse("indicators:plans")).content.decode()
    before = _counts()
    for url in (UPLOAD, reverse("indicators:plan_template")):
        assert client.get(url).status_code == 404
    assert client.post(UPLOAD, {"file": _file(_fifteenth())}).status_code == 404
    assert client.post(CONFIRM, {"token": "x", "action": "confirm"}).status_code == 404
    assert _counts() == before


def test_anonymous_is_sent_to_login(client) -> None:
    response = client.get(UPLOAD)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
