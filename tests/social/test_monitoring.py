"""Return-to-poverty risk monitoring: rules in the rule language with dated thresholds,
the set-based scan opening one case per household and rule, the visit, measures and
closure, the household's monitored status following the case; refusals write nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dpf.accounts.permissions import PermissionRefused
from dpf.benefits import services as benefits
from dpf.benefits.models import BenefitItem
from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry, EffectiveDated
from dpf.employment import records
from dpf.registry import changes as registry_changes
from dpf.registry import services as registry
from dpf.registry.models import HouseholdStatus, MedicalSettlement, NeedsSurvey, Person
from dpf.rules.errors import RuleError
from dpf.social import monitoring
from dpf.social.models import RiskCase, RiskCaseStatus, RiskRule, RiskThreshold
from tests.factories import ensure_test_regions, make_person, make_user

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 5, 10)
VILLAGE = "150402001001"
LINE_RULE = (
    "alive && certificate.valid && survey.income_per_capita >= 0"
    " && survey.income_per_capita < {monitoring_line}"
)


def certified(*, income: str | None, village: str = VILLAGE, household: Any = None) -> Any:
    person = make_person(village_code=village, household=household)
    registry.certificate_issue(
        actor=None, person=person, category=4, level=2, issue_date=dt.date(2020, 1, 1), today=ON
    )
    if income is not None:
        NeedsSurvey.objects.create(
            person=person,
            year=2026,
            survey_date=dt.date(2026, 3, 1),
            income_per_capita=Decimal(income),
        )
    return person


@pytest.fixture
def config() -> Any:
    """Only this test's rule and line (the shipped ones replaced)."""
    ensure_test_regions()
    RiskRule.objects.all().delete()
    RiskThreshold.objects.all().delete()
    admin = make_user("city_admin", "150400")
    monitoring.threshold_set(
        actor=admin, name="monitoring_line", value="6000", valid_from=dt.date(2025, 1, 1)
    )
    monitoring.threshold_set(
        actor=admin, name="monitoring_line", value="7000", valid_from=dt.date(2026, 1, 1)
    )
    monitoring.rule_save(
        actor=admin,
        code="income_below_line",
        name_zh="家庭人均收入低于监测线",
        text=LINE_RULE,
        valid_from=dt.date(2025, 1, 1),
    )
    return admin


def test_the_threshold_in_force_on_the_scan_date_is_used(config: Any) -> None:
    poor = certified(income="6500")  # below 2026's line (7,000), above 2025's (6,000)
    certified(income="9000")
    certified(income=None)  # unknown income: never below the line
    officer = make_user("county_officer", "150402")
    earlier = monitoring.risk_scan(actor=officer, on=dt.date(2025, 12, 31))
    assert (earlier.found, earlier.opened) == (0, 0)  # the survey is dated 2026-03-01
    result = monitoring.risk_scan(actor=officer, on=ON)
    assert (result.rules, result.found, result.opened, result.in_progress) == (1, 1, 1, 0)
    case = RiskCase.objects.get()
    assert (case.household_id, case.person_id) == (poor.household_id, poor.pk)
    assert (case.status, case.detected_on, case.rule_code) == ("open", ON, "income_below_line")
    assert monitoring.thresholds_on(dt.date(2025, 6, 1)) == {"monitoring_line": Decimal("6000")}


def test_a_second_scan_links_to_the_case_in_progress(config: Any) -> None:
    first = certified(income="100")
    certified(income="200", household=first.household)  # the same household: one case
    officer = make_user("county_officer", "150402")
    assert monitoring.risk_scan(actor=officer, on=ON).opened == 1
    again = monitoring.risk_scan(actor=officer, on=ON + dt.timedelta(days=30))
    assert (again.found, again.opened, again.in_progress) == (1, 0, 1)
    assert RiskCase.objects.count() == 1


