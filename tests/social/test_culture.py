"""Culture and sport activities: an activity of a county in the actor's region; its
participants named by ID number, persons of the registry within the actor's region, once
per activity and only once held; participation counts (人次) by the participant's county for
the year; another county's activity and persons are not found; the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry
from dpf.social import culture
from dpf.social.models import ActivityParticipation, CultureActivity
from tests.factories import ensure_test_regions, make_person, make_user

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 9, 30)


@pytest.fixture
def officer() -> Any:
    ensure_test_regions()
    return make_user("county_officer", "150402")


def activity(actor: Any, **kw: Any) -> CultureActivity:
    values: dict[str, Any] = {
        "actor": actor,
        "today": TODAY,
        "title": "全国助残日文艺汇演",
        "kind": "art",
        "held_on": dt.date(2025, 5, 18),
        "place": "红山区文化馆",
        "county_code": "150402",
    }
    values.update(kw)
    return culture.activity_create(**values)


def test_participants_and_counts_by_county(officer: Any) -> None:
    city = make_user("city_admin", "150400")
    first = activity(officer)
    second = activity(officer, title="特奥运动会", kind="competition", held_on=dt.date(2025, 8, 8))
    last_year = activity(officer, title="读书会", kind="reading", held_on=dt.date(2024, 4, 23))
    a = make_person(name="赵文", village_code="150402001001")
    b = make_person(name="钱体", village_code="150402001002")
    c = make_person(name="孙乙", village_code="150404002001")
    for event in (first, second):
        culture.participant_add(
            actor=officer, activity_id=event.pk, id_number=a.id_number, today=TODAY
        )
    culture.participant_add(actor=officer, activity_id=first.pk, id_number=b.id_number, today=TODAY)
    culture.participant_add(
        actor=officer, activity_id=last_year.pk, id_number=b.id_number, today=TODAY
    )
    # The city records a participant of the other county at the county's activity.
    culture.participant_add(actor=city, activity_id=second.pk, id_number=c.id_number, today=TODAY)
    with pytest.raises(ValidationFailed) as twice:
        culture.participant_add(
            actor=officer, activity_id=first.pk, id_number=a.id_number, today=TODAY
        )
    assert twice.value.code == "participant_twice"
    assert twice.value.message_en
    assert ActivityParticipation.objects.count() == 5
    rows = {
        r["county_code"]: (r["times"], r["persons"], r["activities"])
        for r in culture.participation_by_county(city, year=2025)
    }
    assert rows == {"150402": (3, 2, 2), "150404": (1, 1, 1)}
    own = culture.participation_by_county(officer, year=2025)
    assert [(r["county_code"], r["times"]) for r in own] == [("150402", 3)]
    assert [
        (r["county_code"], r["times"]) for r in culture.participation_by_county(officer, year=2024)
    ] == [("150402", 1)]
    by_township = culture.participation_by_township(dt.date(2025, 12, 31), None)
    assert by_township == {"150402001": 3, "150404002": 1}
    plan = culture.participation_by_township(dt.date(2025, 12, 31), dt.date(2021, 1, 1))
    assert plan == {"150402001": 4, "150404002": 1}
    listed: list[Any] = list(culture.activities(officer, year=2025))  # annotated
    assert [x.participants for x in listed] == [2, 2]


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"kind": "dance"}, "kind"),
        ({"county_code": "150404"}, "region"),
        ({"county_code": "150402001"}, "region"),
        ({"title": ""}, "required"),
        ({"place": " "}, "required"),
        ({"held_on": dt.date(2027, 1, 1)}, "held_on"),
    ],
)
def test_bad_activities_refused(officer: Any, kw: dict[str, Any], code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        activity(officer, **kw)
    assert refused.value.code == code
    assert refused.value.message_zh
    assert refused.value.message_en
    assert not CultureActivity.objects.exists()


def test_bad_participants_refused(officer: Any) -> None:
    held = activity(officer)
    coming = activity(officer, held_on=dt.date(2025, 12, 3))
    other = make_person(name="外县人", village_code="150404002001")
    for activity_id, number, code in (
        (held.pk, other.id_number, "person"),  # another county's person: not found
        (coming.pk, make_person(name="李未").id_number, "not_held_yet"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            culture.participant_add(
                actor=officer, activity_id=activity_id, id_number=number, today=TODAY
            )
        assert refused.value.code == code
        assert refused.value.message_en
    with pytest.raises(ValidationFailed):
        culture.participant_add(actor=officer, activity_id=held.pk, id_number="123", today=TODAY)
    assert not ActivityParticipation.objects.exists()


def test_scope_attacks(officer: Any) -> None:
    own = activity(officer)
    person = make_person(name="周参")
    outsider = make_user("county_officer", "150404")
    with pytest.raises(PermissionRefused):
        culture.activity_for(outsider, own.pk)
    with pytest.raises(PermissionRefused):
        culture.participant_add(
            actor=outsider, activity_id=own.pk, id_number=person.id_number, today=TODAY
        )
    assert culture.participation_by_county(outsider, year=2025) == []
    for role in ("township_officer", "village_worker", "volunteer", "viewer", "citizen"):
        user = make_user(role, "150402001")
        with pytest.raises(PermissionRefused):
            culture.activities(user)
        with pytest.raises(PermissionRefused):
            culture.participation_by_county(user, year=2025)
    assert not ActivityParticipation.objects.exists()


def test_audited(officer: Any) -> None:
    own = activity(officer)
    person = make_person(name="吴记")
    culture.participant_add(
        actor=officer, activity_id=own.pk, id_number=person.id_number, today=TODAY
    )
    entries = AuditEntry.objects.filter(object_type="culture_activity", object_id=str(own.pk))
    assert sorted(e.action for e in entries) == ["change", "create"]
    assert entries.get(action="change").changes == {"participant": person.pk}


def test_the_pages(officer: Any) -> None:
    client = Client()
    client.force_login(officer)
    url = reverse("social:activities")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"title": "x"})
    assert bad.status_code == 400
    assert not CultureActivity.objects.exists()
    done = client.post(
        url,
        {
            "title": "轮椅篮球赛",
            "kind": "competition",
            "held_on": "2024-06-01",
            "place": "体育馆",
            "county_code": "150402",
        },
    )
    assert done.status_code == 302
    person = make_person(name="郑球")
    added = client.post(done["Location"], {"id_number": person.id_number})
    assert added.status_code == 302
    page = client.get(done["Location"]).content.decode()
    assert "郑球" in page
    assert person.id_number not in page
    again = client.post(done["Location"], {"id_number": person.id_number})
    assert again.status_code == 400
    assert "已登记参加" in again.content.decode()
    listed = client.get(url, {"year": "2024"}).content.decode()
    assert "轮椅篮球赛" in listed
    other = Client()
    other.force_login(make_user("county_officer", "150404"))
    assert other.get(done["Location"]).status_code == 404
    assert "轮椅篮球赛" not in other.get(url, {"year": "2024"}).content.decode()
