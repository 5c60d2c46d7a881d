"""Rule and standard versions, the change preview, entitlements, closing queue items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from dpf.accounts.permissions import PermissionRefused
from dpf.benefits import services
from dpf.benefits.models import (
    AmountStandard,
    BenefitItem,
    Entitlement,
    EntitlementStatus,
    RuleMode,
    RuleVersion,
    WorkItem,
    WorkItemStatus,
)
from dpf.core.errors import DomainError, ValidationFailed
from dpf.core.models import AuditEntry
from tests.benefits.conftest import AS_OF, benefit, person_with, touch
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NURSING_123 = (
    "alive && certificate.valid && certificate.level in [1, 2, 3] && long_term_care_need"
    ' && !in_destitute_care && !receiving("work_injury_care")'
)


def test_catalogue_is_loaded_with_rules_and_illustrative_standards():
    from dpf.benefits.catalogue import shipped_catalogue

    shipped = shipped_catalogue()
    required = {
        "living_allowance",
        "nursing_allowance",
        "dibao_referral",
        "pension_subsidy",
        "medical_subsidy",
        "accident_insurance",
        "child_rehab",
        "device_subsidy",
        "home_renovation",
        "care_service",
        "education_aid",
        "free_transport",
        "utility_discount",
    }
    assert required <= set(BenefitItem.objects.values_list("code", flat=True))
    assert set(shipped) == set(BenefitItem.objects.values_list("code", flat=True))
    for item in BenefitItem.objects.all():
        base = RuleVersion.objects.get(benefit=item, mode=RuleMode.BASE, valid_to__isnull=True)
        assert base.text == shipped[item.code].rules[-1].text
        assert item.name_zh
        assert item.name_en
        assert item.department
        assert item.legal_basis
        services.check_rule_text(base.text)  # every shipped rule compiles
    assert not RuleVersion.objects.filter(mode=RuleMode.WIDEN).exists()
    assert AmountStandard.objects.filter(benefit__code="living_allowance").exists()
    assert not AmountStandard.objects.filter(illustrative=False).exists()


def test_publish_ends_the_open_version_and_is_audited(city_admin):
    nursing = benefit("nursing_allowance")
    old = RuleVersion.objects.get(benefit=nursing, mode=RuleMode.BASE)
    new = services.rule_version_publish(
        actor=city_admin, benefit=nursing, text=NURSING_123, valid_from=dt.date(2026, 1, 1)
    )
    old.refresh_from_db()
    assert old.valid_to == dt.date(2025, 12, 31)
    assert new.valid_to is None
    assert new.created_by == city_admin
    entry = AuditEntry.objects.filter(object_type="rule_version", object_id=str(new.pk)).get()
    assert entry.changes["ended_version"]["id"] == old.pk


def test_overlapping_version_is_refused(city_admin):
    nursing = benefit("nursing_allowance")
    services.rule_version_publish(
        actor=city_admin, benefit=nursing, text=NURSING_123, valid_from=dt.date(2026, 1, 1)
    )
    count = RuleVersion.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        # Starts inside the closed 2016–2025 version: an overlap, not a succession.
        services.rule_version_publish(
            actor=city_admin, benefit=nursing, text=NURSING_123, valid_from=dt.date(2016, 1, 1)
        )
    assert exc.value.code == "rule_overlap"
    assert exc.value.field == "valid_from"
    assert RuleVersion.objects.count() == count


def test_bad_rule_text_is_refused_with_its_position_and_nothing_saved(city_admin):
    nursing = benefit("nursing_allowance")
    before = list(RuleVersion.objects.values_list("pk", "valid_to"))
    audits = AuditEntry.objects.count()
    for text in ("alive && no_such_attribute", "alive && (certificate.valid", "alive &&& x"):
        with pytest.raises(services.RuleRefused) as exc:
            services.rule_version_publish(
                actor=city_admin, benefit=nursing, text=text, valid_from=dt.date(2026, 1, 1)
            )
        assert exc.value.field == "text"
        assert exc.value.line is not None
        assert exc.value.column is not None
        assert f"{exc.value.column}" in exc.value.message_en
        assert exc.value.message_zh
        assert exc.value.message_zh != exc.value.message_en
    assert list(RuleVersion.objects.values_list("pk", "valid_to")) == before
    assert AuditEntry.objects.count() == audits


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"mode": RuleMode.WIDEN}, "region_required"),
        ({"mode": RuleMode.WIDEN, "region_code": "150499"}, "region_unknown"),
        ({"mode": RuleMode.BASE, "region_code": "150402"}, "base_region"),
        ({"valid_to": dt.date(2025, 1, 1)}, "date_range"),
        ({"text": "   "}, "rule_empty"),
    ],
)
def test_publish_refusals(city_admin, kwargs, code):
    args = {
        "actor": city_admin,
        "benefit": benefit("nursing_allowance"),
        "text": NURSING_123,
        "valid_from": dt.date(2026, 1, 1),
        **kwargs,
    }
    with pytest.raises(ValidationFailed) as exc:
        services.rule_version_publish(**args)
    assert exc.value.code == code


@pytest.mark.parametrize("role", ["county_officer", "township_officer", "viewer"])
def test_only_city_admins_publish(role):
    user = make_user(role, "150402" if role != "township_officer" else "150402001")
    with pytest.raises(PermissionRefused):  # the permission table's refusal (404 on a page)
        services.rule_version_publish(
            actor=user,
            benefit=benefit("nursing_allowance"),
            text=NURSING_123,
            valid_from=dt.date(2026, 1, 1),
        )
    with pytest.raises(PermissionRefused):
        services.rule_change_preview(
            actor=user, benefit=benefit("nursing_allowance"), text=NURSING_123, as_of=AS_OF
        )


def test_preview_counts_gains_and_losses_by_county(city_admin):
    # 150402: two level-3 people with care needs (gain), one level-1 (stays).
    person_with(village="150402001001", level=3, long_term_care=True)
    person_with(village="150402001002", level=3, long_term_care=True)
    person_with(village="150402001001", level=1, long_term_care=True)
    # 150404: one level-3 (gain), one level-1 in 特困 (excluded before and after).
    person_with(village="150404002001", level=3, long_term_care=True)
    person_with(village="150404002001", level=1, person_status="tekun", long_term_care=True)
    rows = services.rule_change_preview(
        actor=city_admin, benefit=benefit("nursing_allowance"), text=NURSING_123, as_of=AS_OF
    )
    by = {r.county_code: r for r in rows}
    assert len(rows) == 12
    assert (by["150402"].current, by["150402"].proposed) == (1, 3)
    assert (by["150402"].gaining, by["150402"].losing) == (2, 0)
    assert (by["150404"].current, by["150404"].proposed) == (0, 1)
    assert (by["150404"].gaining, by["150404"].losing) == (1, 0)
    assert by["150421"].current == by["150421"].proposed == 0

    narrower = "alive && certificate.valid && certificate.level in [2] && long_term_care_need"
    rows = services.rule_change_preview(
        actor=city_admin, benefit=benefit("nursing_allowance"), text=narrower, as_of=AS_OF
    )
    by = {r.county_code: r for r in rows}
    assert (by["150402"].gaining, by["150402"].losing, by["150402"].proposed) == (0, 1, 0)
    assert not RuleVersion.objects.filter(text=narrower).exists()  # a preview saves nothing


def test_preview_of_a_widening_only_changes_that_county(city_admin):
    person_with(village="150402001001", level=3, category=5, long_term_care=True)
    person_with(village="150404002001", level=3, category=5, long_term_care=True)
    widen = "certificate.valid && certificate.level in [3, 4] && certificate.category in [5, 6]"
    rows = services.rule_change_preview(
        actor=city_admin,
        benefit=benefit("nursing_allowance"),
        text=widen,
        region_code="150402",
        mode=RuleMode.WIDEN,
        as_of=AS_OF,
    )
    by = {r.county_code: r for r in rows}
    assert by["150402"].gaining == 1
    assert by["150404"].gaining == 0


def test_standard_set_and_amount_lookup(city_admin):
    nursing = benefit("nursing_allowance")
    services.standard_set(
        actor=city_admin,
        benefit=nursing,
        monthly_amount="180.00",
        region_code="150402",
        level=1,
        valid_from=dt.date(2025, 1, 1),
    )
    for county, level, expected in [
        ("150402", 1, Decimal("180.00")),  # county + level
        ("150404", 1, Decimal("150.00")),  # city + level (shipped, illustrative)
        ("150404", 3, Decimal("80.00")),  # city, any level
    ]:
        found = services.amount_for(nursing, county_code=county, level=level, as_of=AS_OF)
        assert found is not None
        assert found.monthly_amount == expected
    assert services.amount_for(nursing, county_code="150402", level=1, as_of=dt.date(2024, 6, 1))
    with pytest.raises(ValidationFailed) as exc:
        services.standard_set(
            actor=city_admin, benefit=nursing, monthly_amount="-1", valid_from=AS_OF
        )
    assert exc.value.code == "amount_negative"
    with pytest.raises(ValidationFailed) as exc:
        services.standard_set(
            actor=city_admin, benefit=nursing, monthly_amount="abc", valid_from=AS_OF
        )
    assert exc.value.code == "amount"


def test_entitlement_overlap_refused_and_amount_from_standard(county_officer):
    person = person_with(level=1, household="dibao", long_term_care=True)
    living = benefit("living_allowance")
    ent = services.entitlement_create(
        actor=county_officer, person=person, benefit=living, valid_from=dt.date(2024, 1, 1)
    )
    assert ent.monthly_amount == Decimal("100.00")
    with pytest.raises(ValidationFailed) as exc:
        services.entitlement_create(
            actor=county_officer, person=person, benefit=living, valid_from=dt.date(2025, 1, 1)
        )
    assert exc.value.code == "entitlement_overlap"
    ended = services.entitlement_terminate(
        actor=county_officer, entitlement=ent, on=dt.date(2025, 7, 1), reason="迁出 / moved away"
    )
    assert ended.status == EntitlementStatus.TERMINATED
    assert ended.valid_to == dt.date(2025, 6, 30)
    again = services.entitlement_create(
        actor=county_officer, person=person, benefit=living, valid_from=dt.date(2025, 8, 1)
    )
    suspended = services.entitlement_suspend(
        actor=county_officer, entitlement=again, on=dt.date(2025, 9, 1), reason="核查 / checking"
    )
    assert suspended.status == EntitlementStatus.SUSPENDED
    other = make_user("county_officer", "150404")
    with pytest.raises(DomainError):
        services.entitlement_create(
            actor=other, person=person, benefit=living, valid_from=dt.date(2026, 1, 1)
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL exclusion constraint")
def test_postgres_refuses_overlapping_entitlement_periods_directly():
    person = person_with(level=1)
    living = benefit("living_allowance")
    Entitlement.objects.create(person=person, benefit=living, valid_from=dt.date(2024, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Entitlement.objects.create(person=person, benefit=living, valid_from=dt.date(2025, 1, 1))
    # A terminated period was in force over its dates: another one on them is refused too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Entitlement.objects.create(
            person=person,
            benefit=living,
            valid_from=dt.date(2023, 1, 1),
            valid_to=dt.date(2024, 6, 30),
            status=EntitlementStatus.TERMINATED,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        RuleVersion.objects.create(
            benefit=living, mode="base", text="alive", valid_from=dt.date(2020, 1, 1)
        )


def test_close_work_item(village_worker):
    person = person_with(level=3, household="dibao")
    services.scan(as_of=AS_OF, benefit_codes=["living_allowance"])
    item = WorkItem.objects.get(person=person)
    with pytest.raises(ValidationFailed):
        services.work_item_close(actor=village_worker, item=item, status="dismissed")
    done = services.work_item_close(
        actor=village_worker, item=item, status="done", note="已申请 / applied"
    )
    assert done.status == WorkItemStatus.DONE
    assert done.closed_by == village_worker
    assert done.explanation
    assert done.explanation["eligible"] is True
    with pytest.raises(ValidationFailed):
        services.work_item_close(actor=village_worker, item=done, status="done")
    # A closed item is not proposed again while nothing changes about the person …
    services.scan(as_of=AS_OF, benefit_codes=["living_allowance"])
    assert not WorkItem.objects.filter(person=person, status="open").exists()
    # … and is once a fact changes after it was closed.
    touch(person)
    services.scan(as_of=AS_OF, benefit_codes=["living_allowance"])
    reopened = WorkItem.objects.get(person=person, status="open")
    outsider = make_user("village_worker", "150404002001")
    with pytest.raises(DomainError):
        services.work_item_close(actor=outsider, item=reopened, status="done")
