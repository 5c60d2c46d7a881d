"""The exchange API: department tokens, push → background validation → preview → commit,
errors as JSON, schema. Tests run the background validation themselves
(``jobs.run_validation``; ``DPF_IMPORT_WORKER = "manual"`` in tests)."""

from __future__ import annotations

import ast
import datetime as dt
import io
import json
from pathlib import Path
from typing import get_args

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from dpf.api.exchange import RosterTypeCode
from dpf.core.access import declaration_of
from dpf.core.roles import Role
from dpf.exchange import jobs, medicalroster, services, surveyroster, validation
from dpf.exchange.display import REGISTRY_ERROR_CODES, department_errors
from dpf.exchange.models import BatchStatus, ExchangeToken, ImportBatch, ImportRow, Outcome
from dpf.exchange.parsing import cell_error
from dpf.exchange.rostertypes import ROSTER_TYPES
from dpf.registry import services as registry
from dpf.registry.models import HouseholdStatus, Person
from dpf.registry.services import id_lookup_hash
from tests.factories import make_person, make_user, new_id_number

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


def validated(client, token, roster_type, rows) -> dict:
    """Push, run the validation the push started, and read the batch."""
    response = push(client, token, roster_type, rows)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "validating"
    jobs.run_validation(response.json()["id"])
    return client.get(f"/api/exchange/batches/{response.json()['id']}", **auth(token)).json()


def test_token_is_printed_once_and_stored_as_hash(civil_affairs, token) -> None:
    stored = ExchangeToken.objects.get()
    assert token.startswith("dpfx_")
    assert len(token) > 40
    assert stored.token_hash != token
    assert token not in stored.token_hash
    assert stored.department == "民政"
    assert stored.user == civil_affairs


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
    body = validated(client, token, "dibao", rows)
    assert body["status"] == "previewed"
    assert body["counts"] == {"total": 2, "valid": 1, "invalid": 1}
    assert not HouseholdStatus.objects.exists()

    detail = client.get(f"/api/exchange/batches/{body['id']}", **auth(token)).json()
    assert [r["result"] for r in detail["rows"]] == ["valid", "invalid"]
    first, second = detail["rows"]
    assert first["id_number_masked"] == person.id_number_masked
    assert first["name_masked"] == "李*英"
    assert first["summary"] == "低保 2023-01-05 至 今"
    assert first["errors"] == []
    assert person.id_number not in json.dumps(detail, ensure_ascii=False)
    assert second["row"] == 2
    assert second["errors"][0]["code"] == "date"
    only_invalid = client.get(
        f"/api/exchange/batches/{body['id']}?result=invalid", **auth(token)
    ).json()
    assert [r["row"] for r in only_invalid["rows"]] == [2]

    committed = client.post(f"/api/exchange/batches/{body['id']}/commit", **auth(token))
    assert committed.status_code == 200
    assert committed.json()["status"] == "committed"
    assert committed.json()["counts"] == {"total": 2, "valid": 1, "invalid": 1}
    status = HouseholdStatus.objects.get()
    assert status.source == f"roster:{body['id']}"

    twice = client.post(f"/api/exchange/batches/{body['id']}/commit", **auth(token))
    assert twice.status_code == 409
    assert twice.json()["code"] == "already_imported"
    again = push(client, token, "dibao", rows)
    assert again.status_code == 409
    assert again.json()["code"] == "already_imported"
    assert again.json()["message"].startswith("该文件已导入")
    assert again.json()["message_en"]


