"""The city's lists of issue 18 parts 1 and 5: institutions registered and changed (the
designation dates in order, before and after audited) and the dated device catalogue (a
new standard is a new version, never an overwrite), each refusal bilingual with nothing
written; only the city admin writes either, the pages answer 400 on a refusal and 404
outside the reader's county or to a role that may not write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry, Region
from dpf.services import selectors, services
from dpf.services.models import DeviceCatalogueItem, Institution
from tests.factories import make_user
from tests.services.conftest import Rehab, open_plan

pytestmark = pytest.mark.django_db

# What the city admin types on the form, and what the service takes (the form's fields).
VALUES: dict[str, Any] = {
    "name": "红山区康复服务中心",
    "kind": "rehabilitation",
    "township_code": "150402001",
    "capacity": 80,
    "licence_number": "PDY150402001",
    "services_offered": "功能训练、辅助器具适配",
    "designated_from": dt.date(2022, 1, 1),
    "designated_to": None,
}


@pytest.fixture
def admin(rehab: Rehab) -> User:
    return make_user("city_admin", "150400")


def _snapshot(institution: Institution) -> dict[str, Any]:
    institution.refresh_from_db()
    return {k: getattr(institution, k) for k in (*VALUES, "county_code", "code")}


def _changes(institution: Institution) -> int:
    return AuditEntry.objects.filter(
        object_type="institution", object_id=str(institution.pk), action="change"
    ).count()


# --- institutions: the service -----------------------------------------------------------


def test_the_city_registers_and_changes_an_institution_before_and_after_audited(
    admin: User,
) -> None:
    made = services.institution_register(actor=admin, code="REHAB-NEW", **VALUES)
    created = AuditEntry.objects.get(object_type="institution", object_id=str(made.pk))
    assert created.changes["designated_from"] == "2022-01-01"
    changed = services.institution_change(
        actor=admin,
        institution_id=made.pk,
        **VALUES | {"capacity": 100, "designated_to": dt.date(2026, 12, 31)},
    )
    assert (changed.capacity, changed.designated_to) == (100, dt.date(2026, 12, 31))
    entry = AuditEntry.objects.get(
        object_type="institution", object_id=str(made.pk), action="change"
    )
    assert entry.changes == {"capacity": [80, 100], "designated_to": [None, "2026-12-31"]}
    # The same values again: nothing changes, nothing is audited.
    services.institution_change(
        actor=admin,
        institution_id=made.pk,
        **VALUES | {"capacity": 100, "designated_to": dt.date(2026, 12, 31)},
    )
    assert _changes(made) == 1


def test_bad_changes_are_refused_in_both_languages_and_write_nothing(
    admin: User, rehab: Rehab
) -> None:
    open_plan(rehab)  # rehab.ours now has a client
    make_user("institution_staff", None, institution_code=rehab.ours.code)
    before = _snapshot(rehab.ours)
    cases: list[tuple[dict[str, Any], str, str]] = [
        (
            {"designated_from": dt.date(2025, 1, 1), "designated_to": dt.date(2024, 12, 31)},
            "designation_interval",
            "designated_to",
        ),
        (
            {"designated_from": None, "designated_to": dt.date(2026, 1, 1)},
            "designation_start",
            "designated_from",
        ),
        ({"kind": "care_day", "designated_from": None}, "institution_kind_in_use", "kind"),
        ({"kind": "care_day"}, "designation_kind", "designated_from"),
        ({"kind": "spa"}, "institution_kind", "kind"),
        ({"township_code": "150402999"}, "institution_region", "township_code"),
        ({"township_code": "150402"}, "institution_region", "township_code"),
        ({"township_code": "150404002"}, "institution_county_accounts", "township_code"),
        ({"capacity": -1}, "capacity", "capacity"),
        ({"name": "  "}, "required", "name"),
        ({"services_offered": "康复" * 101}, "too_long", "services_offered"),
    ]
    for change, code, field in cases:
        with pytest.raises(ValidationFailed) as info:
            services.institution_change(
                actor=admin, institution_id=rehab.ours.pk, **VALUES | change
            )
        assert (info.value.code, info.value.field) == (code, field), change
        assert info.value.message_zh
        assert info.value.message_en
    assert _snapshot(rehab.ours) == before
    assert _changes(rehab.ours) == 0


def test_only_a_rehabilitation_institution_has_designation_dates(admin: User) -> None:
    with pytest.raises(ValidationFailed) as info:
        services.institution_register(
            actor=admin, code="CARE-1", **VALUES | {"kind": "sunshine_home"}
        )
    assert (info.value.code, info.value.field) == ("designation_kind", "designated_from")
    services.institution_register(
        actor=admin, code="CARE-1", **VALUES | {"kind": "sunshine_home", "designated_from": None}
    )
    assert Institution.objects.get(code="CARE-1").designated_from is None


def test_a_city_admin_cannot_place_an_institution_outside_the_city(admin: User) -> None:
    Region.objects.get_or_create(
        code="150100", defaults={"name": "呼和浩特市", "parent_id": "150000", "level": "city"}
    )
    Region.objects.get_or_create(
        code="150102", defaults={"name": "新城区", "parent_id": "150100", "level": "county"}
    )
    Region.objects.get_or_create(
        code="150102001", defaults={"name": "外市街道", "parent_id": "150102", "level": "township"}
    )
    with pytest.raises(ValidationFailed) as info:
        services.institution_register(
            actor=admin, code="OUT-1", **VALUES | {"township_code": "150102001"}
        )
    assert info.value.code == "institution_region"
    assert not Institution.objects.filter(code="OUT-1").exists()


def test_no_county_officer_nor_the_institutions_staff_changes_an_institution(
    rehab: Rehab,
) -> None:
    """The permission table gives the city alone the list: a county officer of the
    institution's own county, one of another county and the institution's own staff (its
    designation least of all) are refused, and nothing is written."""
    before = _snapshot(rehab.ours)
    attackers = [
        rehab.officer,  # 150402, the institution's own county
        make_user("county_officer", "150404"),  # another county
        rehab.our_staff,  # its own staff
    ]
    for actor in attackers:
        with pytest.raises(PermissionRefused):
            services.institution_change(
                actor=actor,
                institution_id=rehab.ours.pk,
                **VALUES | {"designated_to": dt.date(2023, 12, 31)},
            )
        with pytest.raises(PermissionRefused):
            services.institution_register(actor=actor, code="X-1", **VALUES)
    assert _snapshot(rehab.ours) == before
    assert _changes(rehab.ours) == 0
    assert not Institution.objects.filter(code="X-1").exists()


# --- institutions: the pages -------------------------------------------------------------


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(**change: Any) -> dict[str, Any]:
    data = {
        k: ("" if v is None else v.isoformat() if isinstance(v, dt.date) else v)
        for k, v in VALUES.items()
    }
    return data | change


def test_the_city_registers_an_institution_on_the_page_and_a_refusal_is_400(
    admin: User,
) -> None:
    client = _client(admin)
    listing = client.get(reverse("services:institutions")).content.decode()
    assert reverse("services:institution_new") in listing
    url = reverse("services:institution_new")
    assert client.get(url).status_code == 200
    refused = client.post(
        url, _form(code="REHAB-P", designated_from="2025-01-01", designated_to="2024-01-01")
    )
    page = refused.content.decode()
    assert refused.status_code == 400
    assert 'href="#id_designated_to"' in page
    assert "定点终止日期：定点终止日期不能早于起始日期" in page
    assert not Institution.objects.filter(code="REHAB-P").exists()
    done = client.post(url, _form(code="REHAB-P"))
    made = Institution.objects.get(code="REHAB-P")
    assert done["Location"] == reverse("services:institution", args=[made.pk])
    assert "红山区康复服务中心" in client.get(reverse("services:institutions")).content.decode()
    shown = client.get(done["Location"]).content.decode()
    assert reverse("services:institution_edit", args=[made.pk]) in shown
    # The institution's staff accounts are opened from its page, role and code preset.
    assert "role=institution_staff&amp;institution_code=REHAB-P" in shown
    preset = client.get(
        reverse("accounts:staff_account_new"),
        {"role": "institution_staff", "institution_code": "REHAB-P"},
    ).content.decode()
    assert '<option value="REHAB-P" selected>' in preset
    assert '<option value="institution_staff" selected>' in preset


def test_the_city_changes_the_designation_on_the_page(admin: User, rehab: Rehab) -> None:
    client = _client(admin)
    url = reverse("services:institution_edit", args=[rehab.ours.pk])
    assert "2022-01-01" in client.get(url).content.decode()
    refused = client.post(url, _form(designated_to="2021-12-31"))
    assert refused.status_code == 400
    assert "定点终止日期不能早于起始日期" in refused.content.decode()
    rehab.ours.refresh_from_db()
    assert rehab.ours.designated_to is None
    done = client.post(url, _form(designated_to="2025-12-31"))
    assert done.status_code == 302
    rehab.ours.refresh_from_db()
    assert rehab.ours.designated_to == dt.date(2025, 12, 31)


def test_the_pages_answer_404_outside_the_county_and_to_those_who_may_not_change(
    rehab: Rehab,
) -> None:
    officer = _client(rehab.officer)  # 红山区 (150402); rehab.theirs is in 松山区
    own = officer.get(reverse("services:institution", args=[rehab.ours.pk]))
    assert own.status_code == 200
    assert reverse("services:institution_edit", args=[rehab.ours.pk]) not in own.content.decode()
    assert officer.get(reverse("services:institution", args=[rehab.theirs.pk])).status_code == 404
    assert (
        officer.get(reverse("services:institution_edit", args=[rehab.ours.pk])).status_code == 404
    )
    assert officer.get(reverse("services:institution_new")).status_code == 404
    staff = _client(rehab.our_staff)
    assert staff.get(reverse("services:institution", args=[rehab.ours.pk])).status_code == 200
    assert staff.get(reverse("services:institution", args=[rehab.theirs.pk])).status_code == 404
    before = _snapshot(rehab.ours)
    for client in (officer, staff):
        attempt = client.post(
            reverse("services:institution_edit", args=[rehab.ours.pk]),
            _form(designated_to="2023-06-30"),
        )
        assert attempt.status_code == 404
        made = client.post(reverse("services:institution_new"), _form(code="X-2"))
        assert made.status_code == 404
    assert _snapshot(rehab.ours) == before
    assert not Institution.objects.filter(code="X-2").exists()


# --- the device catalogue ----------------------------------------------------------------

WHEELCHAIR: dict[str, Any] = {
    "code": "WC-01",
    "name": "普通轮椅",
    "kind": "wheelchair",
    "standard_amount": Decimal("800.00"),
    "replacement_years": 3,
    "valid_from": dt.date(2021, 1, 1),
}


def test_a_new_standard_is_a_new_dated_version_never_an_overwrite(admin: User) -> None:
    first = services.device_item_add(actor=admin, **WHEELCHAIR)
    with pytest.raises(ValidationFailed) as info:
        services.device_item_add(
            actor=admin,
            **WHEELCHAIR
            | {"standard_amount": Decimal("1000.00"), "valid_from": dt.date(2025, 1, 1)},
        )
    assert info.value.code == "device_item_overlap"
    services.device_item_end(actor=admin, item_id=first.pk, valid_to=dt.date(2024, 12, 31))
    services.device_item_add(
        actor=admin,
        **WHEELCHAIR | {"standard_amount": Decimal("1000.00"), "valid_from": dt.date(2025, 1, 1)},
    )
    in_2024, history = selectors.device_catalogue(dt.date(2024, 6, 1))
    in_2025, _ = selectors.device_catalogue(dt.date(2025, 6, 1))
    assert [i.standard_amount for i in in_2024] == [Decimal("800.00")]
    assert [i.standard_amount for i in in_2025] == [Decimal("1000.00")]
    assert [i.valid_from.year for i in history] == [2025, 2021]
    ended = AuditEntry.objects.get(object_type="device_catalogue", action="change")
    assert ended.changes == {"code": "WC-01", "valid_to": [None, "2024-12-31"]}


def test_bad_catalogue_entries_are_refused_and_write_nothing(admin: User, rehab: Rehab) -> None:
    item = services.device_item_add(actor=admin, **WHEELCHAIR)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"code": "WC-02", "standard_amount": Decimal("-1.00")}, "standard_amount"),
        ({"code": "WC-02", "standard_amount": Decimal("0.001")}, "standard_amount"),
        ({"code": "WC-02", "replacement_years": 0}, "replacement_years"),
        ({"code": "WC-02", "valid_to": dt.date(2020, 12, 31)}, "valid_interval"),
        ({"code": "WC 02"}, "device_code"),
        ({"code": "WC-02", "kind": ""}, "device_kind"),
        ({"kind": "hearing_aid", "valid_from": dt.date(2030, 1, 1)}, "device_item_kind"),
    ]
    for change, code in cases:
        with pytest.raises(ValidationFailed) as info:
            services.device_item_add(actor=admin, **WHEELCHAIR | change)
        assert info.value.code == code, change
        assert info.value.message_en
    with pytest.raises(ValidationFailed) as early:
        services.device_item_end(actor=admin, item_id=item.pk, valid_to=dt.date(2020, 12, 31))
    assert (early.value.code, early.value.field) == ("valid_interval", "valid_to")
    for actor in (rehab.officer, rehab.our_staff):
        with pytest.raises(PermissionRefused):
            services.device_item_add(actor=actor, **WHEELCHAIR | {"code": "WC-03"})
        with pytest.raises(PermissionRefused):
            services.device_item_end(actor=actor, item_id=item.pk, valid_to=dt.date(2024, 1, 1))
    assert list(DeviceCatalogueItem.objects.values_list("code", "valid_to")) == [("WC-01", None)]
    services.device_item_end(actor=admin, item_id=item.pk, valid_to=dt.date(2024, 12, 31))
    with pytest.raises(ValidationFailed) as twice:
        services.device_item_end(actor=admin, item_id=item.pk, valid_to=dt.date(2025, 12, 31))
    assert twice.value.code == "device_item_ended"


def test_a_version_cannot_end_before_a_fitting_made_under_it(admin: User, rehab: Rehab) -> None:
    from dpf.registry.models import NeedsSurvey

    item = services.device_item_add(actor=admin, **WHEELCHAIR)
    NeedsSurvey.objects.filter(person=rehab.needy).update(device_need="wheelchair")
    plan = services.rehab_plan_create(
        actor=rehab.officer,
        person_id=rehab.needy.pk,
        institution_id=rehab.ours.pk,
        kind="device",
        start=dt.date(2025, 3, 1),
        end=dt.date(2025, 12, 31),
        planned_sessions=2,
    )
    services.device_fitting_record(
        actor=rehab.our_staff,
        plan_id=plan.pk,
        item_code="WC-01",
        assessed_on=dt.date(2025, 4, 1),
        fitted_on=dt.date(2025, 4, 10),
        supplier="赤峰康复器材公司",
        today=dt.date(2025, 12, 31),
    )
    with pytest.raises(ValidationFailed) as info:
        services.device_item_end(actor=admin, item_id=item.pk, valid_to=dt.date(2025, 4, 9))
    assert info.value.code == "device_item_in_use"
    item.refresh_from_db()
    assert item.valid_to is None
    services.device_item_end(actor=admin, item_id=item.pk, valid_to=dt.date(2025, 4, 10))


@time_machine.travel(dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.UTC), tick=False)
def test_the_catalogue_pages(admin: User, rehab: Rehab) -> None:
    client = _client(admin)
    url = reverse("services:device_catalogue")
    item = services.device_item_add(actor=admin, **WHEELCHAIR)
    page = client.get(url).content.decode()
    assert "2025-06-01 执行的目录：1 项" in page
    assert reverse("services:device_item_end", args=[item.pk]) in page
    assert "2020-06-01 没有执行中的目录" in client.get(url, {"on": "2020-06-01"}).content.decode()
    new = reverse("services:device_item_new")
    data = {
        "code": "HA-01",
        "name": "助听器",
        "kind": "hearing_aid",
        "standard_amount": "-5",
        "replacement_years": "5",
        "valid_from": "2025-01-01",
    }
    refused = client.post(new, data)
    assert refused.status_code == 400
    assert 'href="#id_standard_amount"' in refused.content.decode()
    assert "补贴标准应为0至" in refused.content.decode()
    assert not DeviceCatalogueItem.objects.filter(code="HA-01").exists()
    assert client.post(new, data | {"standard_amount": "1500"}).status_code == 302
    end = reverse("services:device_item_end", args=[item.pk])
    early = client.post(end, {"valid_to": "2020-01-01"})
    assert early.status_code == 400
    assert "失效日期不能早于生效日期" in early.content.decode()
    assert client.post(end, {"valid_to": "2025-12-31"}).status_code == 302
    item.refresh_from_db()
    assert item.valid_to == dt.date(2025, 12, 31)
    # Others read the catalogue and change nothing of it.
    officer = _client(rehab.officer)
    shown = officer.get(url).content.decode()
    assert "助听器" in shown
    assert reverse("services:device_item_new") not in shown
    assert officer.post(new, data | {"code": "HA-02", "standard_amount": "1"}).status_code == 404
    assert officer.post(end, {"valid_to": "2025-07-01"}).status_code == 404
    staff = _client(rehab.our_staff)
    assert staff.get(url).status_code == 200
    assert staff.post(end, {"valid_to": "2025-07-01"}).status_code == 404
    item.refresh_from_db()
    assert item.valid_to == dt.date(2025, 12, 31)
    assert not DeviceCatalogueItem.objects.filter(code="HA-02").exists()