def test_the_scan_is_set_based(config: Any) -> None:
    for _ in range(6):
        certified(income="100")
    officer = make_user("county_officer", "150402")
    assert officer.region is not None  # loaded once, outside the counts
    with CaptureQueriesContext(connection) as few:
        monitoring.risk_scan(actor=officer, on=ON)
    for _ in range(6):
        certified(income="100")
    with CaptureQueriesContext(connection) as more:
        monitoring.risk_scan(actor=officer, on=ON + dt.timedelta(days=1))
    assert RiskCase.objects.count() == 12
    assert len(more.captured_queries) == len(few.captured_queries)


def test_the_scan_stays_in_the_officer_region(config: Any) -> None:
    certified(income="100", village="150404002001")
    officer = make_user("county_officer", "150402")
    assert monitoring.risk_scan(actor=officer, on=ON).found == 0
    with pytest.raises(PermissionRefused):
        monitoring.risk_scan(actor=make_user("village_worker", VILLAGE), on=ON)


def test_the_case_is_assigned_visited_monitored_and_closed(config: Any) -> None:
    person = certified(income="100")
    worker = make_user("village_worker", VILLAGE)
    monitoring.risk_scan(actor=make_user("county_officer", "150402"), on=ON)
    case = RiskCase.objects.get()
    assert case.worker == worker
    visited = dt.date(2026, 5, 15)
    monitoring.case_visit(
        actor=worker, case_id=case.pk, visited_on=visited, note="入户核实：收入骤降", confirmed=True
    )
    status = HouseholdStatus.objects.filter(
        EffectiveDated.as_of_q(visited), household=person.household
    ).get()
    assert (status.status, status.valid_from) == ("monitored", visited)
    with pytest.raises(ValidationFailed) as refused:
        monitoring.measure_add(
            actor=worker, case_id=case.pk, kind="benefit", taken_on=visited, note="生活补贴"
        )
    assert refused.value.code == "application_required"
    monitoring.measure_add(
        actor=worker, case_id=case.pk, kind="employment", taken_on=visited, note="公益岗位"
    )
    closed = dt.date(2026, 9, 1)
    monitoring.case_close(actor=worker, case_id=case.pk, closed_on=closed, note="已稳定就业")
    case.refresh_from_db()
    assert (case.status, case.closed_on, case.measures.count()) == ("closed", closed, 1)
    statuses = list(
        HouseholdStatus.objects.filter(household=person.household)
        .order_by("valid_from")
        .values_list("status", "valid_from", "valid_to")
    )
    assert statuses == [
        ("monitored", visited, closed - dt.timedelta(days=1)),
        ("none", closed, None),
    ]


def test_a_false_alarm_is_closed_at_the_visit_without_a_status(config: Any) -> None:
    person = certified(income="100")
    worker = make_user("village_worker", VILLAGE)
    monitoring.risk_scan(actor=make_user("county_officer", "150402"), on=ON)
    case = RiskCase.objects.get()
    monitoring.case_visit(
        actor=worker, case_id=case.pk, visited_on=ON, note="收入登记有误", confirmed=False
    )
    case.refresh_from_db()
    assert case.status == RiskCaseStatus.CLOSED
    assert not HouseholdStatus.objects.filter(household=person.household).exists()


def test_a_dibao_household_keeps_its_status_while_monitored(config: Any) -> None:
    person = certified(income="100")
    registry.household_status_set(
        actor=None, household=person.household, status="dibao", valid_from=dt.date(2024, 1, 1)
    )
    RiskRule.objects.update(text=LINE_RULE)  # the test rule does not exclude dibao
    monitoring.risk_scan(actor=make_user("county_officer", "150402"), on=ON)
    case = RiskCase.objects.get()
    worker = make_user("township_officer", "150402001")
    monitoring.case_visit(actor=worker, case_id=case.pk, visited_on=ON, note="核实", confirmed=True)
    assert list(
        HouseholdStatus.objects.filter(household=person.household).values_list("status", flat=True)
    ) == ["dibao"]