def test_missing_column_and_bad_requests_are_json_errors_naming_the_field(client, token) -> None:
    body = validated(client, token, "dibao", [{"身份证号码": "x", "姓名": "y"}])
    assert body["status"] == "failed"
    assert body["errors"][0]["code"] == "missing_column"
    unknown = push(client, token, "nonsense", [{"a": 1}])
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "invalid_request"
    assert unknown.json()["field"] == "roster_type"
    assert unknown.json()["message_en"] == "the request is not valid: roster_type"
    empty = client.post(
        "/api/exchange/rosters/dibao", data="{}", content_type="application/json", **auth(token)
    )
    assert empty.status_code == 422
    assert empty.json()["field"] == "rows"
    # A cell that is a list or a boolean is not a cell; the ID sent is not echoed back.
    nested = push(client, token, "dibao", [{"身份证号码": ["11010519491231002X"], "姓名": True}])
    assert nested.status_code == 422
    assert nested.json()["field"].startswith("rows.0.")
    assert "11010519491231002X" not in nested.content.decode()
    not_json = client.post(
        "/api/exchange/rosters/dibao", data=b"\x00{", content_type="application/json", **auth(token)
    )
    assert not_json.status_code == 400
    assert not_json.json()["code"] == "invalid_body"
    assert not ImportBatch.objects.exclude(status="failed").exists()
    bad_id = client.get("/api/exchange/batches/99999999999999999999", **auth(token))
    assert bad_id.status_code == 422
    assert bad_id.json()["field"] == "batch_id"
    bad_page = client.get("/api/exchange/batches/1?page=0", **auth(token))
    assert bad_page.status_code == 422
    assert bad_page.json()["field"] == "page"


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
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "not_found"
    refused = client.post(f"/api/exchange/batches/{batch_id}/commit", **auth(token))
    assert refused.status_code == 404


def test_department_without_region_matches_nobody(client, regions, county_officer) -> None:
    unbound = make_user("department_exchange", None)
    person = make_person(actor=county_officer)
    body = validated(
        client,
        issue_token("卫健", unbound.username),
        "pension",
        [{"身份证号码": person.id_number, "姓名": person.name, "参保日期": "2021-01-01"}],
    )
    assert body["counts"] == {"total": 1, "valid": 1, "invalid": 0}
    assert ImportRow.objects.get().outcome == Outcome.NOT_FOUND


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
        assert declared is not None
        assert declared["roles"] == {Role.DEPARTMENT_EXCHANGE}


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


# --- hole 6: the preview tells a department nothing of the registry ----------------------


def _status_since(actor, person: Person, status: str, since: dt.date) -> None:
    assert person.household is not None
    registry.household_status_set(
        actor=actor, household=person.household, status=status, valid_from=since
    )


def _without(data: dict, *keys: str) -> dict:
    return {k: v for k, v in data.items() if k not in keys}


def _department_view(client, token, roster_type: str, rows: list[dict]) -> dict:
    """Everything the API tells a department about a roster, from push to commit."""
    pushed = push(client, token, roster_type, rows)
    assert pushed.status_code == 201, pushed.content
    batch_id = pushed.json()["id"]
    jobs.run_validation(batch_id)
    base = f"/api/exchange/batches/{batch_id}"
    views = {
        "push": pushed.json(),
        "detail": client.get(base, **auth(token)).json(),
        "valid": client.get(f"{base}?result=valid", **auth(token)).json(),
        "invalid": client.get(f"{base}?result=invalid", **auth(token)).json(),
    }
    committed = client.post(f"{base}/commit", **auth(token))
    views["commit"] = committed.json()
    views["commit_status"] = committed.status_code
    text = json.dumps(views, ensure_ascii=False)
    views = json.loads(text)
    for key in ("push", "detail", "valid", "invalid", "commit"):
        views[key] = _without(views[key], "id", "created_at", "committed_at")
        for row in views[key].get("rows", []):
            row.pop("id_number_masked")
    views["text"] = text
    return views


