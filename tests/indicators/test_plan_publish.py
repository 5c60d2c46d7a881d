"""An uploaded plan is a draft: what users see by default does not change until the city
admin publishes it (issue 17 part 7)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry
from dpf.indicators import services
from dpf.indicators.models import Plan
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _fifteenth() -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(json.loads(services.PLAN_14TH.read_text(encoding="utf-8")))
    data.update(
        code="P15",
        name_zh="赤峰市“十五五”残疾人事业发展规划（测试）",
        name_en="Chifeng 15th Five-Year Plan (test)",
        start="2026-01-01",
        end="2030-12-31",
        mid_term="2028-12-31",
    )
    return data


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client: Client) -> None:
    raw = json.dumps(_fifteenth(), ensure_ascii=False).encode()
    client.post(
        reverse("indicators:plan_upload"),
        {"file": SimpleUploadedFile("p15.json", raw, content_type="application/json")},
    )
    token = client.session["indicators_plan_upload"]["token"]
    client.post(reverse("indicators:plan_upload_confirm"), {"token": token, "action": "confirm"})


def test_an_uploaded_plan_is_a_draft_until_published(regions, city_admin) -> None:
    admin = _client(city_admin)
    _upload(admin)
    plan = Plan.objects.get(code="P15")
    assert plan.published_at is None  # a newer plan (2026-) than P14, but a draft
    viewer = _client(make_user("viewer", "150400"))
    officer = _client(make_user("county_officer", "150402"))
    for client in (viewer, officer, admin):
        page = client.get(reverse("indicators:dashboard"))
        assert page.context["plan"].code == "P14"  # the default is the published plan
    for client in (viewer, officer):
        assert "P15" not in [
            p.code for p in client.get(reverse("indicators:dashboard")).context["plans"]
        ]
        assert client.get(reverse("indicators:dashboard") + "?plan=P15").status_code == 404
        assert "P15" not in client.get(reverse("indicators:plans")).content.decode()
    # The city admin may open the draft by its code, and sees it marked on the plans page.
    assert admin.get(reverse("indicators:dashboard") + "?plan=P15").context["plan"].code == "P15"
    plans = admin.get(reverse("indicators:plans")).content.decode()
    assert "草稿（未发布）" in plans
    # A county officer cannot publish; nothing changes.
    assert officer.post(reverse("indicators:plans"), {"plan": "P15"}).status_code in (403, 404)
    assert Plan.objects.get(code="P15").published_at is None
    # Published: the default of every page moves to it.
    response = admin.post(reverse("indicators:plans"), {"plan": "P15"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.published_at is not None
    assert plan.published_by == city_admin
    assert viewer.get(reverse("indicators:dashboard")).context["plan"].code == "P15"
    assert AuditEntry.objects.filter(
        object_type="plan", object_id="P15", action="change", actor=city_admin
    ).exists()


def test_publishing_twice_or_an_unknown_plan_is_refused(regions, city_admin) -> None:
    with pytest.raises(ValidationFailed) as twice:
        services.plan_publish(actor=city_admin, code="P14")  # shipped: published
    assert twice.value.code == "already_published"
    with pytest.raises(ValidationFailed) as unknown:
        services.plan_publish(actor=city_admin, code="P99")
    assert unknown.value.code == "unknown_plan"


def test_the_command_line_and_the_shipped_plan_are_published(regions) -> None:
    assert Plan.objects.get(code="P14").published_at is not None
    plan = services.plan_load(actor=None, data=_fifteenth())
    assert plan.published_at is not None