def test_an_alert_is_not_closed_without_a_visit(config: Any) -> None:
    certified(income="100")
    monitoring.risk_scan(actor=make_user("county_officer", "150402"), on=ON)
    case = RiskCase.objects.get()
    worker = make_user("village_worker", VILLAGE)
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        monitoring.case_close(actor=worker, case_id=case.pk, closed_on=ON, note="无风险")
    assert refused.value.code == "visit_required"
    assert refused.value.message_zh
    assert refused.value.message_en
    case.refresh_from_db()
    assert case.status == "open"
    assert AuditEntry.objects.count() == before


def test_another_region_case_is_not_found(config: Any) -> None:
    certified(income="100")
    monitoring.risk_scan(actor=make_user("county_officer", "150402"), on=ON)
    case = RiskCase.objects.get()
    for outsider in (
        make_user("county_officer", "150404"),
        make_user("village_worker", "150402001002"),
        make_user("volunteer", VILLAGE),
    ):
        with pytest.raises(PermissionRefused):
            monitoring.case_visit(
                actor=outsider, case_id=case.pk, visited_on=ON, note="x", confirmed=True
            )
    assert not monitoring.cases(make_user("county_officer", "150404")).exists()


def test_a_rule_that_does_not_compile_is_refused_and_nothing_written(config: Any) -> None:
    admin = config
    before = RiskRule.objects.count()
    for text, code in (
        ("survey.income_per_capita < {monitoring_line} &&", None),
        ('household.status == "rich"', None),
        ("survey.income_per_capita < {no_such_line}", "threshold_unknown"),
        ("certificate.levle == 1", None),
    ):
        with pytest.raises(ValidationFailed) as refused:
            monitoring.rule_save(
                actor=admin, code="bad", name_zh="坏规则", text=text, valid_from=ON
            )
        assert refused.value.message_zh
        assert refused.value.message_en
        if code:
            assert refused.value.code == code
        else:
            assert isinstance(refused.value, RuleError)
    assert RiskRule.objects.count() == before
    with pytest.raises(PermissionRefused):
        monitoring.rule_save(
            actor=make_user("county_officer", "150402"),
            code="x",
            name_zh="x",
            text="alive",
            valid_from=ON,
        )


def test_a_new_rule_version_ends_the_previous_one(config: Any) -> None:
    admin = config
    monitoring.rule_save(
        actor=admin,
        code="income_below_line",
        name_zh="家庭人均收入低于监测线",
        text=LINE_RULE + " && certificate.severe",
        valid_from=dt.date(2026, 7, 1),
    )
    versions = list(RiskRule.objects.order_by("valid_from").values_list("valid_to", flat=True))
    assert versions == [dt.date(2026, 6, 30), None]
    assert [r.text for r, _ in monitoring.rules_in_force(ON)] == [LINE_RULE]


def test_the_shipped_rules_compile() -> None:
    import importlib

    from django.apps import apps

    RiskRule.objects.all().delete()
    RiskThreshold.objects.all().delete()
    importlib.import_module("dpf.social.migrations.0003_ship_risk_rules").forwards(apps, None)
    importlib.import_module(
        "dpf.social.migrations.0010_ship_alone_dibao_ended_and_suspended_rules"
    ).forwards(apps, None)
    importlib.import_module("dpf.social.migrations.0011_ship_earner_lost_rule").forwards(apps, None)
    importlib.import_module("dpf.social.migrations.0012_ship_large_medical_expense_rule").forwards(
        apps, None
    )
    compiled = monitoring.rules_in_force(ON)
    assert {row.code for row, _ in compiled} == {
        "income_below_line",
        "severe_care_low_income",
        "severe_living_alone",
        "dibao_ended",
        "allowance_suspended",
        "earner_lost",
        "large_medical_expense",
    }


