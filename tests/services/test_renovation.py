"""Home accessibility renovation (issue 18 part 6, I11): assessment, plan of items, completion,
acceptance; a household counts once, in the year of acceptance; the plan's count stops at
its end; region scope on the services and the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.models import Region
from dpf.demo.service_more import completion_photo
from dpf.indicators import compute
from dpf.indicators.models import Indicator, Plan, Status
from dpf.indicators.selectors import drilldown_persons
from dpf.registry import services as registry
from dpf.services import services
from dpf.services.models import HomeRenovation, RenovationItem, RenovationPhoto
from tests.factories import make_person, make_user
from tests.services.conftest import Rehab, certified_person

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 1)
ITEMS = [("ramp", "入户坡道", Decimal("1200.00")), ("handrails", "", Decimal("800.50"))]
PHOTO = completion_photo((120, 160, 200))


def _accepted(
    rehab: Rehab,
    person,
    accepted_on: dt.date,
    *,
    assessed_on: dt.date | None = None,
    actor=None,
) -> HomeRenovation:
    start = assessed_on or accepted_on - dt.timedelta(days=30)
    actor = actor or rehab.officer
    r = services.renovation_assess(
        actor=actor,
        person_id=person.pk,
        assessed_on=start,
        assessment="入户台阶高，卫生间无扶手",
        today=TODAY,
    )
    services.renovation_plan_approve(
        actor=actor,
        renovation_id=r.pk,
        items=ITEMS,
        contractor="赤峰安居装饰公司",
        approved_on=start + dt.timedelta(days=5),
        today=TODAY,
    )
    services.renovation_complete(
        actor=actor,
        renovation_id=r.pk,
        completed_on=start + dt.timedelta(days=20),
        photos=[("ramp.png", PHOTO)],
        note="施工单位已清场",
        today=TODAY,
    )
    return services.renovation_accept(
        actor=actor, renovation_id=r.pk, accepted_on=accepted_on, today=TODAY
    )


def test_a_renovation_goes_from_assessment_to_acceptance(rehab: Rehab) -> None:
    r = _accepted(rehab, rehab.needy, dt.date(2025, 6, 30))
    assert r.accepted_on == dt.date(2025, 6, 30)
    assert r.household_id == rehab.needy.household_id
    assert sorted(RenovationItem.objects.filter(renovation=r).values_list("kind", "cost")) == [
        ("handrails", Decimal("800.50")),
        ("ramp", Decimal("1200.00")),
    ]
    from dpf.core.models import AuditEntry

    actions = list(
        AuditEntry.objects.filter(object_type="home_renovation", object_id=str(r.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "approve", "change", "approve"]


def test_accepting_before_the_plan_is_approved_is_refused(rehab: Rehab) -> None:
    r = services.renovation_assess(
        actor=rehab.officer,
        person_id=rehab.needy.pk,
        assessed_on=dt.date(2025, 5, 1),
        assessment="需改造",
        today=TODAY,
    )
    with pytest.raises(ValidationFailed) as info:
        services.renovation_accept(
            actor=rehab.officer, renovation_id=r.pk, accepted_on=dt.date(2025, 6, 1), today=TODAY
        )
    assert info.value.code == "not_completed"
    assert info.value.message_zh
    assert info.value.message_en
    with pytest.raises(ValidationFailed) as info:
        services.renovation_complete(
            actor=rehab.officer,
            renovation_id=r.pk,
            completed_on=dt.date(2025, 6, 1),
            photos=[("ramp.png", PHOTO)],
            today=TODAY,
        )
    assert info.value.code == "plan_not_approved"
    r.refresh_from_db()
    assert r.accepted_on is None
    assert r.completed_on is None


@pytest.mark.parametrize(
    ("items", "approved_on", "code"),
    [
        ([], dt.date(2025, 5, 2), "renovation_items"),
        ([("pool", "", Decimal(1))], dt.date(2025, 5, 2), "renovation_item_kind"),
        ([("ramp", "", Decimal(-1))], dt.date(2025, 5, 2), "renovation_item_cost"),
        (ITEMS, dt.date(2025, 4, 30), "approved_before_assessment"),
        (ITEMS, dt.date(2026, 3, 2), "date_in_future"),
    ],
)
def test_bad_plans_are_refused_and_nothing_written(rehab: Rehab, items, approved_on, code) -> None:
    r = services.renovation_assess(
        actor=rehab.officer,
        person_id=rehab.needy.pk,
        assessed_on=dt.date(2025, 5, 1),
        assessment="需改造",
        today=TODAY,
    )
    with pytest.raises(ValidationFailed) as info:
        services.renovation_plan_approve(
            actor=rehab.officer,
            renovation_id=r.pk,
            items=items,
            contractor="施工队",
            approved_on=approved_on,
            today=TODAY,
        )
    assert info.value.code == code
    assert not RenovationItem.objects.exists()
    r.refresh_from_db()
    assert r.approved_on is None


def test_a_household_is_renovated_and_counted_once(rehab: Rehab) -> None:
    _accepted(rehab, rehab.needy, dt.date(2025, 6, 30))
    # A second disabled member of the same household.
    member = make_person(name="王家人", household=rehab.needy.household)
    registry.certificate_issue(
        actor=None, person=member, category=4, level=2, issue_date=dt.date(2021, 6, 1)
    )
    with pytest.raises(ValidationFailed) as info:
        services.renovation_assess(
            actor=rehab.officer,
            person_id=member.pk,
            assessed_on=dt.date(2025, 9, 1),
            assessment="再次改造",
            today=TODAY,
        )
    assert info.value.code == "household_renovated"
    assert "2025-06-30" in info.value.message_zh
    assert "2025-06-30" in info.value.message_en
    assert HomeRenovation.objects.count() == 1


def test_an_uncertified_person_or_one_outside_the_region_is_refused(rehab: Rehab) -> None:
    plain = make_person(name="无证者")
    with pytest.raises(ValidationFailed) as info:
        services.renovation_assess(
            actor=rehab.officer,
            person_id=plain.pk,
            assessed_on=dt.date(2025, 5, 1),
            assessment="需改造",
            today=TODAY,
        )
    assert info.value.code == "not_certified"
    with pytest.raises(NotFound):  # the other county's person: as if unknown
        services.renovation_assess(
            actor=rehab.officer,
            person_id=rehab.elsewhere.pk,
            assessed_on=dt.date(2025, 5, 1),
            assessment="需改造",
            today=TODAY,
        )
    assert not HomeRenovation.objects.exists()


def test_scope_attack_on_another_countys_renovation(rehab: Rehab) -> None:
    """An officer of another county, a township officer (view only) and institution staff
    can neither write nor read a renovation of 红山区."""
    r = services.renovation_assess(
        actor=rehab.officer,
        person_id=rehab.needy.pk,
        assessed_on=dt.date(2025, 5, 1),
        assessment="需改造",
        today=TODAY,
    )
    other = make_user("county_officer", "150404")
    for actor in (other, make_user("township_officer", "150402001"), rehab.our_staff):
        with pytest.raises(PermissionRefused):
            services.renovation_plan_approve(
                actor=actor,
                renovation_id=r.pk,
                items=ITEMS,
                contractor="施工队",
                approved_on=dt.date(2025, 5, 2),
                today=TODAY,
            )
    client = Client()
    client.force_login(other)
    assert client.get(reverse("services:renovation", args=[r.pk])).status_code == 404
    assert "王康复" not in client.get(reverse("services:renovation_queue")).content.decode()
    r.refresh_from_db()
    assert r.approved_on is None


def _i11(as_of: dt.date) -> dict[str, compute.Result]:
    plan = Plan.objects.get(code="P14")
    return {r.region_code: r for r in compute.compute(plan, as_of) if r.indicator.code == "I11"}


def test_i11_counts_households_in_the_year_of_acceptance_until_the_plans_end(
    rehab: Rehab,
) -> None:
    _accepted(rehab, rehab.needy, dt.date(2022, 3, 1))
    _accepted(rehab, rehab.also_needy, dt.date(2025, 12, 31))
    _accepted(
        rehab, rehab.elsewhere, dt.date(2024, 7, 1), actor=make_user("county_officer", "150404")
    )
    late = certified_person(name="周迟到", rehab_need=False)
    _accepted(rehab, late, dt.date(2026, 1, 5), assessed_on=dt.date(2025, 11, 20))
    # Under way (not accepted): not counted.
    services.renovation_assess(
        actor=rehab.officer,
        person_id=rehab.no_need.pk,
        assessed_on=dt.date(2025, 5, 1),
        assessment="需改造",
        today=TODAY,
    )
    mid = _i11(dt.date(2023, 12, 31))
    assert mid["150402"].value == 1
    assert mid["150404"].value == 0
    assert mid["150400"].value == 1
    end = _i11(dt.date(2025, 12, 31))
    assert (end["150402"].value, end["150404"].value, end["150400"].value) == (2, 1, 3)
    # Accepted in 2026, after the plan's end: the plan's cumulative count stops at its end.
    after = _i11(dt.date(2026, 2, 28))
    assert after["150400"].value == 3
    # Counties have no target of their own in the shipped plan: no status, not "failing".
    assert end["150402"].target is None
    assert end["150402"].status == Status.NO_TARGET
    assert end["150400"].status == Status.NOT_ACHIEVED
    # The persons behind the figure (drill-down), for the same window.
    indicator = Indicator.objects.get(plan__code="P14", code="I11")
    county = Region.objects.get(code="150402")
    listed = drilldown_persons(rehab.officer, indicator, dt.date(2026, 2, 28), county, "numerator")
    assert sorted(p.pk for p in listed) == sorted([rehab.needy.pk, rehab.also_needy.pk])


@time_machine.travel(dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.UTC), tick=False)
def test_the_county_records_each_step_on_the_pages(rehab: Rehab) -> None:
    client = Client()
    client.force_login(rehab.officer)
    new = reverse("services:renovation_new", args=[rehab.needy.pk])
    assert client.get(new).status_code == 200
    created = client.post(new, {"assessed_on": "2025-05-01", "assessment": "卫生间无扶手"})
    assert created.status_code == 302
    r = HomeRenovation.objects.get()
    url = reverse("services:renovation", args=[r.pk])
    refused = client.post(
        url,
        {"action": "approve", "p-contractor": "施工队", "p-approved_on": "2025-04-01"},
    )
    assert refused.status_code == 400
    assert "改造方案须有1至20个项目" in refused.content.decode()
    approved = client.post(
        url,
        {
            "action": "approve",
            "p-contractor": "施工队",
            "p-approved_on": "2025-05-03",
            "p-cost_handrails": "650",
            "p-note_handrails": "卫生间两侧",
        },
    )
    assert approved.status_code == 302
    without = client.post(url, {"action": "complete", "c-completed_on": "2025-05-20"})
    assert without.status_code == 400
    assert "登记完工须上传至少一张完工照片" in without.content.decode()
    photo = SimpleUploadedFile("完工.png", PHOTO, content_type="image/png")
    done = client.post(
        url, {"action": "complete", "c-completed_on": "2025-05-20", "c-photos": [photo]}
    )
    assert done.status_code == 302
    early = client.post(url, {"action": "accept", "a-accepted_on": "2025-05-19"})
    assert early.status_code == 400
    assert client.post(url, {"action": "accept", "a-accepted_on": "2025-05-25"}).status_code == 302
    r.refresh_from_db()
    assert r.accepted_on == dt.date(2025, 5, 25)
    assert list(r.items.values_list("kind", "cost")) == [("handrails", Decimal("650.00"))]
    page = client.get(url).content.decode()
    assert "已验收" in page
    assert "卫生间两侧" in page


def test_the_queue_runs_in_constant_queries(rehab: Rehab) -> None:
    client = Client()
    client.force_login(rehab.officer)
    url = reverse("services:renovation_queue")
    services.renovation_assess(
        actor=rehab.officer,
        person_id=rehab.needy.pk,
        assessed_on=dt.date(2025, 5, 1),
        assessment="需改造",
        today=TODAY,
    )
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(4):
        person = certified_person(name=f"改造户{n}", rehab_need=False)
        services.renovation_assess(
            actor=rehab.officer,
            person_id=person.pk,
            assessed_on=dt.date(2025, 5, 1),
            assessment="需改造",
            today=TODAY,
        )
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert "改造户3" in page
    assert len(many) == len(few)


# --- completion photos ------------------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200)


def _approved(rehab: Rehab) -> HomeRenovation:
    r = services.renovation_assess(
        actor=rehab.officer,
        person_id=rehab.needy.pk,
        assessed_on=dt.date(2025, 5, 1),
        assessment="需改造",
        today=TODAY,
    )
    return services.renovation_plan_approve(
        actor=rehab.officer,
        renovation_id=r.pk,
        items=ITEMS,
        contractor="施工队",
        approved_on=dt.date(2025, 5, 3),
        today=TODAY,
    )


def _photo_files() -> list:
    from django.conf import settings

    folder = Path(settings.MEDIA_ROOT) / services.PHOTO_FOLDER
    return sorted(folder.iterdir()) if folder.exists() else []


def _nothing_completed(r: HomeRenovation) -> None:
    from dpf.core.models import AuditEntry

    r.refresh_from_db()
    assert r.completed_on is None
    assert r.completion_note == ""
    assert not RenovationPhoto.objects.exists()
    assert _photo_files() == [], "a refused photo was stored"
    assert not AuditEntry.objects.filter(
        object_type="home_renovation", object_id=str(r.pk), action="change"
    ).exists()


def test_a_completion_without_a_photo_is_refused_in_both_languages(rehab: Rehab) -> None:
    r = _approved(rehab)
    with pytest.raises(ValidationFailed) as info:
        services.renovation_complete(
            actor=rehab.officer,
            renovation_id=r.pk,
            completed_on=dt.date(2025, 6, 1),
            photos=[],
            note="已完工",
            today=TODAY,
        )
    assert info.value.code == "photos_required"
    assert info.value.field == "photos"
    assert "至少一张完工照片" in info.value.message_zh
    assert "at least one photo" in info.value.message_en
    _nothing_completed(r)


BIG = b"\x89PNG\r\n\x1a\n" + bytes(services.PHOTO_MAX_BYTES)


@pytest.mark.parametrize(
    ("photos", "code"),
    [
        ([("scan.pdf", b"%PDF-1.4\n%%EOF\n")], "document_type"),  # a document, not a photo
        ([("ramp.png", b"<html><script>alert(1)</script></html>")], "document_type"),
        ([("ramp.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>')], "document_type"),
        ([("ramp.jpg", PHOTO)], "document_mismatch"),  # a PNG calling itself a JPEG
        ([("ramp.png", b"")], "document_empty"),
        ([("ramp.png", BIG)], "document_too_large"),
        ([("ramp.png", PHOTO)] * (services.MAX_PHOTOS + 1), "too_many_photos"),
        ([("a.png", PHOTO), ("b.exe", b"MZ\x90\x00" + bytes(64))], "document_type"),
    ],
)
def test_photos_that_are_not_jpeg_or_png_by_content_are_refused(rehab: Rehab, photos, code) -> None:
    r = _approved(rehab)
    with pytest.raises(ValidationFailed) as info:
        services.renovation_complete(
            actor=rehab.officer,
            renovation_id=r.pk,
            completed_on=dt.date(2025, 6, 1),
            photos=photos,
            today=TODAY,
        )
    assert info.value.code == code
    assert info.value.message_zh
    assert info.value.message_en
    if code == "document_type":
        assert "JPEG或PNG" in info.value.message_zh
        assert "PDF" not in info.value.message_zh
    _nothing_completed(r)


def test_a_refusal_after_the_files_were_stored_leaves_no_file(rehab: Rehab) -> None:
    """Good photos, a bad date: the refusal comes after the files are checked and stored;
    they are removed again."""
    r = _approved(rehab)
    for day, code in (
        (dt.date(2025, 5, 2), "completed_before_approval"),
        (dt.date(2026, 3, 2), "date_in_future"),
    ):
        with pytest.raises(ValidationFailed) as info:
            services.renovation_complete(
                actor=rehab.officer,
                renovation_id=r.pk,
                completed_on=day,
                photos=[("a.png", PHOTO), ("b.jpg", JPEG)],
                today=TODAY,
            )
        assert info.value.code == code
        _nothing_completed(r)


def test_photos_are_stored_encrypted_listed_and_served_audited(rehab: Rehab) -> None:
    from dpf.core.models import AuditEntry

    r = _approved(rehab)
    services.renovation_complete(
        actor=rehab.officer,
        renovation_id=r.pk,
        completed_on=dt.date(2025, 6, 1),
        photos=[("坡道.png", PHOTO), ("扶手.jpeg", JPEG)],
        note="施工单位已清场",
        today=TODAY,
    )
    photos = list(RenovationPhoto.objects.filter(renovation=r).order_by("number"))
    assert [(p.number, p.content_type, p.original_name) for p in photos] == [
        (1, "image/png", "坡道.png"),
        (2, "image/jpeg", "扶手.jpeg"),
    ]
    files = _photo_files()
    assert len(files) == 2
    for f in files:  # encrypted at rest: neither photo's bytes are on disk
        assert PHOTO not in f.read_bytes()
        assert f.read_bytes()[:3] != JPEG[:3]
    client = Client()
    client.force_login(make_user("township_officer", "150402001"))  # view only, in scope
    page = client.get(reverse("services:renovation", args=[r.pk])).content.decode()
    first = reverse("services:renovation_photo", args=[r.pk, 1])
    assert first in page
    assert reverse("services:renovation_photo", args=[r.pk, 2]) in page
    assert photos[0].stored_name not in page
    response = client.get(first)
    assert response.status_code == 200
    assert response.getvalue() == PHOTO
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert photos[0].stored_name not in response["Content-Disposition"]
    seen = AuditEntry.objects.filter(
        action="view", object_type="home_renovation", object_id=str(r.pk)
    ).last()
    assert seen is not None
    assert seen.changes == {"photo": 1}
    assert client.get(reverse("services:renovation_photo", args=[r.pk, 3])).status_code == 404


def test_a_completion_recorded_before_photos_keeps_its_note_as_a_legacy_note(
    rehab: Rehab,
) -> None:
    """Completions recorded before uploads existed kept the photos' references as text:
    the note stays, shown as what it is; no photo is invented for them."""
    r = _approved(rehab)
    HomeRenovation.objects.filter(pk=r.pk).update(
        completed_on=dt.date(2025, 6, 1), completion_note="照片编号 HS-0601-1至3"
    )
    client = Client()
    client.force_login(rehab.officer)
    page = client.get(reverse("services:renovation", args=[r.pk])).content.decode()
    assert "完工说明（照片上传功能启用前的记录）" in page
    assert "照片编号 HS-0601-1至3" in page
    assert "没有完工照片" in page


@time_machine.travel(dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.UTC), tick=False)
def test_the_completion_form_says_what_it_takes(rehab: Rehab) -> None:
    """A file input with a label, the accepted types and sizes as its hint (linked to it),
    several files at once without script; the form posts as multipart."""
    r = _approved(rehab)
    client = Client()
    client.force_login(rehab.officer)
    page = client.get(reverse("services:renovation", args=[r.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert '<label for="id_c-photos">' in page
    assert 'aria-describedby="id_c-photos_helptext"' in page
    assert 'id="id_c-photos_helptext"' in page
    assert "JPEG或PNG格式" in page
    assert f"1至{services.MAX_PHOTOS}张" in page
    assert "multiple" in page.split('id="id_c-photos"')[0].rsplit("<input", 1)[1]
    assert 'accept="image/jpeg,image/png,.jpg,.jpeg,.png"' in page
    hostile = SimpleUploadedFile("照片.png", b"<svg onload=alert(1)>", content_type="image/png")
    refused = client.post(
        reverse("services:renovation", args=[r.pk]),
        {"action": "complete", "c-completed_on": "2025-05-20", "c-photos": [hostile]},
    )
    assert refused.status_code == 400
    assert "只接受JPEG或PNG文件（按文件内容判断）" in refused.content.decode()
    _nothing_completed(r)
