"""Errors as JSON: a domain error becomes a 4xx with its code and both messages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as SchemaError

from dpf.core.errors import DomainError


def error_body(
    code: str, message: str, message_en: str, field: str | None = None, row: int | None = None
) -> dict[str, Any]:
    return {"code": code, "message": message, "message_en": message_en, "field": field, "row": row}


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        status = 404 if exc.code == "not_found" else 400
        body = error_body(
            exc.code, exc.message_zh, exc.message_en, exc.field, getattr(exc, "row", None)
        )
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
        body = error_body("invalid_request", "请求格式不正确", "the request is not valid")
        body["detail"] = exc.errors
        return api.create_response(request, body, status=422)
