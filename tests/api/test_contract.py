"""Every documented response of the API is given, and matches its schema.

A department's journey through the exchange API, with valid data and each kind of
refusal (the background validation of a push is run here, as ``jobs.run_validation``);
each response is checked by schemathesis against the operation's documented
status codes, content types, headers and body schema, and the statuses each operation
answered must be exactly the ones it documents (none undocumented, none unreachable).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from dpf.exchange import jobs
from tests.api.schema import APP, SCHEMA
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PUBLISHED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
CONFORMANCE = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ROWS = [
    {"身份证号码": "11010519491231002X", "姓名": "张三", "类别": "低保", "起始日期": "2023-01-05"}
]


class Journey:
    """Sends requests and checks each response against the operation it reached."""

    def __init__(self, token: str) -> None:
        self.client = Client(APP)
        self.token = token
        self.answered: dict[tuple[str, str], set[int]] = defaultdict(set)

    def send(
        self,
        method: str,
        template: str,
        *,
        path: dict[str, Any] | None = None,
        query: str = "",
        body: bytes | None = None,
        auth: str = "department",
    ) -> Any:
        url = "/api" + template.format(**(path or {})) + (f"?{query}" if query else "")
        headers = {"Content-Type": "application/json"}
        if auth == "department":
            headers["Authorization"] = f"Bearer {self.token}"
        elif auth == "forged":
            headers["Authorization"] = "Bearer dpfx_forged"
        response = self.client.open(url, method=method, data=body, headers=headers)
        operation = SCHEMA[f"/api{template}"][method]
        operation.Case(path_parameters=path or {}).validate_response(response, checks=CONFORMANCE)
        self.answered[(method, template)].add(response.status_code)
        return response

    def documented(self) -> dict[tuple[str, str], set[int]]:
        return {
            (method.upper(), path.removeprefix("/api")): {int(code) for code in spec["responses"]}
            for path, item in SCHEMA.raw_schema["paths"].items()
            for method, spec in item.items()
        }


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def test_every_documented_response_is_given_and_matches_its_schema(
    department_token, settings
) -> None:
    j = Journey(department_token)
    rosters, push = "/exchange/rosters", "/exchange/rosters/{roster_type}"
    detail, commit = "/exchange/batches/{batch_id}", "/exchange/batches/{batch_id}/commit"
    dibao = {"roster_type": "dibao"}

    assert j.send("GET", rosters).status_code == 200
    assert j.send("GET", rosters, auth="none").status_code == 401

    pushed = j.send("POST", push, path=dibao, body=_json({"rows": ROWS}))
    assert pushed.status_code == 201
    assert pushed.json["status"] == "validating"
    batch = {"batch_id": pushed.json["id"]}
    assert j.send("GET", detail, path=batch).json["status"] == "validating"
    assert j.send("POST", commit, path=batch).status_code == 409  # not validated yet
    jobs.run_validation(pushed.json["id"])  # what the background process runs
    assert (
        j.send("POST", push, path=dibao, body=_json({"rows": ROWS}), auth="forged").status_code
        == 401
    )
    assert j.send("POST", push, path=dibao, body=b"{}").status_code == 422
    assert (
        j.send("POST", push, path={"roster_type": "x"}, body=_json({"rows": ROWS})).status_code
        == 422
    )
    assert j.send("POST", push, path=dibao, body=b"\x00{").status_code == 400

    assert j.send("GET", detail, path=batch).status_code == 200
    assert j.send("GET", detail, path=batch, query="result=invalid&page=7").status_code == 200
    assert j.send("GET", detail, path=batch, query="result=maybe").status_code == 422
    assert j.send("GET", detail, path=batch, auth="none").status_code == 401
    other = make_user("department_exchange", "150400")
    from dpf.exchange import services

    theirs = services.batch_receive_rows(actor=other, roster_type="dibao", rows=ROWS)
    assert j.send("GET", detail, path={"batch_id": theirs.pk}).status_code == 404

    assert j.send("POST", commit, path={"batch_id": theirs.pk}).status_code == 404
    assert j.send("POST", commit, path={"batch_id": 0}).status_code == 422
    assert j.send("POST", commit, path=batch, auth="none").status_code == 401
    assert j.send("POST", commit, path=batch).status_code == 200
    assert j.send("POST", commit, path=batch).status_code == 409
    assert j.send("POST", push, path=dibao, body=_json({"rows": ROWS})).status_code == 409

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert j.send("POST", push, path=dibao, body=_json({"rows": ROWS * 20})).status_code == 413

    assert dict(j.answered) == j.documented()


def test_the_served_schema_is_the_published_one(client) -> None:
    """The contract changes only on purpose: docs/openapi.json is regenerated with
    ``dpf export_openapi_schema --api dpf.api.urls.api --indent 2 --sorted
    --output docs/openapi.json`` and the diff reviewed."""
    published = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    assert client.get("/api/openapi.json").json() == published, (
        "the API schema changed: regenerate docs/openapi.json (see this test's docstring)"
    )
