"""Errors as JSON: every refusal of the API has one documented body (``ErrorOut``).

A domain error becomes a 4xx with its code and both messages; a request the schema refuses
is a 422 naming the field at fault; a body that is not JSON is a 400; a request refused
for the state of the batch it names (committed already, not validated, the registry
changed since the preview) is a 409. Each operation lists the refusals it can give
(:func:`refusals`), so the schema documents every answer and no other.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError

from dpf.core.errors import DomainError, NotFound


class ProblemOut(Schema):
    """One problem the request schema found: where (``loc``) and what (``msg``, ``type``)."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(Schema):
    """A refusal: stable code, message in Chinese and English, the field (and row) at fault."""

    code: str
    message: str
    message_en: str
    field: str | None = None
    row: int | None = None


class InvalidRequestOut(ErrorOut):
    """A request that does not match the schema: every problem found, none echoing input."""

    detail: list[ProblemOut]


def refusals(*statuses: int) -> dict[int, Any]:
    """The documented error responses of an operation: exactly those it can give
    (tests/api/test_contract.py makes each happen)."""
    return {status: InvalidRequestOut if status == 422 else ErrorOut for status in statuses}


# Refusals that come from the state of what the request names, not from the request: the
# same request was (or would be) right at another moment, so they are 409, not 400.
CONFLICT_CODES = frozenset(
    {"already_imported", "already_committed", "not_previewed", "stale_preview"}
)


def status_of(error: DomainError) -> int:
    if isinstance(error, NotFound):  # PermissionRefused too: never distinguished
        return 404
    return 409 if error.code in CONFLICT_CODES else 400


def error_body(
    code: str, message: str, message_en: str, field: str | None = None, row: int | None = None
) -> dict[str, Any]:
    return {"code": code, "message": message, "message_en": message_en, "field": field, "row": row}


# Where a problem is located: the parameter names, not the framework's wrapper names.
_WRAPPERS = {"body", "path", "query", "payload", "header", "cookie", "form", "file"}


def _problems(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Location, message and type of each problem; pydantic's ``input`` and ``ctx`` (which
    may echo personal data sent in the request) are dropped."""
    return [
        {
            "loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in errors
    ]


def _field(problem: dict[str, Any]) -> str | None:
    names = [str(p) for p in problem["loc"] if p not in _WRAPPERS]
    return ".".join(names) or None


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        status = status_of(exc)
        body = {**exc.as_dict(), "row": getattr(exc, "row", None)}
        return api.create_response(request, body, status=status)

    @api.exception_handler(AuthenticationError)
    def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        body = error_body(
            "unauthorized",
            "缺少或无效的访问令牌",
            "missing or invalid access token",
            "Authorization",
        )
        response = api.create_response(request, body, status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(RequestDataTooBig)
    def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        body = error_body(
            "too_large",
            "请求过大，请分批推送（每批不超过约 2 MB）",
            "the request is too large; push the roster in parts (about 2 MB each)",
            "rows",
        )
        return api.create_response(request, body, status=413)

    @api.exception_handler(SchemaError)
    def invalid_request(request: HttpRequest, exc: SchemaError) -> HttpResponse:
        problems = _problems(exc.errors)
        field = _field(problems[0]) if problems else None
        where = f"：{field}" if field else ""
        where_en = f": {field}" if field else ""
        body = error_body(
            "invalid_request",
            f"请求格式不正确{where}",
            f"the request is not valid{where_en}",
            field,
        )
        body["detail"] = problems
        return api.create_response(request, body, status=422)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # django-ninja raises HttpError(400) for a body that is not JSON (or not UTF-8).
        if exc.status_code == 400:
            body = error_body(
                "invalid_body",
                "请求正文无法解析，应为 UTF-8 编码的 JSON",
                "the request body cannot be parsed; send JSON in UTF-8",
                "body",
            )
        else:
            body = error_body("refused", "请求被拒绝", "the request was refused")
        return api.create_response(request, body, status=exc.status_code)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        body = error_body("not_found", "记录不存在或无权访问", "not found")
        return api.create_response(request, body, status=404)
