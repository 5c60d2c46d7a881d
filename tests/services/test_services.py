"""Rehabilitation services: plan, sessions, outcome; every refusal writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import DomainError, NotFound, ValidationFailed
from dpf.core.models import AuditEntry
from dpf.exchange.models import FamilyDoctorContract
from dpf.services import services
from dpf.services.models import Institution, RehabPlan, RehabSession
from tests.factories import make_user
from tests.services.conftest import Rehab, open_plan

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 12, 31)


def test_a_need_becomes_a_plan_with_the_family_doctor_then_sessions_then_an_outcome(
    rehab: Rehab,
) -> None:
    FamilyDoctorContract.objects.create(
        person=rehab.needy, institution="桥北街道社区卫生服务中心", valid_from=dt.date(2024, 1, 1)
    )
    plan = open_plan(rehab)
    assert plan.family_doctor == "桥北街道社区卫生服务中心"
    assert (plan.county_code, plan.village_code) == ("150402", "150402001001")
    services.rehab_session_record(
        actor=rehab.our_staff,
        plan_id=plan.pk,
        date=dt.date(2025, 3, 5),
        content="站立训练",
        today=TODAY,
    )
    services.rehab_plan_close(
        actor=rehab.our_staff,
        plan_id=plan.pk,
        outcome="improved",
        closed_on=dt.date(2025, 6, 1),
        today=TODAY,
    )
    plan.refresh_from_db()
    assert (plan.outcome, plan.closed_on) == ("improved", dt.date(2025, 6, 1))
    actions = set(
        AuditEntry.objects.filter(object_type__startswith="rehab_").values_list(
            "object_type", "action"
        )
    )
    assert actions == {
        ("rehab_plan", "create"),
        ("rehab_session", "create"),
        ("rehab_plan", "change"),
    }


def test_another_institution_cannot_record_a_service_for_a_client_not_its_own(rehab: Rehab) -> None:
    plan = open_plan(rehab)
    with pytest.raises(PermissionRefused):
        services.rehab_session_record(
            actor=rehab.their_staff,
            plan_id=plan.pk,
            date=dt.date(2025, 3, 5),
            content="训练",
            today=TODAY,
        )
    with pytest.raises(PermissionRefused):
        services.rehab_plan_close(
            actor=rehab.their_staff,
            plan_id=plan.pk,
            outcome="stable",
            closed_on=dt.date(2025, 6, 1),
            today=TODAY,
        )
    assert not RehabSession.objects.exists()
    assert RehabPlan.objects.get().closed_on is None


def test_an_institution_user_without_an_institution_or_inactive_reaches_nothing(
    rehab: Rehab,
) -> None:
    plan = open_plan(rehab)
    rehab.our_staff.is_active = False
    with pytest.raises(PermissionRefused):
        services.rehab_session_record(
            actor=rehab.our_staff,
            plan_id=plan.pk,
            date=dt.date(2025, 3, 5),
            content="训练",
            today=TODAY,
        )
    assert not RehabSession.objects.exists()


def test_region_staff_and_institutions_do_not_record_sessions_or_make_plans_beyond_their_rights(
    rehab: Rehab,
) -> None:
    plan = open_plan(rehab)
    with pytest.raises(PermissionRefused):  # the county follows services, does not give them
        services.rehab_session_record(
            actor=rehab.officer,
            plan_id=plan.pk,
            date=dt.date(2025, 3, 5),
            content="训练",
            today=TODAY,
        )
    with pytest.raises(PermissionRefused):  # an institution cannot make itself a client
        services.rehab_plan_create(
            actor=rehab.our_staff,
            person_id=rehab.also_needy.pk,
            institution_id=rehab.ours.pk,
            kind="training",
            start=dt.date(2025, 3, 1),
            end=dt.date(2025, 5, 1),
            planned_sessions=3,
        )
    with pytest.raises(NotFound):  # a person of another county
        open_plan(rehab, person=rehab.elsewhere)
    assert RehabPlan.objects.count() == 1
    assert not RehabSession.objects.exists()


@pytest.mark.parametrize(
    ("date", "content", "code"),
    [
        (dt.date(2025, 2, 28), "训练", "session_outside_plan"),
        (dt.date(2026, 1, 1), "训练", "session_outside_plan"),
        (dt.date(2025, 12, 31), "训练", "session_in_future"),
        (dt.date(2025, 3, 5), "   ", "required"),
        (dt.date(2025, 3, 5), "训\u202e练", "text_characters"),
    ],
)
def test_bad_sessions_are_refused_in_both_languages_and_nothing_is_written(
    rehab: Rehab, date: dt.date, content: str, code: str
) -> None:
    plan = open_plan(rehab)
    with pytest.raises(DomainError) as info:
        services.rehab_session_record(
            actor=rehab.our_staff,
            plan_id=plan.pk,
            date=date,
            content=content,
            today=dt.date(2025, 12, 30),
        )
    assert info.value.code == code
    assert info.value.message_zh
    assert info.value.message_en
    assert info.value.field in ("date", "content")
    assert not RehabSession.objects.exists()


def test_a_closed_plan_takes_no_sessions_and_a_plan_without_sessions_cannot_close(
    rehab: Rehab,
) -> None:
    plan = open_plan(rehab)
    with pytest.raises(ValidationFailed) as info:
        services.rehab_plan_close(
            actor=rehab.our_staff,
            plan_id=plan.pk,
            outcome="stable",
            closed_on=dt.date(2025, 6, 1),
            today=TODAY,
        )
    assert info.value.code == "no_sessions"
    services.rehab_session_record(
        actor=rehab.our_staff,
        plan_id=plan.pk,
        date=dt.date(2025, 5, 5),
        content="训练",
        today=TODAY,
    )
    with pytest.raises(ValidationFailed) as info:
        services.rehab_plan_close(
            actor=rehab.our_staff,
            plan_id=plan.pk,
            outcome="stable",
            closed_on=dt.date(2025, 5, 4),
            today=TODAY,
        )
    assert info.value.code == "closed_on"
    with pytest.raises(ValidationFailed) as info:
        services.rehab_plan_close(
            actor=rehab.our_staff,
            plan_id=plan.pk,
            outcome="cured",
            closed_on=dt.date(2025, 6, 1),
            today=TODAY,
        )
    assert info.value.code == "outcome"
    services.rehab_plan_close(
        actor=rehab.our_staff,
        plan_id=plan.pk,
        outcome="stable",
        closed_on=dt.date(2025, 6, 1),
        today=TODAY,
    )
    with pytest.raises(ValidationFailed) as info:
        services.rehab_session_record(
            actor=rehab.our_staff,
            plan_id=plan.pk,
            date=dt.date(2025, 6, 2),
            content="训练",
            today=TODAY,
        )
    assert info.value.code == "plan_closed"
    assert RehabSession.objects.count() == 1


def test_plans_are_refused_without_a_need_or_with_bad_dates_counts_or_institutions(
    rehab: Rehab,
) -> None:
    special = services.institution_register(
        actor=None,
        code="SCHOOL-1",
        name="特殊教育学校",
        kind="special_school",
        township_code="150402001",
    )
    cases: list[tuple[dict[str, Any], str]] = [
        ({"person_id": rehab.no_need.pk}, "no_rehab_need"),
        ({"start": dt.date(2025, 1, 1)}, "no_rehab_need"),  # before the survey found the need
        ({"end": dt.date(2025, 2, 1)}, "plan_interval"),
        ({"end": dt.date(2026, 6, 1)}, "plan_too_long"),
        ({"planned_sessions": 0}, "planned_sessions"),
        ({"institution_id": special.pk}, "institution"),
        ({"kind": "magic"}, "rehab_kind"),
    ]
    for change, code in cases:
        args: dict[str, Any] = {
            "actor": rehab.officer,
            "person_id": rehab.needy.pk,
            "institution_id": rehab.ours.pk,
            "kind": "training",
            "start": dt.date(2025, 3, 1),
            "end": dt.date(2025, 12, 31),
            "planned_sessions": 12,
        } | change
        with pytest.raises(ValidationFailed) as info:
            services.rehab_plan_create(**args)
        assert info.value.code == code, change
        assert info.value.message_zh
        assert info.value.message_en
    assert not RehabPlan.objects.exists()


def test_institution_register_refuses_bad_input_and_non_city_users(rehab: Rehab) -> None:
    before = Institution.objects.count()
    bad: list[tuple[dict[str, Any], str]] = [
        ({"code": "REHAB-A"}, "institution_exists"),
        ({"code": ""}, "institution_code"),
        ({"kind": "spa"}, "institution_kind"),
        ({"township_code": "150402"}, "institution_region"),
        ({"designated_to": dt.date(2020, 1, 1)}, "designation_interval"),
        ({"capacity": -1}, "capacity"),
    ]
    for change, code in bad:
        args: dict[str, Any] = {
            "actor": None,
            "code": "NEW-1",
            "name": "新机构",
            "kind": "rehabilitation",
            "township_code": "150402001",
            "designated_from": dt.date(2024, 1, 1),
        } | change
        with pytest.raises(ValidationFailed) as info:
            services.institution_register(**args)
        assert info.value.code == code
    with pytest.raises(PermissionRefused):
        services.institution_register(
            actor=make_user("county_officer", "150402"),
            code="NEW-2",
            name="新机构",
            kind="rehabilitation",
            township_code="150402001",
        )
    assert Institution.objects.count() == before