def test_the_scan_finds_living_alone_dibao_ended_and_allowance_suspended(config: Any) -> None:
    """The shipped rules of 0010, on households the registry describes and entitlements
    the benefits services suspend."""
    import importlib

    from django.apps import apps

    importlib.import_module(
        "dpf.social.migrations.0010_ship_alone_dibao_ended_and_suspended_rules"
    ).forwards(apps, None)
    alone = certified(income=None)  # level 2: severe; the only member of the household
    company = certified(income=None)
    make_person(household=company.household, village_code=VILLAGE)  # lives with someone
    ended = certified(income=None)
    registry.household_status_set(
        actor=None,
        household=ended.household,
        status="dibao",
        valid_from=dt.date(2024, 1, 1),
        valid_to=ON - dt.timedelta(days=10),
    )
    long_ago = certified(income=None)
    registry.household_status_set(
        actor=None,
        household=long_ago.household,
        status="dibao",
        valid_from=dt.date(2024, 1, 1),
        valid_to=ON - dt.timedelta(days=200),
    )
    make_person(household=ended.household, village_code=VILLAGE)
    make_person(household=long_ago.household, village_code=VILLAGE)
    benefit = BenefitItem.objects.order_by("code").first()
    assert benefit is not None
    suspended, resumed = certified(income=None), certified(income=None)
    for person in (suspended, resumed):
        make_person(household=person.household, village_code=VILLAGE)
        entitlement = benefits.entitlement_create(
            actor=None,
            person=person,
            benefit=benefit,
            valid_from=dt.date(2025, 1, 1),
            monthly_amount="100",
        )
        benefits.entitlement_suspend(
            actor=None, entitlement=entitlement, on=ON - dt.timedelta(days=20), reason="核查"
        )
    benefits.entitlement_create(  # received again from a week before the scan
        actor=None,
        person=resumed,
        benefit=benefit,
        valid_from=ON - dt.timedelta(days=7),
        monthly_amount="100",
    )
    monitoring.risk_scan(actor=make_user("county_officer", "150402"), on=ON)
    found = set(RiskCase.objects.values_list("rule_code", "household_id"))
    assert found == {
        ("severe_living_alone", alone.household_id),
        ("dibao_ended", ended.household_id),
        ("allowance_suspended", suspended.household_id),
    }
    # a past date keeps its answer: ten days before the scan both were suspended, the
    # resumption recorded since does not reach back; before the suspension neither was
    compiled = {row.code: rule for row, rule in monitoring.rules_in_force(ON)}
    rule = compiled["allowance_suspended"]
    on_then = set(
        rule.filter(Person.objects.all(), ON - dt.timedelta(days=10)).values_list("pk", flat=True)
    )
    assert on_then == {suspended.pk, resumed.pk}
    assert not rule.filter(Person.objects.all(), ON - dt.timedelta(days=30)).exists()


def test_the_scan_finds_a_household_whose_only_earner_stopped_working(config: Any) -> None:
    """The shipped rule of 0011 with 0010's threshold (90 days): the only earner's
    employment ended 30 days before the scan opens a case; another member still working, or
    an end long ago, does not."""
    import importlib

    from django.apps import apps

    for module in (
        "0010_ship_alone_dibao_ended_and_suspended_rules",
        "0011_ship_earner_lost_rule",
    ):
        importlib.import_module(f"dpf.social.migrations.{module}").forwards(apps, None)
    officer = make_user("county_officer", "150402")

    def household_with_earner(ended: dt.date) -> Any:
        disabled = certified(income=None)  # lives with the earner (not alone)
        earner = make_person(household=disabled.household, village_code=VILLAGE)
        job = records.employment_record(
            actor=officer,
            id_number=earner.id_number,
            kind="flexible",
            valid_from=dt.date(2020, 1, 1),
        )
        records.employment_end(actor=officer, employment_id=job.pk, valid_to=ended)
        return disabled

    lost = household_with_earner(ON - dt.timedelta(days=30))
    other_works = household_with_earner(ON - dt.timedelta(days=30))  # another works
    still = make_person(household=other_works.household, village_code=VILLAGE)
    records.employment_record(
        actor=officer,
        id_number=still.id_number,
        kind="agricultural",
        valid_from=dt.date(2024, 3, 1),
    )
    household_with_earner(ON - dt.timedelta(days=200))  # beyond the 90 days
    monitoring.risk_scan(actor=officer, on=ON)
    found = set(RiskCase.objects.values_list("rule_code", "household_id"))
    assert found == {("earner_lost", lost.household_id)}


