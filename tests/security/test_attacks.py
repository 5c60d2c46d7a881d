"""Attacks: guessed ids, forged regions, injection in names and search, reveal abuse."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from dpf.core.errors import DomainError
from dpf.core.models import AuditEntry
from dpf.registry import services
from dpf.registry.models import Household, Person
from tests.factories import make_person, make_user, new_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(regions):
    return make_user("county_officer", "150402")


@pytest.fixture
def other_county_person(regions):
    return make_person(name="邻县某人", village_code="150404002001", phone="13904760001")


@pytest.fixture
def own_person(regions):
    return make_person(name="本县某人", village_code="150402001001", phone="13904760002")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _denials(object_id) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="permission_denied", object_id=str(object_id)))


# --- guessed ids --------------------------------------------------------------------------


def test_guessing_another_countys_person_id_is_404_and_audited(officer, other_county_person):
    client = _client(officer)
    response = client.get(reverse("registry:person", kwargs={"person_id": other_county_person.pk}))
    assert response.status_code == 404
    text = response.content.decode()
    assert other_county_person.name not in text
    assert other_county_person.id_number_masked not in text
    denied = _denials(other_county_person.pk)
    assert len(denied) == 1
    assert denied[0].actor_id == officer.pk
    assert not AuditEntry.objects.filter(
        action="view", object_type="person", object_id=str(other_county_person.pk)
    ).exists()


def test_absent_and_out_of_scope_ids_answer_the_same(officer, other_county_person):
    client = _client(officer)
    outside = client.get(reverse("registry:person", kwargs={"person_id": other_county_person.pk}))
    missing = client.get(reverse("registry:person", kwargs={"person_id": 10**9}))
    assert outside.status_code == missing.status_code == 404
    assert outside.content == missing.content


def test_own_county_person_page_is_an_audited_read(officer, own_person):
    client = _client(officer)
    response = client.get(reverse("registry:person", kwargs={"person_id": own_person.pk}))
    assert response.status_code == 200
    text = response.content.decode()
    assert own_person.id_number_masked in text
    assert own_person.id_number not in text
    assert "13904760002" not in text  # phone masked too
    assert AuditEntry.objects.filter(
        action="view", object_type="person", object_id=str(own_person.pk), actor=officer
    ).exists()


# --- forged regions in form posts -------------------------------------------------------------


def test_registering_into_a_village_outside_the_scope_is_refused(officer, other_county_person):
    client = _client(officer)
    before = (Person.objects.count(), Household.objects.count())
    response = client.post(
        reverse("registry:person_new"),
        {
            "name": "越权登记",
            "id_number": new_id_number("150404", dt.date(1990, 1, 2)),
            "ethnicity": "汉族",
            "village": "150404002001",
        },
    )
    assert response.status_code in (200, 400)
    assert (Person.objects.count(), Household.objects.count()) == before
    assert not Person.objects.filter(name="越权登记").exists()


def test_joining_a_household_outside_the_scope_is_refused(officer, other_county_person):
    client = _client(officer)
    before = Person.objects.count()
    response = client.post(
        reverse("registry:person_new"),
        {
            "name": "越权入户",
            "id_number": new_id_number("150402", dt.date(1991, 1, 2)),
            "ethnicity": "汉族",
            "village": "150402001001",
            "household": other_county_person.household_id,
            "relation_to_head": "child",
        },
    )
    assert response.status_code in (200, 400, 404)
    assert Person.objects.count() == before
    assert "邻县某人" not in response.content.decode()


def test_service_refuses_a_region_outside_the_actors_scope(regions):
    worker = make_user("village_worker", "150402001001")
    with pytest.raises(DomainError) as info:
        services.person_register(
            actor=worker,
            name="越权",
            id_number=new_id_number("150402"),
            village_code="150402001002",
        )
    assert info.value.code == "village_unknown"
    assert not Person.objects.filter(name="越权").exists()


# --- injection ----------------------------------------------------------------------------


def test_a_script_in_a_name_renders_as_text(officer):
    person = make_person(name="<script>alert(1)</script>", village_code="150402001001")
    client = _client(officer)
    for response in (
        client.get(reverse("registry:person", kwargs={"person_id": person.pk})),
        client.post(reverse("registry:search"), {"q": "<script>"}),
    ):
        assert response.status_code == 200
        text = response.content.decode()
        assert "<script>alert(1)</script>" not in text
    page = client.get(reverse("registry:person", kwargs={"person_id": person.pk}))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "' OR 1=1 --",
        "'; DROP TABLE registry_person; --",
        '" OR ""="',
        "%",
        "_",
        "1' UNION SELECT id_number FROM registry_person --",
    ],
)
def test_sql_injection_in_the_search_box_finds_nothing(
    officer, own_person, other_county_person, query
):
    client = _client(officer)
    response = client.post(reverse("registry:search"), {"q": query})
    assert response.status_code in (200, 400)
    text = response.content.decode()
    assert own_person.name not in text
    assert other_county_person.name not in text
    assert Person.objects.count() == 2


# --- 显示完整信息 ----------------------------------------------------------------------------


def _reveal(client: Client, person: Person, reason: str = "核对身份证件信息"):
    return client.post(
        reverse("registry:reveal_person", kwargs={"person_id": person.pk}), {"reason": reason}
    )


def test_reveal_shows_full_values_with_a_reason_and_audits_it(officer, own_person):
    client = _client(officer)
    response = _reveal(client, own_person, "  核对身份证件信息  ")
    assert response.status_code == 200
    text = response.content.decode()
    assert own_person.id_number in text
    assert "13904760002" in text
    assert (
        response["Cache-Control"].startswith("no-cache") or "no-store" in response["Cache-Control"]
    )
    entry = AuditEntry.objects.get(action="reveal")
    assert entry.object_id == str(own_person.pk)
    assert entry.reason == "核对身份证件信息"
    assert entry.actor_id == officer.pk
    assert own_person.id_number not in str(entry.changes)


def test_reveal_fragment_for_htmx(officer, own_person):
    client = _client(officer)
    response = client.post(
        reverse("registry:reveal_person", kwargs={"person_id": own_person.pk}),
        {"reason": "电话回访需要"},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert own_person.id_number in text


@pytest.mark.parametrize("reason", ["", "   ", "看看", "x" * 301])
def test_reveal_without_a_proper_reason_is_refused(officer, own_person, reason):
    response = _reveal(_client(officer), own_person, reason)
    assert response.status_code == 400
    assert own_person.id_number not in response.content.decode()
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_reveal_reason_is_stored_redacted(officer, own_person):
    _reveal(_client(officer), own_person, f"核对 {own_person.id_number} 是否一致")
    entry = AuditEntry.objects.get(action="reveal")
    assert own_person.id_number not in entry.reason
    assert "[REDACTED]" in entry.reason


def test_reveal_outside_the_scope_is_404_and_audited(officer, other_county_person):
    response = _reveal(_client(officer), other_county_person)
    assert response.status_code == 404
    assert other_county_person.id_number not in response.content.decode()
    assert not AuditEntry.objects.filter(action="reveal").exists()
    assert len(_denials(other_county_person.pk)) == 1


@pytest.mark.parametrize("role", ["village_worker", "viewer", "citizen", "institution_staff"])
def test_reveal_needs_the_permission(regions, own_person, role):
    user = make_user(role, "150402001001" if role == "village_worker" else None)
    response = _reveal(_client(user), own_person)
    assert response.status_code == 404
    assert own_person.id_number not in response.content.decode()
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_reveal_is_post_only_and_needs_csrf(officer, own_person):
    client = _client(officer)
    url = reverse("registry:reveal_person", kwargs={"person_id": own_person.pk})
    assert client.get(url + "?reason=核对身份证件信息").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(officer)
    assert strict.post(url, {"reason": "核对身份证件信息"}).status_code == 403
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_reveal_form_include_renders_for_the_person_page(officer, own_person, rf):
    from django.template.loader import render_to_string

    request = rf.get("/")
    request.user = officer
    html = render_to_string(
        "registry/_reveal_form.html", {"person_id": own_person.pk}, request=request
    )
    assert reverse("registry:reveal_person", kwargs={"person_id": own_person.pk}) in html
    assert 'name="reason"' in html
    assert "csrfmiddlewaretoken" in html
    assert 'method="post"' in html


# --- the API: a guessed batch id --------------------------------------------------------------


def _token_for(user) -> str:
    from dpf.exchange import services as exchange_services

    _, raw = exchange_services.token_create(actor=None, department="民政", user=user)
    return raw


def test_guessing_another_departments_batch_id_in_the_api_is_404_audited_and_changes_nothing(
    client, regions, own_person
):
    import json

    from dpf.exchange.models import ImportBatch

    mine = make_user("department_exchange", "150400")
    theirs = make_user("department_exchange", "150400")
    row = {"身份证号码": own_person.id_number, "姓名": own_person.name, "参保日期": "2021-01-01"}
    pushed = client.post(
        "/api/exchange/rosters/pension",
        data=json.dumps({"rows": [row]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {_token_for(theirs)}",
    )
    assert pushed.status_code == 201
    batch_id = pushed.json()["id"]
    status_before = ImportBatch.objects.get(pk=batch_id).status
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {_token_for(mine)}"}
    entries_before = AuditEntry.objects.exclude(action="permission_denied").count()
    read = client.get(f"/api/exchange/batches/{batch_id}", **bearer)
    commit = client.post(f"/api/exchange/batches/{batch_id}/commit", **bearer)
    missing = client.get(f"/api/exchange/batches/{batch_id + 1000}", **bearer)
    for response in (read, commit):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert own_person.name not in response.content.decode()
    # Absent and someone else's answer the same bytes.
    assert read.content == missing.content
    denied = _denials(batch_id)
    assert len(denied) == 2
    assert {d.actor_id for d in denied} == {mine.pk}
    assert {d.object_type for d in denied} == {"roster"}
    assert ImportBatch.objects.get(pk=batch_id).status == status_before
    assert AuditEntry.objects.exclude(action="permission_denied").count() == entries_before


# --- a viewer (aggregates only) reaching for personal fields ---------------------------------


def test_a_viewer_reaches_no_personal_field_by_page_api_export_or_drill_down(officer, own_person):
    from dpf.indicators import selectors as indicator_selectors
    from dpf.indicators import services as indicator_services
    from dpf.indicators.models import Indicator

    admin = make_user("city_admin", "150400")
    plan = indicator_selectors.plan_by_code(None)
    run_day = dt.date(2025, 12, 31)
    indicator_services.snapshot_store(plan=plan, as_of=run_day, actor=admin)
    code = Indicator.objects.filter(plan=plan).order_by("pk").values_list("code", flat=True)[0]
    drill = reverse("indicators:drilldown", kwargs={"code": code})
    viewer = make_user("viewer", "150400")
    client = _client(viewer)
    secrets = [own_person.name, own_person.id_number, own_person.id_number_masked, "13904760002"]

    # Aggregate pages open, with numbers but no link to the lists behind them.
    pages = ["indicators:dashboard", "indicators:plans", "indicators:report"]
    for name, kwargs in [(n, {}) for n in pages] + [("indicators:indicator", {"code": code})]:
        page = client.get(reverse(name, kwargs=kwargs))
        assert page.status_code == 200, name
        text = page.content.decode()
        assert "/persons/" not in text, name
        assert not [s for s in secrets if s in text], name
    # The dashboard links an officer's numbers to the lists (the check above can fail).
    officer_page = _client(officer).get(reverse("indicators:dashboard"))
    assert "/persons/" in officer_page.content.decode()

    refused = {
        "person page": reverse("registry:person", kwargs={"person_id": own_person.pk}),
        "household page": reverse(
            "registry:household", kwargs={"household_id": own_person.household_id}
        ),
        "search": reverse("registry:search") + "?q=" + own_person.name,
        "drill-down": f"{drill}?as_of={run_day.isoformat()}&region=150400&part=denominator",
        "registry export": reverse("exchange:export"),
        "reveal": reverse("registry:reveal_person", kwargs={"person_id": own_person.pk}),
    }
    before = AuditEntry.objects.filter(action="permission_denied", actor=viewer).count()
    for what, url in refused.items():
        for response in (
            client.get(url),
            client.post(url, {"purpose": "统计核对用途", "reason": "统计核对用途"}),
        ):
            assert response.status_code in (404, 405), what
            text = response.content.decode()
            assert not [s for s in secrets if s in text], what
    assert AuditEntry.objects.filter(action="permission_denied", actor=viewer).count() > before
    assert (
        not AuditEntry.objects.filter(actor=viewer, action__in=["view", "export", "reveal"])
        .exclude(object_type__in=["indicators", "evaluation_report"])
        .exists()
    )
    # The API holds no session route: a logged-in viewer is refused there too.
    assert client.get("/api/exchange/rosters").status_code == 401


@pytest.mark.parametrize(
    "name", ["Robert'); DROP TABLE registry_person;--", "' OR '1'='1", '"><img src=x>']
)
def test_an_injection_stored_as_a_name_is_kept_as_text_and_harms_nothing(officer, name):
    person = make_person(actor=officer, name=name, village_code="150402001001")
    other = make_person(actor=officer, name="无关人员", village_code="150402001001")
    assert Person.objects.get(pk=person.pk).name == name  # stored as typed, as data
    client = _client(officer)
    page = client.get(reverse("registry:person", kwargs={"person_id": person.pk})).content
    assert name.encode() not in page  # quotes and brackets are escaped in the HTML
    found = client.post(reverse("registry:search"), {"q": name}).content.decode()
    assert other.name not in found  # the quote does not widen the search
    assert Person.objects.count() == 2
