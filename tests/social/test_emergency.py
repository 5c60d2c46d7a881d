"""Emergency priority lists: who is on the list and why, masked on screen, full in the
export only with a stated purpose (audited); another county's village or a county (not a
township or village) is "not found"; the pages and the export by role."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry
from dpf.registry import services as registry
from dpf.registry.models import GuardianLink, NeedsSurvey
from dpf.social import emergency
from dpf.social.models import EmergencyNeed
from tests.factories import ensure_test_regions, make_person, make_user

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 5, 10)
VILLAGE = "150402001001"
TOWNSHIP = "150402001"
ON_TODAY = time_machine.travel(dt.datetime(2026, 5, 10, 10, 0, tzinfo=dt.UTC), tick=False)


def certified(
    *, level: int = 4, birth: dt.date = dt.date(1980, 5, 17), household: Any = None, **kw: Any
) -> Any:
    person = make_person(birth=birth, household=household, **kw)
    registry.certificate_issue(
        actor=None,
        person=person,
        category=4,
        level=level,
        issue_date=dt.date(2020, 1, 1),
        today=ON,
    )
    return person


@pytest.fixture
def world() -> dict[str, Any]:
    ensure_test_regions()
    home = registry.household_create(
        actor=None, village_code=VILLAGE, address="测试街道一幸福路8号"
    )
    severe = certified(level=1, name="王一级", phone="13812345678", household=home)
    # A relative in the same household: severe is not living alone; mild, adult, not alone.
    mild = certified(level=4, name="李四级", household=home)
    alone = certified(level=3, name="赵独居", village_code="150402001002")
    child = certified(level=4, name="钱小童", birth=dt.date(2015, 3, 1), household=home)
    powered = certified(level=4, name="孙用电", household=home)
    EmergencyNeed.objects.create(person=powered, powered_device="oxygen", recorded_on=ON)
    cared = certified(level=4, name="周照护", household=home)
    NeedsSurvey.objects.create(
        person=cared, year=2026, survey_date=dt.date(2026, 3, 1), long_term_care_need=True
    )
    guardian = make_person(name="吴监护", phone="13900001111", household=home)
    GuardianLink.objects.create(
        guardian=guardian, dependant=child, relation="parent", valid_from=dt.date(2015, 3, 1)
    )
    uncertified = make_person(name="郑无证", village_code="150402001002")
    other_county = certified(level=1, name="冯外旗", village_code="150404002001")
    return {
        "severe": severe,
        "mild": mild,
        "alone": alone,
        "child": child,
        "powered": powered,
        "cared": cared,
        "uncertified": uncertified,
        "other_county": other_county,
    }


def test_the_list_names_each_reason_and_leaves_the_others_out(world: dict[str, Any]) -> None:
    officer = make_user("township_officer", TOWNSHIP)
    region, rows = emergency.emergency_list(actor=officer, region_code=TOWNSHIP, on=ON)
    by_name = {r.name: r.reasons for r in rows}
    assert region.code == TOWNSHIP
    assert by_name == {
        "王一级": ("severe",),
        "赵独居": ("alone",),
        "钱小童": ("child",),
        "孙用电": ("power",),
        "周照护": ("bedridden",),
    }
    child = next(r for r in rows if r.name == "钱小童")
    assert (child.guardian, child.guardian_relation) == ("吴监护", "父母")
    # Masked on the screen.
    severe = next(r for r in rows if r.name == "王一级")
    assert severe.phone == "138****5678"
    assert "幸福路8号" not in severe.address
    assert "13900001111" not in child.guardian_phone


def test_more_reasons_come_first(world: dict[str, Any]) -> None:
    EmergencyNeed.objects.create(
        person=world["alone"], bedridden=True, powered_device="ventilator", recorded_on=ON
    )
    officer = make_user("village_worker", "150402001002")
    _region, rows = emergency.emergency_list(actor=officer, region_code="150402001002", on=ON)
    assert [r.name for r in rows] == ["赵独居"]
    assert rows[0].reasons == ("alone", "bedridden", "power")
    officer = make_user("township_officer", TOWNSHIP)
    _region, rows = emergency.emergency_list(actor=officer, region_code=TOWNSHIP, on=ON)
    assert rows[0].name == "赵独居"


def test_the_export_holds_the_full_values_and_is_audited(world: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    officer = make_user("county_officer", "150402")
    name, content, count = emergency.emergency_export(
        actor=officer, region_code=TOWNSHIP, on=ON, purpose="防汛转移演练", fmt="xlsx"
    )
    assert name == f"emergency-{TOWNSHIP}-2026-05-10.xlsx"
    assert count == 5
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    severe = next(v for v in values if v[1] == "王一级")
    assert severe[4] == "测试街道一幸福路8号"
    assert severe[5] == "13812345678"
    child = next(v for v in values if v[1] == "钱小童")
    assert child[12] == "13900001111"
    entry = AuditEntry.objects.get(action="export", object_type="emergency_list")
    assert entry.reason == "防汛转移演练"
    assert entry.object_id == TOWNSHIP
    assert entry.changes["rows"] == 5
    assert "13812345678" not in str(entry.changes)


def test_the_pdf_is_printed_in_large_type(world: dict[str, Any]) -> None:
    officer = make_user("township_officer", TOWNSHIP)
    name, content, count = emergency.emergency_export(
        actor=officer, region_code=VILLAGE, on=ON, purpose="疫情期间上门送药", fmt="pdf"
    )
    assert name.endswith(".pdf")
    assert content.startswith(b"%PDF")
    assert count == 4
    entry = AuditEntry.objects.get(action="export", object_type="emergency_list")
    assert (entry.object_id, entry.reason, entry.changes["format"]) == (
        VILLAGE,
        "疫情期间上门送药",
        "pdf",
    )
    html = emergency.render_to_string(
        "social/emergency_pdf.html",
        {"region": None, "rows": [], "on": ON, "purpose": "x", "reasons": emergency.REASONS},
    )
    assert "font-size: 16pt" in html


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
@pytest.mark.parametrize("purpose", ["", "  ", "导出"])
def test_an_export_without_a_purpose_is_refused_and_not_audited(
    world: dict[str, Any], purpose: str, fmt: str
) -> None:
    officer = make_user("county_officer", "150402")
    with pytest.raises(ValidationFailed) as refused:
        emergency.emergency_export(
            actor=officer, region_code=TOWNSHIP, on=ON, purpose=purpose, fmt=fmt
        )
    assert refused.value.code == "purpose_required"
    assert refused.value.message_zh
    assert refused.value.message_en
    assert not AuditEntry.objects.filter(action="export").exists()


@pytest.mark.parametrize(
    ("role", "home", "asked"),
    [
        ("county_officer", "150404", TOWNSHIP),  # another county's township
        ("township_officer", "150404002", VILLAGE),  # another county's village
        ("village_worker", "150402001002", VILLAGE),  # the next village
        ("county_officer", "150402", "150402"),  # a county: not a list's region
        ("county_officer", "150402", "150402001999"),  # no such village
    ],
)
def test_a_region_outside_the_scope_is_not_found(
    world: dict[str, Any], role: str, home: str, asked: str
) -> None:
    officer = make_user(role, home)
    with pytest.raises(PermissionRefused):
        emergency.emergency_list(actor=officer, region_code=asked, on=ON)
    for fmt in ("pdf", "xlsx"):
        with pytest.raises(PermissionRefused):
            emergency.emergency_export(
                actor=officer, region_code=asked, on=ON, purpose="防汛转移演练", fmt=fmt
            )
    assert not AuditEntry.objects.filter(action="export").exists()


@pytest.mark.parametrize("role", ["volunteer", "citizen", "viewer", "institution_staff"])
def test_other_roles_get_nothing(world: dict[str, Any], role: str) -> None:
    user = make_user(role, TOWNSHIP)
    with pytest.raises(PermissionRefused):
        emergency.emergency_list(actor=user, region_code=TOWNSHIP, on=ON)
    with pytest.raises(PermissionRefused):
        emergency.emergency_export(
            actor=user, region_code=TOWNSHIP, on=ON, purpose="防汛转移演练", fmt="xlsx"
        )


def test_recording_a_need_is_scoped_and_audited(world: dict[str, Any]) -> None:
    worker = make_user("village_worker", VILLAGE)
    need = emergency.emergency_need_set(
        actor=worker, person_id=world["mild"].pk, bedridden=True, powered_device="", on=ON
    )
    assert need.bedridden
    assert need.recorded_by == worker
    assert AuditEntry.objects.filter(object_type="emergency_need", action="change").count() == 1
    with pytest.raises(PermissionRefused):
        emergency.emergency_need_set(
            actor=worker, person_id=world["alone"].pk, bedridden=True, powered_device="", on=ON
        )
    with pytest.raises(ValidationFailed):
        emergency.emergency_need_set(
            actor=worker, person_id=world["mild"].pk, bedridden=True, powered_device="x", on=ON
        )


# --- the page --------------------------------------------------------------------------------


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@ON_TODAY
def test_the_page_shows_the_masked_list_and_exports_with_a_purpose(world: dict[str, Any]) -> None:
    client = _client(make_user("township_officer", TOWNSHIP))
    url = reverse("social:emergency")
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "王一级" in text
    assert "138****5678" in text
    assert "13812345678" not in text
    assert "幸福路8号" not in text
    refused = client.post(
        url, {"action": "export", "region": TOWNSHIP, "purpose": "", "fmt": "xlsx"}
    )
    assert refused.status_code == 400
    assert "error-summary" in refused.content.decode()
    done = client.post(
        url, {"action": "export", "region": TOWNSHIP, "purpose": "防汛转移演练", "fmt": "xlsx"}
    )
    assert done.status_code == 200
    assert done["Content-Disposition"].startswith("attachment;")
    assert done["Cache-Control"] == "no-store"
    assert AuditEntry.objects.filter(action="export", object_type="emergency_list").count() == 1


@ON_TODAY
def test_the_page_answers_404_for_another_county(world: dict[str, Any]) -> None:
    client = _client(make_user("county_officer", "150404"))
    url = reverse("social:emergency")
    assert client.get(url, {"region": TOWNSHIP}).status_code == 404
    posted = client.post(
        url, {"action": "export", "region": TOWNSHIP, "purpose": "防汛转移演练", "fmt": "xlsx"}
    )
    assert posted.status_code == 404
    assert not AuditEntry.objects.filter(action="export").exists()
    # Its own townships are offered, not the other county's.
    page = client.get(url).content.decode()
    assert "150404002" in page
    assert TOWNSHIP not in page


@ON_TODAY
@pytest.mark.parametrize("role", ["volunteer", "citizen", "viewer"])
def test_the_page_is_closed_to_other_roles(role: str) -> None:
    client = _client(make_user(role, TOWNSHIP))
    assert client.get(reverse("social:emergency")).status_code in (403, 404)


@ON_TODAY
def test_a_worker_records_a_powered_device_on_the_page(world: dict[str, Any]) -> None:
    client = _client(make_user("village_worker", VILLAGE))
    url = reverse("social:emergency")
    mild = world["mild"]
    unknown = client.post(
        url,
        {"action": "need", "region": VILLAGE, "n-id_number": world["alone"].id_number},
    )
    assert unknown.status_code == 400  # the next village's person: not found here
    assert not EmergencyNeed.objects.filter(person=world["alone"]).exists()
    done = client.post(
        url,
        {
            "action": "need",
            "region": VILLAGE,
            "n-id_number": mild.id_number,
            "n-powered_device": "ventilator",
        },
    )
    assert done.status_code == 302
    need = EmergencyNeed.objects.get(person=mild)
    assert (need.powered_device, need.bedridden, need.recorded_on) == ("ventilator", False, ON)
    page = client.get(done["Location"]).content.decode()
    assert "李四级" in page
    assert "呼吸机" in page