def test_the_scan_finds_a_household_whose_only_earner_died_in_work(config: Any) -> None:
    """The only earner dies with the job still open (no end recorded): the job ends the day
    before the death, so the death 20 days before the scan opens a case for the household;
    an earner who died long ago, or while another member works, does not."""
    import importlib

    from django.apps import apps

    for module in (
        "0010_ship_alone_dibao_ended_and_suspended_rules",
        "0011_ship_earner_lost_rule",
    ):
        importlib.import_module(f"dpf.social.migrations.{module}").forwards(apps, None)
    officer = make_user("county_officer", "150402")

    def household_whose_earner_died(on: dt.date) -> Any:
        disabled = certified(income=None)
        earner = make_person(household=disabled.household, village_code=VILLAGE)
        records.employment_record(
            actor=officer,
            id_number=earner.id_number,
            kind="flexible",
            valid_from=dt.date(2020, 1, 1),
        )
        registry_changes.person_death_record(
            actor=officer, person=earner, on=on, reason="病故", today=ON
        )
        return disabled

    died = household_whose_earner_died(ON - dt.timedelta(days=20))
    other_works = household_whose_earner_died(ON - dt.timedelta(days=20))
    still = make_person(household=other_works.household, village_code=VILLAGE)
    records.employment_record(
        actor=officer,
        id_number=still.id_number,
        kind="agricultural",
        valid_from=dt.date(2024, 3, 1),
    )
    household_whose_earner_died(ON - dt.timedelta(days=200))  # beyond the 90 days
    monitoring.risk_scan(actor=officer, on=ON)
    # (the disabled members now living alone are severe_living_alone's, not this test's)
    found = set(RiskCase.objects.filter(rule_code="earner_lost").values_list("household_id"))
    assert found == {(died.household_id,)}


def test_the_scan_finds_a_household_with_large_medical_expenses(config: Any) -> None:
    """The shipped rule of 0012 with its threshold (20000 yuan): the members' out-of-pocket
    expenses over the 365 days up to the scan reach it; expenses paid by the insurance and
    the medical assistance, or settled before the year, do not count; a 低保 household is
    left out."""
    import importlib

    from django.apps import apps

    importlib.import_module("dpf.social.migrations.0012_ship_large_medical_expense_rule").forwards(
        apps, None
    )
    officer = make_user("county_officer", "150402")
    year_ago = ON - dt.timedelta(days=364)

    def settle(person: Any, number: str, on: dt.date, total: str, paid: str = "0") -> None:
        MedicalSettlement.objects.create(
            person=person,
            settlement_no=number,
            settled_on=on,
            total=Decimal(total),
            reimbursed=Decimal(paid),
            assistance=Decimal(0),
            out_of_pocket=Decimal(total) - Decimal(paid),
        )

    sick = certified(income=None)
    member = make_person(household=sick.household, village_code=VILLAGE)
    settle(sick, "A1", year_ago, "15000")  # the year's first day
    settle(member, "A2", ON, "50000", paid="45000")  # 5000 left to pay
    insured = certified(income=None)
    settle(insured, "B1", ON, "90000", paid="80000")  # 10000 left
    settle(insured, "B2", year_ago - dt.timedelta(days=1), "15000")  # before the year
    poor = certified(income=None)
    registry.household_status_set(
        actor=None, household=poor.household, status="dibao", valid_from=dt.date(2020, 1, 1)
    )
    settle(poor, "C1", ON, "30000")
    monitoring.risk_scan(actor=officer, on=ON)
    found = set(
        RiskCase.objects.filter(rule_code="large_medical_expense").values_list(
            "household_id", flat=True
        )
    )
    assert found == {sick.household_id}