def test_a_departments_preview_of_registered_people_equals_that_of_strangers(
    client, token, county_officer
) -> None:
    """A roster naming registered people and the same roster with ID numbers nobody holds
    answer alike, apart from the masked ID numbers: no outcome against the registry, no
    registry fact, no problem found by comparing with the registry. (The old API answered
    will_change / up_to_date / name_differs / not_found, the person's current status and
    history conflicts.)"""
    li = make_person(actor=county_officer, name="李秀英", sex="F")  # will change
    wang = make_person(actor=county_officer, name="王建国")  # the roster spells 王健国
    zhao = make_person(actor=county_officer, name="赵明")  # a later status: history conflict
    _status_since(county_officer, zhao, "dibao", D(2024, 1, 1))
    qian = make_person(actor=county_officer, name="钱多")  # already up to date
    _status_since(county_officer, qian, "dibao", D(2023, 1, 5))
    sun = make_person(actor=county_officer, name="孙立")  # an earlier status ends (2022-12-31)
    _status_since(county_officer, sun, "tekun", D(2021, 3, 9))
    zhou = make_person(actor=county_officer, name="周红", sex="F")  # two of one household
    wu = make_person(
        actor=county_officer,
        name="吴刚",
        household=zhou.household,
        relation_to_head="spouse",
    )
    registered = [li, wang, zhao, qian, sun, zhou, wu]

    def roster(ids: list[str]) -> list[dict]:
        def row(i: int, name: str, status: str = "低保", start: str = "2023-01-05") -> dict:
            return {"身份证号码": ids[i], "姓名": name, "类别": status, "起始日期": start}

        return [
            row(0, "李秀英"),
            row(1, "王健国"),
            row(2, "赵明", "特困", "2023-06-01"),
            row(3, "钱多"),
            row(4, "孙立"),
            row(5, "周红"),
            row(6, "吴刚", start="2023-02-01"),
            row(0, "李秀英"),  # the same row twice: an error of the roster itself
            {"身份证号码": "150402198002301234", "姓名": "某某", "类别": "低保", "起始日期": "x"},
        ]

    strangers = [new_id_number("150402", D(1980, 5, 17)) for _ in registered]
    assert not Person.objects.filter(
        id_number_hash__in=[id_lookup_hash(n) for n in strangers]
    ).exists()

    seen_registered = _department_view(
        client, token, "dibao", roster([p.id_number for p in registered])
    )
    # What staff see of the same rows: every registry outcome the old API told the department.
    stored = {
        row.row_number: (row.outcome, [e["code"] for e in row.errors])
        for row in ImportRow.objects.filter(row_number__lte=7)
    }
    assert stored == {
        1: ("will_change", []),
        2: ("name_differs", []),
        3: ("invalid", ["history_conflict"]),
        4: ("up_to_date", []),
        5: ("will_change", []),
        6: ("invalid", ["conflict_household"]),
        7: ("invalid", ["conflict_household"]),
    }
    seen_strangers = _department_view(client, token, "dibao", roster(strangers))

    registered_text = seen_registered.pop("text")
    seen_strangers.pop("text")
    assert seen_registered == seen_strangers
    assert seen_registered["commit_status"] == 200
    assert seen_registered["detail"]["counts"] == {"total": 9, "valid": 7, "invalid": 2}
    assert [r["row"] for r in seen_registered["invalid"]["rows"]] == [8, 9]
    for fact in ("王建国", "2024-01-01", "2021-03-09", "2022-12-31", "特困 2021", "登记系统"):
        assert fact not in registered_text
    for person in registered:
        assert person.id_number not in registered_text


def test_a_death_roster_does_not_tell_who_is_registered_or_already_dead(
    client, token, county_officer
) -> None:
    alive = make_person(actor=county_officer, name="李秀英", sex="F")
    dead = make_person(actor=county_officer, name="王建国")
    Person.objects.filter(pk=dead.pk).update(death_date=D(2025, 1, 1))

    def roster(ids: list[str]) -> list[dict]:
        return [
            {"身份证号码": ids[0], "姓名": "李秀英", "死亡日期": "2026-03-15"},
            {"身份证号码": ids[1], "姓名": "王建国", "死亡日期": "2026-03-15"},
        ]

    strangers = [new_id_number("150402", D(1980, 5, 17)) for _ in range(2)]
    seen_registered = _department_view(
        client, token, "death", roster([alive.id_number, dead.id_number])
    )
    seen_strangers = _department_view(client, token, "death", roster(strangers))
    registered_text = seen_registered.pop("text")
    seen_strangers.pop("text")
    assert seen_registered == seen_strangers
    assert "2025-01-01" not in registered_text
    assert "death_conflict" not in registered_text
    assert Person.objects.get(pk=alive.pk).death_date == D(2026, 3, 15)  # committed all the same


