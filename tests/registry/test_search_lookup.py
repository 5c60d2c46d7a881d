"""The search box's look-up endpoint (search as you type): ``registry:search_lookup`` and
``search_selectors.lookup_persons`` behind it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from dpf.core.models import AuditEntry
from dpf.registry import services
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

LOOKUP = reverse("registry:search_lookup")
SEARCH = reverse("registry:search")
# Everything a match may hold: a picker's needs, never a clear number, phone or address.
ALLOWED_KEYS = {"name", "id_number_masked", "township", "url"}


@pytest.fixture(autouse=True)
def chinese_outside_requests() -> Iterator[None]:
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def people(regions):
    """Two people in 红山区 (150402), one in 松山区 (150404)."""
    zhang = make_person(name="张海明", village_code="150402001001", phone="13912345678")
    household = zhang.household
    assert household is not None
    household.address = "测试路8号"
    household.save(update_fields=["address"])
    zhao = make_person(name="赵慧敏", village_code="150402001002", sex="F")
    bat = make_person(name="巴特尔", village_code="150404002001")
    return {"zhang": zhang, "zhao": zhao, "bat": bat}


def _login(client: Client, user) -> Client:
    client.force_login(user)
    return client


def _lookup(client: Client, query: str, **extra: str) -> dict:
    response = client.post(LOOKUP, {"q": query, **extra})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def _names(data: dict) -> list[str]:
    return [m["name"] for m in data["matches"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("海明", ["张海明"]),
        ("zhm", ["张海明", "赵慧敏"]),
        ("zhao", ["赵慧敏"]),
        ("张", []),  # one character: too broad to suggest
        ("z", []),
        ("", []),
        ("李四", []),
    ],
)
def test_lookup_finds_what_the_search_finds(client, county_officer, people, query, expected):
    data = _lookup(_login(client, county_officer), query)
    assert sorted(_names(data)) == sorted(expected)
    assert data["more"] is False


def test_a_match_holds_only_what_a_picker_needs(client, county_officer, people):
    zhang = people["zhang"]
    response = _login(client, county_officer).post(LOOKUP, {"q": "张海明"})
    body = response.content.decode()
    (match,) = json.loads(body)["matches"]
    assert set(match) == ALLOWED_KEYS
    assert match == {
        "name": "张海明",
        "id_number_masked": zhang.id_number_masked,
        "township": "测试街道一",
        "url": reverse("registry:person", args=[zhang.pk]),
    }
    assert zhang.id_number not in body
    assert "13912345678" not in body
    assert "测试路8号" not in body


def test_lookup_by_whole_id_number_in_the_body(client, county_officer, people):
    zhang = people["zhang"]
    response = _login(client, county_officer).post(LOOKUP, {"q": zhang.id_number})
    data = json.loads(response.content)
    assert _names(data) == ["张海明"]
    assert data["kind"] == "id"
    assert zhang.id_number not in response.content.decode()


def test_lookup_by_certificate_number(client, county_officer, people):
    cert = services.certificate_issue(
        actor=None,
        person=people["zhao"],
        category=2,
        level=3,
        issue_date=dt.date(2023, 3, 1),
    )
    data = _lookup(_login(client, county_officer), cert.number)
    assert _names(data) == ["赵慧敏"]


def test_a_partial_number_is_refused_like_the_page(client, county_officer, people):
    response = _login(client, county_officer).post(LOOKUP, {"q": "1504021980"})
    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "query_partial_number"


def test_a_get_is_refused_and_never_searches(client, county_officer, people):
    """A number never travels in a URL: the look-up takes no GET at all."""
    client = _login(client, county_officer)
    response = client.get(LOOKUP, {"q": people["zhang"].id_number})
    assert response.status_code == 405
    assert "张海明" not in response.content.decode()
    response = client.get(LOOKUP, {"q": "张海明"})
    assert response.status_code == 405


def test_the_lookup_needs_the_csrf_token(county_officer, people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(county_officer)
    response = client.post(LOOKUP, {"q": "张海明"})
    assert response.status_code == 403
    assert "张海明" not in response.content.decode()


def test_anonymous_gets_nothing(client, people):
    response = client.post(LOOKUP, {"q": "张海明"})
    assert response.status_code in (302, 403, 404)
    assert "张海明" not in response.content.decode()


def test_a_role_without_view_person_gets_nothing(client, regions, people):
    employer = make_user("employer", "150402")
    response = _login(client, employer).post(LOOKUP, {"q": "张海明"})
    assert response.status_code in (403, 404)
    assert "张海明" not in response.content.decode()


def test_another_countys_officer_finds_nobody_outside_the_scope(client, people):
    """The attack: an officer of 松山区 types the name and the whole ID number of a person of
    红山区, and picks the other county as region."""
    officer = make_user("county_officer", "150404")
    client = _login(client, officer)
    zhang = people["zhang"]
    for query in ("张海明", "海明", "zhm", "zhanghaiming", zhang.id_number):
        data = _lookup(client, query)
        assert data["matches"] == [], query
    response = client.post(LOOKUP, {"q": "张海明", "region": "150402"})
    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "region_unknown"
    assert "张海明" not in response.content.decode()
    assert _names(_lookup(client, "巴特")) == ["巴特尔"]


def test_village_worker_sees_only_the_village(client, village_worker, people):
    assert _names(_lookup(_login(client, village_worker), "zhm")) == ["张海明"]


def test_region_narrows_the_lookup(client, city_admin, people):
    client = _login(client, city_admin)
    assert sorted(_names(_lookup(client, "zh"))) == ["张海明", "赵慧敏"]
    assert _names(_lookup(client, "zh", region="150402001")) == ["张海明", "赵慧敏"]
    assert _names(_lookup(client, "ba", region="150404")) == ["巴特尔"]


def test_at_most_ten_matches_and_more_is_said(client, county_officer):
    for i in range(12):
        make_person(name=f"张明{chr(0x4E00 + i)}")
    data = _lookup(_login(client, county_officer), "张明")
    assert len(data["matches"]) == 10
    assert data["more"] is True


def test_the_lookup_audits_like_the_search_page(client, county_officer, people):
    """Neither the search page nor its look-up writes an entry (a list of masked numbers
    and names); opening a person from either is audited by the person page."""
    client = _login(client, county_officer)
    before = AuditEntry.objects.count()
    client.post(SEARCH, {"q": "张海明"})
    after_page = AuditEntry.objects.count()
    _lookup(client, "张海明")
    assert AuditEntry.objects.count() - after_page == after_page - before


def test_query_count_is_the_same_for_few_and_many_matches(client, county_officer):
    for i in range(3):
        make_person(name=f"赵敏{chr(0x4E00 + i)}")
    client = _login(client, county_officer)
    _lookup(client, "赵敏")  # session and caches warmed
    with CaptureQueriesContext(connection) as few:
        assert len(_lookup(client, "赵敏")["matches"]) == 3
    for i in range(3, 40):
        make_person(name=f"赵敏{chr(0x4E00 + i)}")
    with CaptureQueriesContext(connection) as many:
        assert len(_lookup(client, "赵敏")["matches"]) == 10
    assert len(many) == len(few)
    selects = [q for q in many.captured_queries if "registry_person" in q["sql"]]
    assert len(selects) == 1


def test_the_request_reads_its_user_and_scope_in_one_query(client, county_officer, people):
    """The session, the user with the region that is their scope (one join, not a second
    query), the matches: three queries for a look-up."""
    client = _login(client, county_officer)
    _lookup(client, "海明")
    with CaptureQueriesContext(connection) as queries:
        assert _names(_lookup(client, "海明")) == ["张海明"]
    statements = [q["sql"] for q in queries.captured_queries]
    users = [sql for sql in statements if 'FROM "accounts_user"' in sql]
    assert len(users) == 1
    assert '"core_region"' in users[0]
    assert not any(sql.startswith('SELECT "core_region"') for sql in statements)
    assert len(statements) == 3, statements


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("张海", ["张海明", "张海"]),  # at the start, and the whole name
        ("海明", ["张海明", "李海明"]),  # at the end
        ("海朝", ["欧阳海朝阳"]),  # in the middle
        ("张明", []),  # both characters, but not next to each other
        ("明张", []),
    ],
)
def test_two_characters_match_where_the_name_holds_them_side_by_side(
    client, county_officer, regions, query, expected
):
    """Two characters read the names' bigram index on PostgreSQL and a plain scan on SQLite:
    the same matches either way, those of "name contains"."""
    for name in ("张海明", "张海", "李海明", "欧阳海朝阳", "王小明"):
        make_person(name=name, village_code="150402001001")
    data = _lookup(_login(client, county_officer), query)
    assert sorted(_names(data)) == sorted(expected)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the bigram index is PostgreSQL")
def test_two_characters_can_read_the_bigram_index(county_officer, people):
    """pg_trgm finds no trigram in two characters; the look-up's condition for them is
    written as the expression of ``person_name_bigrams`` (migration registry/0013), and
    that condition can read the index (sequential scans off, as for the trigram index: the
    plan on a generated registry is the benchmark's, docs/benchmarks.md)."""
    from dpf.registry.models import Person
    from dpf.registry.search_selectors import _matching, _name_bigrams

    _, matching = _matching(county_officer, "name", "海明", None)
    sql = str(matching.query)
    assert 'dpf_name_bigrams("registry_person"."name") @>' in sql, sql
    assert [p["name"] for p in matching.values("name")] == ["张海明"]
    pairs = Person.objects.alias(name_bigrams=_name_bigrams()).filter(
        name_bigrams__contains=["海明"]
    )
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    try:
        plan = pairs.values("pk").explain()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")
    assert "person_name_bigrams" in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm index is PostgreSQL")
def test_name_contains_can_read_the_trigram_index(people):
    """The search's "name contains" condition (``name LIKE '%…%'``, as ``_matching`` writes
    it) can read ``person_name_trgm`` for a name of three or more characters (pg_trgm finds
    no trigram in a shorter one). Sequential scans are disabled so that the few test rows do
    not make the planner read the table; on a generated registry, with the scope's region
    condition beside it, the plan is checked by the benchmark (docs/benchmarks.md)."""
    from dpf.registry.models import Person

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    try:
        plan = Person.objects.filter(name__contains="张海明").values("pk").explain()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")
    assert "person_name_trgm" in plan, plan
