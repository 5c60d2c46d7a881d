"""Exchange API: partner departments push rosters as JSON and read the results.

Authentication: ``Authorization: Bearer <token>`` with a token from
``dpf exchange token create``; only ``department_exchange`` accounts hold tokens. The
staging and preview are the same as for an uploaded file; ID numbers are never returned
in clear.
"""

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.security import HttpBearer

from dpf.api.access import api_allow
from dpf.core.crypto import mask_name
from dpf.core.errors import ValidationFailed
from dpf.core.roles import Role
from dpf.exchange import selectors, services
from dpf.exchange.display import describe
from dpf.exchange.models import ExchangeToken, ImportBatch, ImportRow, Outcome
from dpf.exchange.rostertypes import ROSTER_TYPES

ROWS_PER_PAGE = 500


class ExchangeTokenAuth(HttpBearer):
    """A department's bearer token (stored as SHA-256; see ``ExchangeToken``)."""

    def authenticate(self, request: HttpRequest, token: str) -> ExchangeToken | None:
        found = services.token_authenticate(token)
        if found is not None:
            request.user = found.user
        return found


router = Router(auth=ExchangeTokenAuth(), tags=["exchange 数据交换"])

Cell = str | int | float | None


class RosterPush(Schema):
    rows: list[dict[str, Cell]] = Field(
        ...,
        description=(
            "名单行：键为表头（中文列名或其常见写法，如“身份证号码”“姓名”“类别”“起始日期”），"
            "或英文字段名（id_number, name, status, valid_from, valid_to …）。"
            " / Rows keyed by the template's headers or the field keys."
        ),
        min_length=1,
    )


class ColumnOut(Schema):
    key: str
    header: str
    required: bool
    accepted_headers: list[str]


class RosterTypeOut(Schema):
    code: str
    name: str
    department: str
    columns: list[ColumnOut]


class ErrorOut(Schema):
    code: str
    message: str
    message_en: str
    field: str | None = None
    row: int | None = None


class RowOut(Schema):
    row: int
    outcome: str
    id_number_masked: str
    name_masked: str
    before: str
    after: str
    errors: list[dict[str, Any]]


class BatchOut(Schema):
    id: int
    roster_type: str
    status: str
    progress: int
    counts: dict[str, int]
    errors: list[dict[str, Any]]
    created_at: str
    committed_at: str | None


class BatchDetailOut(BatchOut):
    page: int
    pages: int
    rows: list[RowOut]


def _batch_out(batch: ImportBatch) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "roster_type": batch.roster_type,
        "status": batch.status,
        "progress": batch.progress,
        "counts": batch.counts,
        "errors": batch.errors,
        "created_at": batch.created_at.isoformat(),
        "committed_at": batch.committed_at.isoformat() if batch.committed_at else None,
    }


def _row_out(row: ImportRow) -> dict[str, Any]:
    return {
        "row": row.row_number,
        "outcome": row.outcome,
        "id_number_masked": row.id_masked,
        "name_masked": mask_name(row.values.get("name") or ""),
        "before": describe(row.before),
        "after": describe(row.after),
        "errors": row.errors,
    }


def _actor(request: HttpRequest) -> Any:
    token: ExchangeToken = request.auth  # type: ignore[attr-defined]
    return token.user


ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}


@router.get("/rosters", response={200: list[RosterTypeOut], 401: ErrorOut})
@api_allow(Role.DEPARTMENT_EXCHANGE, action="import", object_type="roster")
def roster_types(request: HttpRequest) -> list[dict[str, Any]]:
    """名单类型及列 / The roster types and their columns."""
    return [
        {
            "code": t.code,
            "name": str(t.name),
            "department": str(t.department),
            "columns": [
                {
                    "key": c.key,
                    "header": c.header,
                    "required": c.required and not c.blank_ok,
                    "accepted_headers": list(c.accepted_headers()),
                }
                for c in t.columns
            ],
        }
        for t in ROSTER_TYPES.values()
    ]


@router.post("/rosters/{roster_type}", response={201: BatchOut, **ERRORS})
@api_allow(Role.DEPARTMENT_EXCHANGE, action="import", object_type="roster")
def push_roster(request: HttpRequest, roster_type: str, payload: RosterPush) -> Any:
    """推送名单：暂存并校验，返回批次号和预览统计（尚未写入登记系统）。

    Push a roster: staged and validated; returns the batch id and the preview counts.
    Nothing changes in the registry until the batch is committed.
    """
    token: ExchangeToken = request.auth  # type: ignore[attr-defined]
    batch = services.batch_receive_rows(
        actor=token.user, roster_type=roster_type, rows=payload.rows, department=token.department
    )
    batch = services.batch_validate_now(batch)
    return Status(201, _batch_out(batch))


@router.get("/batches/{batch_id}", response={200: BatchDetailOut, **ERRORS})
@api_allow(Role.DEPARTMENT_EXCHANGE, action="export", object_type="roster")
def batch_detail(
    request: HttpRequest, batch_id: int, outcome: str | None = None, page: int = 1
) -> Any:
    """批次状态、统计和逐行结果（脱敏） / Status, counts and row outcomes (masked)."""
    batch = selectors.batch_get(_actor(request), batch_id)
    if outcome and outcome not in Outcome.values:
        raise ValidationFailed("outcome", "结果类型无效", "unknown outcome", field="outcome")
    paginator = Paginator(selectors.batch_rows(batch, outcome), ROWS_PER_PAGE)
    current = paginator.get_page(page)
    return {
        **_batch_out(batch),
        "page": current.number,
        "pages": paginator.num_pages,
        "rows": [_row_out(r) for r in current.object_list],
    }


@router.post("/batches/{batch_id}/commit", response={200: BatchOut, **ERRORS})
@api_allow(Role.DEPARTMENT_EXCHANGE, action="import", object_type="roster")
def commit_batch(request: HttpRequest, batch_id: int) -> Any:
    """确认导入：在一个事务中写入登记系统 / Commit the batch in one transaction."""
    batch = selectors.batch_get(_actor(request), batch_id)
    return _batch_out(services.batch_commit(actor=_actor(request), batch=batch))