def test_every_error_the_registry_comparison_adds_is_withheld_from_departments() -> None:
    """The validation's error codes are either about the roster alone (shown) or found by
    comparing with the registry (withheld); a new code must be put in one of the two."""
    # the survey and medical settlement rosters plan their rows themselves
    modules = (validation, surveyroster, medicalroster)
    trees = [ast.parse(Path(m.__file__ or "").read_text(encoding="utf-8")) for m in modules]
    codes: set[str] = {
        str(node.args[1].value)
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "cell_error"
        and isinstance(node.args[1], ast.Constant)
    }
    roster_alone = {"duplicate_row", "conflict_row"}
    assert codes == roster_alone | REGISTRY_ERROR_CODES
    errors = [cell_error("身份证号码", code, row=1) for code in sorted(codes)]
    assert {e["code"] for e in department_errors(errors)} == roster_alone


def test_the_roster_type_codes_of_the_schema_are_the_roster_types() -> None:
    assert set(get_args(RosterTypeCode)) == set(ROSTER_TYPES)


def test_a_batch_page_costs_the_same_queries_for_few_and_many_rows(client, token) -> None:
    def batch_of(n: int) -> int:
        rows = [
            {
                "身份证号码": new_id_number(),
                "姓名": "某某",
                "类别": "低保",
                "起始日期": "2023-01-05",
            }
            for _ in range(n)
        ]
        return validated(client, token, "dibao", rows)["id"]

    small, large = batch_of(2), batch_of(60)
    counts = []
    for batch_id in (small, large):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/exchange/batches/{batch_id}", **auth(token))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_push_is_validated_in_the_background_and_shows_its_progress(client, token) -> None:
    """The push answers before any row is validated (it used to validate the whole roster
    inside the request); the batch shows its progress, no row until the validation ends,
    and cannot be committed meanwhile."""
    rows = [
        {"身份证号码": new_id_number(), "姓名": "某某", "类别": "低保", "起始日期": "2023-01-05"}
        for _ in range(5)
    ]
    response = push(client, token, "dibao", rows)
    assert response.status_code == 201
    pushed = response.json()
    assert pushed["status"] == "validating"
    assert (pushed["progress"], pushed["rows_read"], pushed["rows_total"]) == (0, 0, None)
    assert pushed["counts"] == {"total": 0, "valid": 0, "invalid": 0}
    assert not ImportRow.objects.exists()
    base = f"/api/exchange/batches/{pushed['id']}"
    early = client.post(f"{base}/commit", **auth(token))
    assert early.status_code == 409
    assert early.json()["code"] == "not_previewed"
    assert early.json()["message"]
    assert early.json()["message_en"]

    seen: list[dict] = []

    def read_midway(_batch: ImportBatch) -> None:
        seen.append(client.get(base, **auth(token)).json())

    batch = ImportBatch.objects.get(pk=pushed["id"])
    services.batch_validate_now(batch, chunk_size=2, on_progress=read_midway)
    assert [(s["status"], s["rows_read"], s["rows_total"]) for s in seen] == [
        ("validating", 2, 5),
        ("validating", 4, 5),
        ("previewed", 5, 5),
    ]
    midway = seen[:2]
    assert all(0 < s["progress"] < 100 and s["rows"] == [] for s in midway)
    assert all(s["counts"]["total"] == 0 for s in midway)  # rows written so far are not shown

    done = client.get(base, **auth(token)).json()
    assert (done["status"], done["progress"], done["rows_read"]) == ("previewed", 100, 5)
    assert done["counts"] == {"total": 5, "valid": 5, "invalid": 0}
    assert len(done["rows"]) == 5
    assert client.post(f"{base}/commit", **auth(token)).json()["status"] == "committed"
    assert ImportBatch.objects.get().status == BatchStatus.COMMITTED
