"""The exchange API: department tokens, push → preview → commit, errors as JSON, schema."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import resolve

from dpf.core.access import declaration_of
from dpf.core.roles import Role
from dpf.exchange.models import ExchangeToken, ImportBatch
from dpf.registry.models import HouseholdStatus
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

D = dt.date


def issue_token(department: str, username: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "exchange", "token", "create", "--department", department, "--user", username,
        stdout=out, stderr=err,
    )  # fmt: skip
    return out.getvalue().strip()


@pytest.fixture
def civil_affairs(regions):
    return make_user("department_exchange", "150400")


@pytest.fixture
def token(civil_affairs) -> str:
    return issue_token("民政", civil_affairs.username)


def auth(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def push(client, token, roster_type, rows):
    return client.post(
        f"/api/exchange/rosters/{roster_type}",
        data=json.dumps({"rows": rows}),
        content_type="application/json",
        **auth(token),
    )


def test_token_is_printed_once_and_stored_as_hash(civil_affairs, token) -> None:
    stored = ExchangeToken.objects.get()
    assert token.startswith("dpfx_") and len(token) > 40
    assert stored.token_hash != token and token not in stored.token_hash
    assert stored.department == "民政" and stored.user == civil_affairs


def test_tokens_only_for_department_accounts(county_officer) -> None:
    with pytest.raises(CommandError) as info:
        issue_token("民政", county_officer.username)
    assert "token_role" in str(info.value)


def test_push_preview_read_and_commit(client, token, county_officer) -> None:
    person = make_person(actor=county_officer, name="李秀英", sex="F")
    rows = [
        {"身份证号码": person.id_number, "姓名": "李秀英", "类别": "低保", "起始日期": "2023-1-5"},
        {"id_number": "150402198002301234", "name": "某某", "status": "低保", "valid_from": ""},
    ]
    response = push(client, token, "dibao", rows)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "previewed"
    assert body["counts"]["will_change"] == 1 and body["counts"]["invalid"] == 1
    assert not HouseholdStatus.objects.exists()

    detail = client.get(f"/api/exchange/batches/{body['id']}", **auth(token)).json()
    assert [r["outcome"] for r in detail["rows"]] == ["will_change", "invalid"]
    first, second = detail["rows"]
    assert first["id_number_masked"] == person.id_number_masked
    assert first["name_masked"] == "李*英"
    assert person.id_number not in json.dumps(detail, ensure_ascii=False)
    assert second["row"] == 2 and second["errors"][0]["code"] == "date"
    only_invalid = client.get(
        f"/api/exchange/batches/{body['id']}?outcome=invalid", **auth(token)
    ).json()
    assert [r["row"] for r in only_invalid["rows"]] == [2]

    committed = client.post(f"/api/exchange/batches/{body['id']}/commit", **auth(token))
    assert committed.status_code == 200
    assert committed.json()["status"] == "committed"
    status = HouseholdStatus.objects.get()
    assert status.source == f"roster:{body['id']}"

    again = push(client, token, "dibao", rows)
    assert again.status_code == 400
    assert again.json()["code"] == "already_imported"
    assert again.json()["message"].startswith("该文件已导入")
    assert again.json()["message_en"]


def test_missing_column_and_bad_type_are_json_errors(client, token) -> None:
    response = push(client, token, "dibao", [{"身份证号码": "x", "姓名": "y"}])
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "failed"
    assert body["errors"][0]["code"] == "missing_column"
    unknown = push(client, token, "nonsense", [{"a": 1}])
    assert unknown.status_code == 400 and unknown.json()["code"] == "roster_type"
    empty = client.post(
        "/api/exchange/rosters/dibao", data="{}", content_type="application/json", **auth(token)
    )
    assert empty.status_code == 422 and empty.json()["code"] == "invalid_request"


def test_no_token_bad_token_revoked_token(client, token, civil_affairs) -> None:
    assert client.get("/api/exchange/rosters").status_code == 401
    wrong = client.get("/api/exchange/rosters", HTTP_AUTHORIZATION="Bearer dpfx_nope")
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "unauthorized"
    assert client.get("/api/exchange/rosters", **auth(token)).status_code == 200
    call_command(
        "exchange", "token", "revoke", "--prefix", ExchangeToken.objects.get().token_prefix,
        stdout=io.StringIO(),
    )  # fmt: skip
    assert client.get("/api/exchange/rosters", **auth(token)).status_code == 401
    new = issue_token("民政", civil_affairs.username)
    civil_affairs.is_active = False
    civil_affairs.save()
    assert client.get("/api/exchange/rosters", **auth(new)).status_code == 401


def test_a_department_sees_only_its_own_batches(client, token, county_officer) -> None:
    other = make_user("department_exchange", "150400")
    other_token = issue_token("人社", other.username)
    person = make_person(actor=county_officer)
    response = push(
        client,
        other_token,
        "pension",
        [{"身份证号码": person.id_number, "姓名": person.name, "参保日期": "2021-01-01"}],
    )
    batch_id = response.json()["id"]
    assert ImportBatch.objects.get().department == "人社"
    hidden = client.get(f"/api/exchange/batches/{batch_id}", **auth(token))
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"
    refused = client.post(f"/api/exchange/batches/{batch_id}/commit", **auth(token))
    assert refused.status_code == 404


def test_department_without_region_matches_nobody(client, regions, county_officer) -> None:
    unbound = make_user("department_exchange", None)
    person = make_person(actor=county_officer)
    response = push(
        client,
        issue_token("卫健", unbound.username),
        "pension",
        [{"身份证号码": person.id_number, "姓名": person.name, "参保日期": "2021-01-01"}],
    )
    assert response.json()["counts"]["not_found"] == 1


def test_schema_documents_the_exchange_and_routes_are_declared(client) -> None:
    schema = client.get("/api/openapi.json").json()
    assert "/api/exchange/rosters/{roster_type}" in schema["paths"]
    assert "/api/exchange/batches/{batch_id}/commit" in schema["paths"]
    assert "bearer" in json.dumps(schema["components"]["securitySchemes"]).lower()
    assert client.get("/api/docs").status_code == 200
    for url in [
        "/api/exchange/rosters",
        "/api/exchange/rosters/dibao",
        "/api/exchange/batches/1",
        "/api/exchange/batches/1/commit",
    ]:
        declared = declaration_of(resolve(url).func)
        assert declared is not None and declared["roles"] == {Role.DEPARTMENT_EXCHANGE}


def test_staff_session_cannot_use_the_api(client, county_officer) -> None:
    client.force_login(county_officer)
    assert client.get("/api/exchange/rosters").status_code == 401


def test_an_oversized_push_is_a_json_413(client, token, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    rows = [{"身份证号码": "11010519491231002X", "姓名": "某某", "参保日期": "2021-01-01"}] * 50
    response = push(client, token, "pension", rows)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not ImportBatch.objects.exists()
