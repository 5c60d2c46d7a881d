"""Volunteers: registration with consent, teams, events, sign-up (once, within capacity,
before the start), attendance and hours, persons served; a volunteer account sees only its
own events with names and the meeting place, never ID numbers, phones or benefits; T0506 and
T0507 counted on a date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry
from dpf.social import counters, volunteers
from dpf.social.models import EventSignup, Volunteer
from tests.factories import ensure_test_regions, make_person, make_user, new_id_number

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 5, 10)
TOWNSHIP = "150402001"
VILLAGE = "150402001001"
ZONE = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 5, 10, 9, 0, tzinfo=ZONE)


@pytest.fixture
def officer() -> Any:
    ensure_test_regions()
    return make_user("township_officer", TOWNSHIP)


def register(officer: Any, *, team: Any = None, name: str = "李志愿", **kw: Any) -> Volunteer:
    values: dict[str, Any] = {
        "actor": officer,
        "name": name,
        "id_number": new_id_number("150402", dt.date(1995, 1, 2)),
        "phone": "13700001234",
        "village_code": VILLAGE,
        "consent": True,
        "team_id": team.pk if team else None,
        "today": TODAY,
    }
    values.update(kw)
    return volunteers.volunteer_register(**values)


def account(officer: Any, volunteer: Volunteer) -> Any:
    user, password = volunteers.volunteer_account_open(
        actor=officer, volunteer_id=volunteer.pk, username=f"vol{volunteer.pk}x"
    )
    assert password
    assert user.must_change_password
    return user


def event(officer: Any, team: Any = None, capacity: int = 2) -> Any:
    return volunteers.event_create(
        actor=officer,
        title="助残日上门理发",
        township_code=TOWNSHIP,
        meeting_place="测试街道一残联门口",
        starts_at=NOW + dt.timedelta(days=3),
        ends_at=NOW + dt.timedelta(days=3, hours=4),
        capacity=capacity,
        team_id=team.pk if team else None,
    )


def test_registration_needs_consent_and_a_unique_id_number(officer: Any) -> None:
    with pytest.raises(ValidationFailed) as refused:
        register(officer, consent=False)
    assert refused.value.code == "consent_required"
    assert refused.value.message_en
    assert not Volunteer.objects.exists()
    number = new_id_number("150402", dt.date(1990, 3, 3))
    first = register(officer, id_number=number)
    assert first.consent_on == TODAY
    assert first.id_number == number
    assert first.id_number_masked != number
    with pytest.raises(ValidationFailed) as twice:
        register(officer, id_number=number, name="王重复")
    assert twice.value.code == "volunteer_registered"
    assert Volunteer.objects.count() == 1
    entry = AuditEntry.objects.get(object_type="volunteer", action="create")
    assert number not in str(entry.changes)


def test_another_region_is_refused(officer: Any) -> None:
    with pytest.raises(ValidationFailed):
        register(officer, village_code="150404002001")
    other = make_user("county_officer", "150404")
    volunteer = register(officer)
    assert not volunteers.volunteers(other).filter(pk=volunteer.pk).exists()
    with pytest.raises(PermissionRefused):
        volunteers.volunteer_account_open(actor=other, volunteer_id=volunteer.pk, username="abcd")
    with pytest.raises(PermissionRefused):
        register(make_user("village_worker", VILLAGE))


def test_sign_up_once_within_capacity_before_the_start(officer: Any) -> None:
    team = volunteers.team_create(
        actor=officer, name="红山助残服务队", township_code=TOWNSHIP, founded_on=TODAY
    )
    users = [account(officer, register(officer, team=team, name=f"志愿{i}")) for i in range(3)]
    current = event(officer, team, capacity=2)
    volunteers.event_signup(actor=users[0], event_id=current.pk, now=NOW)
    with pytest.raises(ValidationFailed) as twice:
        volunteers.event_signup(actor=users[0], event_id=current.pk, now=NOW)
    assert twice.value.code == "already_signed_up"
    assert twice.value.message_zh
    volunteers.event_signup(actor=users[1], event_id=current.pk, now=NOW)
    with pytest.raises(ValidationFailed) as full:
        volunteers.event_signup(actor=users[2], event_id=current.pk, now=NOW)
    assert full.value.code == "event_full"
    assert EventSignup.objects.filter(event=current).count() == 2
    later = event(officer, team, capacity=5)
    with pytest.raises(ValidationFailed) as started:
        volunteers.event_signup(actor=users[2], event_id=later.pk, now=later.starts_at)
    assert started.value.code == "event_started"


def test_attendance_hours_and_what_the_volunteer_sees(officer: Any) -> None:
    team = volunteers.team_create(
        actor=officer, name="红山助残服务队", township_code=TOWNSHIP, founded_on=TODAY
    )
    volunteer = register(officer, team=team)
    user = account(officer, volunteer)
    current = event(officer, team)
    signup = volunteers.event_signup(actor=user, event_id=current.pk, now=NOW)
    served = make_person(name="周受助", phone="13955556666")
    volunteers.served_add(actor=officer, event_id=current.pk, id_number=served.id_number)
    with pytest.raises(ValidationFailed) as bad:
        volunteers.attendance_record(
            actor=officer, event_id=current.pk, signup_id=signup.pk, attended=True, hours="25"
        )
    assert bad.value.code == "hours"
    volunteers.attendance_record(
        actor=officer, event_id=current.pk, signup_id=signup.pk, attended=True, hours="3.5"
    )
    seen = volunteers.my_events(actor=user)
    assert len(seen) == 1
    mine = seen[0]
    assert (mine.title, mine.meeting_place, mine.signed_up) == (
        "助残日上门理发",
        "测试街道一残联门口",
        True,
    )
    assert mine.served_names == ("周受助",)
    assert str(mine.hours) == "3.5"
    shown = repr(mine)
    for secret in (served.id_number, served.id_number_masked, "13955556666"):
        assert secret not in shown


def test_a_volunteer_sees_only_its_own_events(officer: Any) -> None:
    team = volunteers.team_create(
        actor=officer, name="一队", township_code=TOWNSHIP, founded_on=TODAY
    )
    other_team = volunteers.team_create(
        actor=officer, name="二队", township_code=TOWNSHIP, founded_on=TODAY
    )
    user = account(officer, register(officer, team=team))
    own = event(officer, team)
    foreign = event(officer, other_team)
    assert [e.event_id for e in volunteers.my_events(actor=user)] == [own.pk]
    with pytest.raises(PermissionRefused):
        volunteers.event_signup(actor=user, event_id=foreign.pk, now=NOW)
    # Staff functions are closed to a volunteer account.
    for call in (
        lambda: volunteers.volunteers(user),
        lambda: volunteers.event_for(user, own.pk),
        lambda: volunteers.served_add(actor=user, event_id=own.pk, id_number="x"),
    ):
        with pytest.raises(PermissionRefused):
            call()
    # A staff account has no volunteer events of its own.
    with pytest.raises(PermissionRefused):
        volunteers.my_events(actor=officer)


def test_t0506_and_t0507_count_on_the_date(officer: Any) -> None:
    volunteers.team_create(
        actor=officer, name="一队", township_code=TOWNSHIP, founded_on=dt.date(2025, 3, 1)
    )
    volunteers.team_create(
        actor=officer, name="二队", township_code=TOWNSHIP, founded_on=dt.date(2026, 3, 1)
    )
    register(officer)
    gone = register(officer, name="赵退出")
    Volunteer.objects.filter(pk=gone.pk).update(withdrawn_on=TODAY)
    assert counters.teams_on(dt.date(2025, 12, 31), None) == {TOWNSHIP: 1}
    assert counters.teams_on(TODAY, None) == {TOWNSHIP: 2}
    assert counters.volunteers_on(dt.date(2025, 12, 31), None) == {}
    assert counters.volunteers_on(TODAY, None) == {TOWNSHIP: 1}
    assert counters.volunteers_on(TODAY - dt.timedelta(days=1), None) == {}


def test_the_plan_computes_t0506_and_t0507_from_the_records(officer: Any) -> None:
    from dpf.indicators import compute
    from dpf.indicators.models import Plan

    volunteers.team_create(
        actor=officer, name="一队", township_code=TOWNSHIP, founded_on=dt.date(2025, 3, 1)
    )
    register(officer)
    plan = Plan.objects.get(code="P14")
    rows = {
        (r.indicator.code, r.region_code): r.value
        for r in compute.compute(plan, TODAY)
        if r.indicator.code in ("T0506", "T0507")
    }
    assert rows[("T0506", TOWNSHIP)] == 1
    assert rows[("T0507", TOWNSHIP)] == 1
    assert rows[("T0507", "150402")] == 1
