"""Registry selectors: query recognition, scoped search, facts as of a date, timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import translation

from dpf.core.dates import age_on
from dpf.core.errors import NotFound, ValidationFailed
from dpf.registry import search_selectors, selectors, services, timeline_selectors
from dpf.registry.models import (
    InsuranceEnrolment,
    NeedsSurvey,
    OutsidePayment,
    Person,
    Residence,
    SchoolEnrolment,
)
from tests.factories import make_person, make_user

D = dt.date


@pytest.fixture(autouse=True)
def chinese_outside_requests() -> Iterator[None]:
    """Labels built outside a request are in the default language, whatever ran before."""
    with translation.override("zh-hans"):
        yield


@pytest.mark.parametrize(
    ("query", "kind", "text"),
    [
        ("", "empty", ""),
        ("   ", "empty", ""),
        ("11010519491231002x", "id", "11010519491231002X"),
        (" 360121197011210013 ", "id", "360121197011210013"),
        ("360121701121001", "id", "360121701121001"),
        ("36012119701121001343", "certificate", "36012119701121001343"),
        ("1504", "partial_number", "1504"),
        ("zhm", "pinyin", "zhm"),
        ("Zhang Hai Ming", "pinyin", "zhanghaiming"),
        ("张海明", "name", "张海明"),
        ("张 海明", "name", "张海明"),
        ("张h", "name", "张h"),
    ],
)
def test_classify_query(query: str, kind: str, text: str) -> None:
    assert search_selectors.classify_query(query) == (kind, text)


def test_age_on_counts_completed_years() -> None:
    assert age_on(D(2000, 2, 29), D(2024, 2, 28)) == 23
    assert age_on(D(2000, 2, 29), D(2024, 2, 29)) == 24
    assert age_on(D(2000, 3, 1), D(2000, 3, 1)) == 0


@pytest.mark.django_db
def test_search_is_scoped_and_refuses_regions_outside(county_officer) -> None:
    make_person(name="张海明", village_code="150402001001")
    make_person(name="张海明", village_code="150404002001")
    page = search_selectors.search_persons(county_officer, query="张海明")
    assert [r.county_name for r in page.rows] == ["红山区"]
    with pytest.raises(ValidationFailed) as info:
        search_selectors.search_persons(county_officer, query="张", region_code="150404")
    assert info.value.field == "region"
    nobody = make_user("viewer", "150400")
    assert search_selectors.search_persons(nobody, query="张海明").rows == []


@pytest.mark.django_db
def test_search_counts_up_to_a_cap(county_officer, monkeypatch) -> None:
    for i in range(7):
        make_person(name=f"李{chr(0x4E00 + i)}")
    monkeypatch.setattr(search_selectors, "COUNT_CAP", 5)
    page = search_selectors.search_persons(county_officer, query="李", per_page=2)
    assert (page.count, page.count_capped, len(page.rows)) == (5, True, 2)
    monkeypatch.setattr(search_selectors, "COUNT_CAP", 100)
    page = search_selectors.search_persons(county_officer, query="李", per_page=2, page=4)
    assert (page.count, page.count_capped, page.num_pages) == (7, False, 4)
    assert len(page.rows) == 1
    assert not page.has_next
    assert page.has_previous
    # A page past the end shows the last page.
    past = search_selectors.search_persons(county_officer, query="李", per_page=2, page=9)
    assert past.page == 4
    assert [r.pk for r in past.rows] == [r.pk for r in page.rows]


@pytest.mark.django_db
def test_search_pages_are_disjoint_and_ordered(county_officer) -> None:
    names = ["王五", "王一", "王三", "王二", "王四"]
    for name in names:
        make_person(name=name)
    seen: list[int] = []
    for number in (1, 2, 3):
        page = search_selectors.search_persons(county_officer, query="王", per_page=2, page=number)
        seen += [r.pk for r in page.rows]
    assert len(seen) == len(set(seen)) == 5
    expected = list(
        Person.objects.filter(name__in=names)
        .order_by("name_pinyin", "name", "pk")
        .values_list("pk", flat=True)
    )
    assert seen == expected


@pytest.mark.django_db
def test_region_choices_stay_in_scope(county_officer, city_admin, village_worker) -> None:
    county = dict(selectors.region_filter_choices(county_officer))
    assert "150402001" in county
    assert not any(c.startswith("150404") for c in county)
    assert not any(len(c) == 12 for c in county)  # no villages for a county
    city = dict(selectors.region_filter_choices(city_admin))
    assert {"150402", "150404", "150404002"} <= set(city)
    village = dict(selectors.village_choices(village_worker))
    assert list(village) == ["150402001001"]
    assert "测试街道一" in selectors.village_choices(county_officer)[0][1]
    assert selectors.region_filter_choices(make_user("viewer", "150400")) == []


@pytest.mark.django_db
def test_person_detail_outside_scope_is_not_found(county_officer) -> None:
    elsewhere = make_person(village_code="150404002001")
    with pytest.raises(NotFound):
        selectors.person_detail(county_officer, elsewhere.pk)
    with pytest.raises(NotFound):
        selectors.person_for_change(county_officer, elsewhere.pk)
    with pytest.raises(NotFound):
        selectors.household_detail(county_officer, elsewhere.household_id or 0)
    with pytest.raises(NotFound):
        selectors.person_detail(county_officer, 10**9)


@pytest.mark.django_db
def test_household_members_are_scoped(county_officer) -> None:
    head = make_person(name="户主", village_code="150402001001")
    moved = make_person(
        name="外迁成员",
        village_code="150404002001",
        household=head.household,
        relation_to_head="child",
    )
    detail = selectors.household_detail(county_officer, head.household_id or 0)
    assert [m.name for m in detail.members] == ["户主"]
    assert moved.pk not in [m.pk for m in detail.members]


# --- as of a date -------------------------------------------------------------------------


@pytest.mark.django_db
def test_certificate_as_of_follows_regrading_with_inclusive_bounds() -> None:
    person = make_person()
    first = services.certificate_issue(
        actor=None, person=person, category=4, level=3, issue_date=D(2018, 4, 10)
    )
    second = services.certificate_regrade(
        actor=None, certificate=first, category=4, level=1, on=D(2022, 7, 1)
    )
    assert selectors.certificate_as_of(person, D(2018, 4, 9)) is None
    assert selectors.certificate_as_of(person, D(2018, 4, 10)) == first
    assert selectors.certificate_as_of(person, D(2022, 6, 30)) == first
    assert selectors.certificate_as_of(person, D(2022, 7, 1)) == second
    end = second.valid_to
    assert end is not None
    assert selectors.certificate_as_of(person, end) == second
    assert selectors.certificate_as_of(person, end + dt.timedelta(days=1)) is None


@pytest.mark.django_db
def test_household_status_as_of() -> None:
    person = make_person()
    household = person.household
    assert household is not None
    services.household_status_set(
        actor=None, household=household, status="dibao", valid_from=D(2020, 1, 1)
    )
    services.household_status_set(
        actor=None, household=household, status="lifted", valid_from=D(2023, 12, 31)
    )
    assert selectors.household_status_as_of(household, D(2019, 12, 31)) is None
    mid = selectors.household_status_as_of(household, D(2023, 12, 30))
    end = selectors.household_status_as_of(household, D(2023, 12, 31))
    assert mid is not None
    assert mid.status == "dibao"
    assert end is not None
    assert end.status == "lifted"
    later = selectors.household_status_as_of(household, D(2030, 1, 1))
    assert later is not None
    assert later.status == "lifted"


@pytest.mark.django_db
def test_insurance_as_of_by_kind() -> None:
    person = make_person()
    InsuranceEnrolment.objects.create(
        person=person, kind="medical", valid_from=D(2021, 1, 1), valid_to=D(2021, 12, 31)
    )
    pension = InsuranceEnrolment.objects.create(
        person=person, kind="pension", valid_from=D(2021, 6, 1), government_paid=True
    )
    assert selectors.insurance_as_of(person, "medical", D(2021, 12, 31)) is not None
    assert selectors.insurance_as_of(person, "medical", D(2022, 1, 1)) is None
    assert selectors.insurance_as_of(person, "pension", D(2021, 5, 31)) is None
    assert selectors.insurance_as_of(person, "pension", D(2025, 12, 31)) == pension


@pytest.mark.django_db
def test_residence_as_of_follows_a_move(regions) -> None:
    person = make_person(village_code="150402001001", birth=D(1980, 5, 17))
    services.person_move(actor=None, person=person, village_code="150404002001", on=D(2021, 3, 1))
    before = selectors.residence_as_of(person, D(2021, 2, 28))
    after = selectors.residence_as_of(person, D(2021, 3, 1))
    assert before is not None
    assert before.village_code == "150402001001"
    assert after is not None
    assert after.village_code == "150404002001"
    assert selectors.residence_as_of(person, D(1980, 5, 16)) is None  # before birth
    person.refresh_from_db()
    assert (person.county_code, person.village_code) == ("150404", "150404002001")


# --- timeline -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_timeline_merges_every_fact_in_date_order(village_worker, time_machine) -> None:
    # The timeline shows what has happened by today: today is fixed before the regraded
    # certificate's expiry (2030), so the list does not grow with the machine's clock.
    time_machine.move_to(dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC))
    person = make_person(actor=village_worker, birth=D(1980, 5, 17))
    household = person.household
    assert household is not None
    # Moved to the other village of the township in 2015.
    first = Residence.objects.get(person=person)
    first.valid_to = D(2014, 12, 31)
    first.save()
    Residence.objects.create(
        person=person,
        county_code="150402",
        township_code="150402001",
        village_code="150402001002",
        valid_from=D(2015, 1, 1),
        source="roster:gongan",
    )
    cert = services.certificate_issue(
        actor=None, person=person, category=4, level=3, issue_date=D(2016, 3, 1)
    )
    services.certificate_regrade(
        actor=None, certificate=cert, category=4, level=2, on=D(2020, 3, 1)
    )
    services.household_status_set(
        actor=None, household=household, status="dibao", valid_from=D(2018, 1, 1)
    )
    services.household_status_set(
        actor=None, household=household, status="none", valid_from=D(2022, 1, 1)
    )
    InsuranceEnrolment.objects.create(
        person=person, kind="pension", valid_from=D(2019, 1, 1), valid_to=D(2019, 12, 31)
    )
    SchoolEnrolment.objects.create(person=person, school="特教学校", valid_from=D(1990, 9, 1))
    OutsidePayment.objects.create(person=person, kind="work_injury_care", valid_from=D(2021, 5, 1))
    NeedsSurvey.objects.create(
        person=person, year=2024, survey_date=D(2024, 6, 3), surveyor_name="王专委"
    )
    Person.objects.filter(pk=person.pk).update(death_date=D(2025, 2, 2))
    person.refresh_from_db()

    events = timeline_selectors.person_timeline(person)
    labels = [(e.date, e.label) for e in events]
    assert labels == [
        (D(1980, 5, 17), "登记居住地"),
        (D(1990, 9, 1), "入学"),
        (D(2015, 1, 1), "迁入"),
        (D(2016, 3, 1), "发放残疾人证"),
        (D(2018, 1, 1), "家庭经济状况"),
        (D(2019, 1, 1), "参保"),
        (D(2020, 1, 1), "停保"),
        (D(2020, 3, 1), "重新评定，换发残疾人证"),
        (D(2021, 5, 1), "开始领取"),
        (D(2022, 1, 1), "家庭经济状况"),
        (D(2024, 6, 3), "需求调查"),
        (D(2025, 2, 2), "死亡"),
    ]
    by_date = {e.date: e for e in events}
    assert by_date[D(2015, 1, 1)].detail == "测试社区二"
    # who said so in words (issue 17 part 10): a roster, the staff member by name
    assert by_date[D(2015, 1, 1)].source == "部门名单导入"
    assert by_date[D(1980, 5, 17)].source == village_worker.username
    assert by_date[D(2020, 3, 1)].detail == "肢体残疾 二级"
    assert by_date[D(2022, 1, 1)].detail == "一般"
    assert by_date[D(2024, 6, 3)].source == "王专委"
    # The page shows the same timeline.
    assert selectors.person_detail(village_worker, person.pk).timeline == events


@pytest.mark.django_db
def test_timeline_shows_cancellation_and_expiry() -> None:
    person = make_person()
    old = services.certificate_issue(
        actor=None, person=person, category=1, level=4, issue_date=D(2005, 1, 1)
    )
    assert old.valid_to == D(2014, 12, 31)
    new = services.certificate_issue(
        actor=None, person=person, category=1, level=4, issue_date=D(2016, 1, 1)
    )
    services.certificate_end(
        actor=None, certificate=new, on=D(2019, 5, 5), status="cancelled", reason="迁出本市"
    )
    events = [(e.date, e.label, e.detail) for e in timeline_selectors.person_timeline(person)]
    assert (D(2015, 1, 1), "残疾人证到期", "视力残疾 四级") in events
    assert (D(2019, 5, 5), "注销残疾人证", "视力残疾 四级 迁出本市") in events


@pytest.mark.django_db
def test_timeline_shows_medical_settlements_with_their_amounts() -> None:
    """A settlement the medical insurance bureau sent is on the person's page, dated by its
    settlement day, with what the person paid: the figure return-to-poverty monitoring
    reads (``household.medical_out_of_pocket_year``)."""
    from decimal import Decimal

    from dpf.registry.medical_models import MedicalSettlement

    person = make_person()
    MedicalSettlement.objects.create(
        person=person,
        settlement_no="JS-2025-7",
        settled_on=D(2025, 3, 9),
        total=Decimal("30000.00"),
        reimbursed=Decimal("18000.00"),
        assistance=Decimal("2000.00"),
        out_of_pocket=Decimal("10000.00"),
        source="roster:12",
    )
    with translation.override("zh-hans"):
        events = timeline_selectors.person_timeline(person)
    medical = [e for e in events if e.kind == "medical"]
    assert [(e.date, e.label) for e in medical] == [(D(2025, 3, 9), "医疗费用结算")]
    assert "JS-2025-7" in medical[0].detail
    assert "个人自付 10000.00 元" in medical[0].detail
    assert medical[0].source == "部门名单导入（批次 12）"
