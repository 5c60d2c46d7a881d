"""Staff pages of the registry: search, person page, registration and its refusals."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from dpf.core.models import AuditEntry
from dpf.registry import services
from dpf.registry.models import Certificate, Household, HouseholdStatus, Person
from tests.factories import make_person, make_user, new_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chinese_outside_requests() -> Iterator[None]:
    """Labels built outside a request are in the default language, whatever ran before."""
    with translation.override("zh-hans"):
        yield


SEARCH = reverse("registry:search")
PERSON_NEW = reverse("registry:person_new")


def _login(client: Client, user) -> Client:
    client.force_login(user)
    return client


def _html(response) -> str:
    return response.content.decode()


def _result_names(html: str) -> list[str]:
    """The names in the results table (each links to a person page)."""
    return re.findall(r'<th scope="row"><a href="/registry/person/\d+/">([^<]+)</a>', html)


@pytest.fixture
def people(regions):
    """Three people in 红山区 (150402) and one in 松山区 (150404), with certificates."""
    zhang = make_person(name="张海明", village_code="150402001001")
    zhao = make_person(name="赵慧敏", village_code="150402001002", sex="F")
    wu = make_person(name="乌云其木格", village_code="150402001001", sex="F")
    bat = make_person(name="巴特尔", village_code="150404002001")
    for person, category, level in ((zhang, 4, 2), (zhao, 2, 3), (bat, 5, 1)):
        services.certificate_issue(
            actor=None,
            person=person,
            category=category,
            level=level,
            issue_date=dt.date(2023, 3, 1),
        )
    return {"zhang": zhang, "zhao": zhao, "wu": wu, "bat": bat}


# --- search -----------------------------------------------------------------------------


def test_search_page_has_labelled_box_and_scoped_regions(client, county_officer) -> None:
    html = _html(_login(client, county_officer).get(SEARCH))
    assert '<label for="id_q">姓名、身份证号或拼音首字母' in html
    assert 'method="post"' in html
    assert 'aria-live="polite"' in html
    region_select = html[html.index('<select name="region"') :]
    region_select = region_select[: region_select.index("</select>")]
    assert "150402001" in region_select
    assert "150404" not in region_select


def test_search_by_id_number_posts_and_never_shows_the_number(
    client, county_officer, people
) -> None:
    zhang = people["zhang"]
    response = _login(client, county_officer).post(SEARCH, {"q": zhang.id_number})
    html = _html(response)
    assert _result_names(html) == ["张海明"]
    assert zhang.id_number not in html
    assert zhang.id_number_masked in html
    assert "肢体残疾 二级" in html
    assert "找到 1 人" in html


def test_search_by_lowercase_x_and_by_certificate_number(client, county_officer) -> None:
    number = "15040219800517" + "0" * 3
    from dpf.core.idnumber import check_character

    number = number + check_character(number)
    person = make_person(name="王小明", id_number=number)
    cert = services.certificate_issue(
        actor=None, person=person, category=1, level=2, issue_date=dt.date(2022, 1, 1)
    )
    client = _login(client, county_officer)
    assert _result_names(_html(client.post(SEARCH, {"q": number.lower()}))) == ["王小明"]
    assert _result_names(_html(client.post(SEARCH, {"q": cert.number}))) == ["王小明"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("海明", ["张海明"]),
        ("zhm", ["张海明", "赵慧敏"]),
        ("ZHM", ["张海明", "赵慧敏"]),
        ("zhanghaiming", ["张海明"]),
        ("zhao", ["赵慧敏"]),
        ("wy", ["乌云其木格"]),
        ("李", []),
    ],
)
def test_search_by_name_and_pinyin(client, county_officer, people, query, expected) -> None:
    html = _html(_login(client, county_officer).post(SEARCH, {"q": query}))
    assert sorted(_result_names(html)) == sorted(expected)
    if not expected:
        assert "没有找到符合条件的人员" in html


def test_malformed_id_number_is_refused_next_to_the_box(client, county_officer, people) -> None:
    html = _html(_login(client, county_officer).post(SEARCH, {"q": "150402198005171231"}))
    assert 'role="alert"' in html
    assert "身份证号码校验位错误" in html
    assert 'aria-invalid="true"' in html
    assert _result_names(html) == []


def test_partial_number_is_refused(client, county_officer, people) -> None:
    html = _html(_login(client, county_officer).post(SEARCH, {"q": "1504021980"}))
    assert "请输入完整的18位身份证号码" in html
    assert _result_names(html) == []


def test_id_number_in_a_get_url_is_refused(client, county_officer, people) -> None:
    zhang = people["zhang"]
    html = _html(_login(client, county_officer).get(SEARCH, {"q": zhang.id_number}))
    assert _result_names(html) == []
    assert "不能放在网址中" in html


def test_name_search_by_get_works(client, county_officer, people) -> None:
    html = _html(_login(client, county_officer).get(SEARCH, {"q": "张"}))
    assert _result_names(html) == ["张海明"]


def test_region_filter(client, city_admin, people) -> None:
    client = _login(client, city_admin)
    everywhere = _result_names(_html(client.post(SEARCH, {"q": "", "region": "150400"})))
    assert sorted(everywhere) == sorted(["张海明", "赵慧敏", "乌云其木格", "巴特尔"])
    county = _result_names(_html(client.post(SEARCH, {"region": "150404"})))
    assert county == ["巴特尔"]
    village = _result_names(_html(client.post(SEARCH, {"q": "", "region": "150402001002"})))
    assert village == []  # villages are not offered to a city admin: refused as unknown
    township = _result_names(_html(client.post(SEARCH, {"region": "150402001"})))
    assert sorted(township) == sorted(["张海明", "赵慧敏", "乌云其木格"])


def test_region_outside_scope_is_refused(client, county_officer, people) -> None:
    html = _html(_login(client, county_officer).post(SEARCH, {"q": "巴特尔", "region": "150404"}))
    assert _result_names(html) == []
    assert 'role="alert"' in html


def test_search_never_finds_people_outside_the_scope(client, people) -> None:
    officer = make_user("county_officer", "150404")
    client = _login(client, officer)
    assert _result_names(_html(client.post(SEARCH, {"q": people["zhang"].id_number}))) == []
    assert _result_names(_html(client.post(SEARCH, {"q": "zh"}))) == []
    assert _result_names(_html(client.post(SEARCH, {"q": "巴"}))) == ["巴特尔"]


def test_village_worker_sees_only_the_village(client, village_worker, people) -> None:
    html = _html(_login(client, village_worker).post(SEARCH, {"q": "zhm"}))
    assert _result_names(html) == ["张海明"]


def test_pagination_by_get_links(client, county_officer) -> None:
    for i in range(23):
        make_person(name=f"张{chr(0x4E00 + i)}")
    client = _login(client, county_officer)
    html = _html(client.post(SEARCH, {"q": "张"}))
    assert len(_result_names(html)) == 20
    assert "找到 23 人" in html
    assert 'aria-label="分页"' in html
    link = re.search(r'href="\?([^"]*page=2)"', html)
    assert link is not None
    response = client.get(SEARCH + "?" + link.group(1).replace("&amp;", "&"))
    page_two = _result_names(_html(response))
    assert len(page_two) == 3
    assert not set(page_two) & set(_result_names(html))
    assert 'aria-current="page"' in _html(response)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("999999", 2),  # past the last page: the last page
        ("99999999999999999999", 2),  # past SQLite's and PostgreSQL's OFFSET range (was 500)
        ("9223372036854775807", 2),
        ("abc", 1),
        ("-1", 1),
        ("0", 1),
    ],
)
def test_a_page_number_typed_out_of_range_shows_a_page_never_an_error(
    client, county_officer, typed, shown
) -> None:
    for i in range(23):
        make_person(name=f"张{chr(0x4E00 + i)}")
    client = _login(client, county_officer)
    client.raise_request_exception = True
    response = client.get(SEARCH, {"q": "张", "page": typed})
    assert response.status_code == 200
    html = _html(response)
    assert len(_result_names(html)) == (3 if shown == 2 else 20)
    current = re.search(r'aria-current="page">.*?(\d+)', html)
    assert current is not None
    assert current.group(1) == str(shown)


def test_search_query_count_does_not_grow_with_rows(
    client, county_officer, django_assert_max_num_queries
) -> None:
    for i in range(30):
        person = make_person(name=f"赵{chr(0x4E00 + i)}")
        services.certificate_issue(
            actor=None, person=person, category=4, level=3, issue_date=dt.date(2021, 1, 1)
        )
    client = _login(client, county_officer)
    client.post(SEARCH, {"q": "赵"})  # session and caches warmed
    with CaptureQueriesContext(connection) as thirty:
        client.post(SEARCH, {"q": "赵"})
    for i in range(30, 60):
        make_person(name=f"赵{chr(0x4E00 + i)}")
    with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as sixty:
        html = _html(client.post(SEARCH, {"q": "赵"}))
    assert len(_result_names(html)) == 20
    assert len(sixty) == len(thirty)


# --- person page ------------------------------------------------------------------------


def test_person_page_shows_masked_identity_household_and_history(
    client, county_officer, people
) -> None:
    zhang = people["zhang"]
    spouse = make_person(
        name="李秀英",
        village_code="150402001001",
        sex="F",
        household=zhang.household,
        relation_to_head="spouse",
        phone="13800001234",
    )
    services.household_status_set(
        actor=None, household=zhang.household, status="dibao", valid_from=dt.date(2022, 1, 1)
    )
    response = _login(client, county_officer).get(reverse("registry:person", args=[spouse.pk]))
    html = _html(response)
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert spouse.id_number not in html
    assert spouse.id_number_masked in html
    assert "13800001234" not in html
    assert "138****1234" in html
    assert "测试社区一" in html
    assert "测试街道一" in html
    assert "配偶" in html
    assert "低保" in html
    assert f'href="/registry/person/{zhang.pk}/"' in html  # the other member links
    assert "变化记录" in html
    assert "登记居住地" in html


def test_person_view_is_audited(client, county_officer, people) -> None:
    zhang = people["zhang"]
    client = _login(client, county_officer)
    before = AuditEntry.objects.count()
    client.get(reverse("registry:person", args=[zhang.pk]))
    entry = AuditEntry.objects.latest("id")
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.object_type, entry.object_id) == ("view", "person", str(zhang.pk))
    assert entry.actor_id == county_officer.pk


def test_person_outside_scope_is_404(client, people) -> None:
    officer = make_user("county_officer", "150404")
    response = _login(client, officer).get(reverse("registry:person", args=[people["zhang"].pk]))
    assert response.status_code == 404
    assert "张海明" not in _html(response)
    assert not AuditEntry.objects.filter(action="view", object_type="person").exists()


def test_person_page_query_count_is_fixed(client, county_officer, people) -> None:
    zhang = people["zhang"]
    client = _login(client, county_officer)
    url = reverse("registry:person", args=[zhang.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(4):
        make_person(name=f"成员{i}", household=zhang.household, relation_to_head="child")
        services.household_status_set(
            actor=None,
            household=zhang.household,
            status="dibao" if i % 2 else "none",
            valid_from=dt.date(2020 + i, 1, 1),
        )
    cert = Certificate.objects.get(person=zhang)
    services.certificate_regrade(
        actor=None, certificate=cert, category=4, level=1, on=dt.date(2024, 6, 1)
    )
    with CaptureQueriesContext(connection) as large:
        html = _html(client.get(url))
    assert html.count("成员") >= 4
    assert len(large) == len(small)
    # 25 for the record itself; the situation section (workflow_person: entitlements,
    # applications, payments, the rules evaluated once for the person) adds a fixed dozen;
    # the services received on the timeline (registry.timeline_sources: employment, the
    # services app's seven kinds of record, training, volunteer events) a fixed ten.
    assert len(large) <= 50


# --- registration -----------------------------------------------------------------------


def _registration(**overrides: str) -> dict[str, str]:
    data = {
        "name": "高桂芝",
        "id_number": new_id_number("150402", dt.date(1966, 2, 3), "F"),
        "ethnicity": "蒙古族",
        "phone": "13912345678",
        "village": "150402001002",
        "household": "",
        "relation_to_head": "head",
        "certificate_number": "",
        "certificate_category": "",
        "certificate_level": "",
        "certificate_issue_date": "",
    }
    data.update(overrides)
    return data


def _written() -> tuple[int, int, int, int]:
    return (
        Person.objects.count(),
        Household.objects.count(),
        Certificate.objects.count(),
        AuditEntry.objects.exclude(action__in=("view", "permission_denied", "login")).count(),
    )


def test_register_form_fields_are_labelled_and_marked_required(client, county_officer) -> None:
    html = _html(_login(client, county_officer).get(PERSON_NEW))
    for name in ("name", "id_number", "village", "phone", "certificate_number"):
        assert f'for="id_{name}"' in html
    assert "（必填）" in html
    assert "（选填）" in html
    assert "150404002001" not in html  # villages outside the scope are not offered


def test_register_with_certificate_succeeds(client, county_officer) -> None:
    data = _registration(
        certificate_category="1", certificate_level="2", certificate_issue_date="2024-05-06"
    )
    response = _login(client, county_officer).post(PERSON_NEW, data, follow=True)
    person = Person.objects.get(name="高桂芝")
    assert response.redirect_chain[-1][0] == reverse("registry:person", args=[person.pk])
    html = _html(response)
    assert "已登记：高桂芝" in html
    assert person.ethnicity == "蒙古族"
    assert person.sex == "F"
    cert = Certificate.objects.get(person=person)
    assert (cert.category, cert.level, cert.issue_date) == (1, 2, dt.date(2024, 5, 6))


def test_register_into_existing_household(client, county_officer, people) -> None:
    household = people["zhang"].household
    data = _registration(household=str(household.pk), relation_to_head="child")
    _login(client, county_officer).post(PERSON_NEW, data)
    person = Person.objects.get(name="高桂芝")
    assert person.household_id == household.pk
    assert person.relation_to_head == "child"


def _assert_refused(html: str, field: str, message: str) -> None:
    assert 'role="alert"' in html
    assert f'href="#id_{field}"' in html  # the summary links to the field
    assert message in html
    field_tag = re.search(rf'<(input|select)[^>]*id="id_{field}"[^>]*>', html)
    assert field_tag is not None
    assert 'aria-invalid="true"' in field_tag.group(0)
    assert f"id_{field}_error" in field_tag.group(0)  # aria-describedby
    assert f'id="id_{field}_error"' in html


def test_malformed_id_is_refused_and_typed_values_kept(client, county_officer) -> None:
    before = _written()
    data = _registration(id_number="150402196602031231", phone="13900001111")
    response = _login(client, county_officer).post(PERSON_NEW, data)
    html = _html(response)
    assert response.status_code == 400
    _assert_refused(html, "id_number", "身份证号码校验位错误")
    assert 'value="高桂芝"' in html
    assert 'value="13900001111"' in html
    assert 'value="蒙古族"' in html
    assert re.search(r'<option value="150402001002" selected>', html)
    assert _written() == before


def test_duplicate_id_is_refused(client, county_officer, people) -> None:
    before = _written()
    data = _registration(id_number=people["zhang"].id_number)
    html = _html(_login(client, county_officer).post(PERSON_NEW, data))
    _assert_refused(html, "id_number", "该身份证号码已登记")
    assert _written() == before


def test_certificate_number_of_another_person_writes_nothing(
    client, county_officer, people
) -> None:
    before = _written()
    other = people["zhao"].id_number + "41"
    data = _registration(certificate_number=other, certificate_issue_date="2024-01-01")
    html = _html(_login(client, county_officer).post(PERSON_NEW, data))
    _assert_refused(html, "certificate_number", "残疾人证号中的身份证号码与本人不一致")
    assert _written() == before
    assert not Person.objects.filter(name="高桂芝").exists()


def _assert_kept(html: str, data: dict[str, str], *names: str) -> None:
    """The form shows again what the user typed in ``names``."""
    for name in names:
        field_tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
        assert field_tag is not None, name
        assert f'value="{data[name]}"' in field_tag.group(0), name


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("1504021966020300", "残疾人证号应为20位"),  # too short
        ("{id}83", "残疾类别应为1至7"),
        ("{id}45", "残疾等级应为1至4"),
        ("15040219660230002X41", "身份证号码中的出生日期不存在"),  # embedded ID, 30 February
    ],
)
def test_malformed_certificate_number_is_refused_and_typed_values_kept(
    client, county_officer, number: str, message: str
) -> None:
    before = _written()
    data = _registration(certificate_issue_date="2024-01-01")
    data["certificate_number"] = number.format(id=data["id_number"])
    html = _html(_login(client, county_officer).post(PERSON_NEW, data))
    _assert_refused(html, "certificate_number", message)
    _assert_kept(
        html, data, "name", "id_number", "phone", "certificate_number", "certificate_issue_date"
    )
    assert _written() == before


def test_impossible_birth_date_in_the_id_number_is_refused(client, county_officer) -> None:
    before = _written()
    data = _registration(id_number="150402199902300021")  # 30 February 1999
    html = _html(_login(client, county_officer).post(PERSON_NEW, data))
    _assert_refused(html, "id_number", "身份证号码中的出生日期不存在")
    _assert_kept(html, data, "name", "id_number", "phone", "ethnicity")
    assert _written() == before


def test_impossible_issue_date_is_refused(client, county_officer) -> None:
    before = _written()
    data = _registration(
        certificate_category="4", certificate_level="2", certificate_issue_date="2024-02-30"
    )
    html = _html(_login(client, county_officer).post(PERSON_NEW, data))
    _assert_refused(html, "certificate_issue_date", "有效的日期")  # Django's "enter a valid date"
    _assert_kept(html, data, "name", "id_number", "phone", "certificate_issue_date")
    assert re.search(r'<option value="4" selected>', html)
    assert _written() == before


def test_refusals_keep_typed_values_for_duplicate_and_mismatch(
    client, county_officer, people
) -> None:
    client = _login(client, county_officer)
    duplicate = _registration(id_number=people["zhang"].id_number)
    html = _html(client.post(PERSON_NEW, duplicate))
    _assert_refused(html, "id_number", "该身份证号码已登记")
    _assert_kept(html, duplicate, "name", "phone", "ethnicity")
    mismatch = _registration(
        certificate_number=people["zhao"].id_number + "41", certificate_issue_date="2024-01-01"
    )
    html = _html(client.post(PERSON_NEW, mismatch))
    _assert_kept(html, mismatch, "name", "id_number", "phone", "certificate_issue_date")


def test_refusal_in_english(client, county_officer, people) -> None:
    client = _login(client, county_officer)
    client.post("/i18n/setlang/", {"language": "en", "next": PERSON_NEW})
    before = _written()
    html = _html(client.post(PERSON_NEW, _registration(id_number=people["zhang"].id_number)))
    _assert_refused(html, "id_number", "a person with this ID number is already registered")
    assert _written() == before


def test_incomplete_certificate_is_refused(client, county_officer) -> None:
    before = _written()
    data = _registration(certificate_category="4")
    html = _html(_login(client, county_officer).post(PERSON_NEW, data))
    _assert_refused(html, "certificate_issue_date", "填写残疾人证时此项必填")
    _assert_refused(html, "certificate_level", "填写残疾人证时此项必填")
    assert _written() == before


def test_household_outside_scope_is_refused(client, county_officer, people) -> None:
    before = _written()
    data = _registration(household=str(people["bat"].household_id))
    html = _html(_login(client, county_officer).post(PERSON_NEW, data))
    _assert_refused(html, "household", "所选家庭不存在")
    assert _written() == before


def test_village_outside_scope_is_refused(client, county_officer) -> None:
    before = _written()
    html = _html(
        _login(client, county_officer).post(PERSON_NEW, _registration(village="150404002001"))
    )
    _assert_refused(html, "village", "150404002001")  # Django's "not one of the choices"
    assert _written() == before


def test_village_worker_registers_without_certificate_fields(client, village_worker) -> None:
    client = _login(client, village_worker)
    html = _html(client.get(PERSON_NEW))
    assert "id_certificate_number" not in html
    data = _registration(village="150402001001", certificate_category="1")
    response = client.post(PERSON_NEW, data)
    assert response.status_code == 302
    assert not Certificate.objects.exists()  # the field is not there, so it is ignored


# --- certificates and households --------------------------------------------------------


def test_add_certificate_and_overlap_refused(client, county_officer, people) -> None:
    wu = people["wu"]
    url = reverse("registry:certificate_new", args=[wu.pk])
    client = _login(client, county_officer)
    response = client.post(url, {"category": "3", "level": "4", "issue_date": "2020-02-02"})
    assert response.status_code == 302
    assert Certificate.objects.filter(person=wu).count() == 1
    before = _written()
    html = _html(client.post(url, {"category": "1", "level": "1", "issue_date": "2024-02-02"}))
    _assert_refused(html, "issue_date", "该人员在此期间已有残疾人证")
    assert re.search(r'<option value="1" selected>', html)
    assert _written() == before


def test_add_certificate_outside_scope_or_role_is_404(client, village_worker, people) -> None:
    url = reverse("registry:certificate_new", args=[people["zhang"].pk])
    assert _login(client, village_worker).get(url).status_code == 404  # role lacks it
    officer = make_user("county_officer", "150404")
    assert _login(Client(), officer).get(url).status_code == 404  # outside the scope


def test_register_household_with_status_and_list_members(client, county_officer) -> None:
    client = _login(client, county_officer)
    response = client.post(
        reverse("registry:household_new"),
        {
            "village": "150402001001",
            "address": "幸福路12号",
            "status": "dibao",
            "status_from": "2023-01-01",
        },
    )
    household = Household.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:household", args=[household.pk])
    assert HouseholdStatus.objects.get(household=household).status == "dibao"
    make_person(name="孙玉兰", household=household, relation_to_head="head")
    html = _html(client.get(response["Location"]))
    assert "孙玉兰" in html
    assert "低保" in html
    assert "幸福路12号" not in html  # the address is masked
    assert f"?household={household.pk}" in html


def test_household_status_without_date_is_refused(client, county_officer) -> None:
    html = _html(
        _login(client, county_officer).post(
            reverse("registry:household_new"), {"village": "150402001001", "status": "tekun"}
        )
    )
    _assert_refused(html, "status_from", "选择经济状况时此项必填")
    assert not Household.objects.exists()


def test_pages_need_login(client) -> None:
    for url in (SEARCH, PERSON_NEW, reverse("registry:household_new")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_viewer_role_gets_404(client, regions) -> None:
    viewer = make_user("viewer", "150400")
    assert _login(client, viewer).get(SEARCH).status_code == 404


def test_search_and_person_pages_in_english(client, county_officer, people) -> None:
    client = _login(client, county_officer)
    client.post("/i18n/setlang/", {"language": "en", "next": SEARCH})
    html = _html(client.post(SEARCH, {"q": "zhm"}))
    assert '<html lang="en">' in html
    assert "Name, ID number or pinyin initials" in html
    assert "People found: 2" in html
    person = _html(client.get(reverse("registry:person", args=[people["zhang"].pk])))
    assert "History of changes" in person
    assert "physical disability level 2" in person


def test_person_page_offers_reveal_only_with_the_permission(client, regions) -> None:
    from django.urls import reverse

    from tests.factories import make_person, make_user

    officer = make_user("county_officer", "150402")
    worker = make_user("village_worker", "150402001001")
    person = make_person(actor=officer)
    url = reverse("registry:person", args=[person.pk])
    client.force_login(officer)
    assert reverse("registry:reveal_person", args=[person.pk]) in client.get(url).content.decode()
    client.force_login(worker)
    assert "reveal" not in client.get(url).content.decode()
