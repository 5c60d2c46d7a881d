"""The API's OpenAPI schema loaded by schemathesis from the running app, in-process.

``InProcessApp`` serves requests as Django's test client does, so they run on the test's
database connection (inside its transaction); ``DepartmentBearer`` sends the token of the
running test's department account (``conftest.department_token``) the way the schema's
security scheme says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

SCHEMA_URL = "/api/openapi.json"
SEED = 20261204

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            # Valid and invalid requests alike; the same cases on every run.
            "mode": "all",
            "max-examples": 30,
            "deterministic": True,
            "database": "none",
        },
    }
)


class InProcessApp:
    """Django's WSGI handler; the test's database connection stays open across requests."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            body = b"".join(response)
            response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        return [body]


APP = InProcessApp()
SCHEMA = schemathesis.openapi.from_wsgi(SCHEMA_URL, APP, config=CONFIG)
CURRENT: dict[str, str] = {}


@SCHEMA.auth(refresh_interval=None)
class DepartmentBearer:
    """The running test's department token, as ``Authorization: Bearer …``."""

    def get(self, case: schemathesis.Case, ctx: schemathesis.AuthContext) -> str:
        return CURRENT.get("token", "")  # collection builds cases before any test runs

    def set(self, case: schemathesis.Case, data: str, ctx: schemathesis.AuthContext) -> None:
        case.headers["Authorization"] = f"Bearer {data}"
