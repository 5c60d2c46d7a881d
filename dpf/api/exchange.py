"""Exchange API: partner departments push rosters as JSON and read the results.

Authentication: ``Authorization: Bearer <token>`` with a token from
``dpf exchange token create``; only ``department_exchange`` accounts hold tokens. A roster
is staged and validated in the background as an uploaded file is (the push answers at once
with the batch ``validating``; ``GET /batches/{id}`` shows the progress, then the rows), but
a department is shown only its own
rows and whether each is valid by itself: never whether an ID number is registered, nor
anything of a registered person's record (the outcome against the registry is for the
region's staff, on the preview page). ID numbers are never returned in clear.
"""

import datetime as dt
from typing import Any, Literal

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.security import HttpBearer
from pydantic import ConfigDict, StrictFloat, StrictInt, StrictStr

from dpf.accounts.http import AuthedHttpRequest
from dpf.api.access import api_permission_required
from dpf.api.errors import ErrorOut, refusals
from dpf.core.crypto import mask_name
from dpf.exchange import selectors, services
from dpf.exchange.display import department_errors, row_summary
from dpf.exchange.models import BatchStatus, ExchangeToken, ImportBatch, ImportRow
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

# A cell as JSON gives it: text, a number or null (booleans, lists and objects are refused).
Cell = StrictStr | StrictInt | StrictFloat | None
# Ids are 64-bit; a larger number names no batch and is refused before the database.
BATCH_ID = Path(..., ge=1, le=2**63 - 1, description="批次号 / batch id")
Result = Literal["valid", "invalid"]
RESULT = Query(None, description="只看有效或无效的行 / only valid or invalid rows")
PAGE = Query(1, ge=1, description="页码（超出时为最后一页） / page (past the end: the last)")
# The codes of ``ROSTER_TYPES`` (a test keeps the two equal), so the schema lists them.
RosterTypeCode = Literal[
    "dibao",
    "pension",
    "medical",
    "school",
    "family_doctor",
    "death",
    "needs_survey",
    "medical_settlement",
    "work_injury_care",
    "orphan_support",
    "elderly_care_allowance",
    "veteran_care",
]
ROSTER_TYPE = Path(..., description="名单类型 / roster type (GET /rosters)")


class RosterPush(Schema):
    # GB 11643's own sample ID number: valid, and nobody's in Chifeng.
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rows": [
                        {
                            "身份证号码": "11010519491231002X",
                            "姓名": "张三",
                            "类别": "低保",
                            "起始日期": "2023-01-05",
                        }
                    ]
                }
            ]
        }
    )

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


class CellErrorOut(Schema):
    column: str
    code: str
    message: str
    message_en: str


class RowOut(Schema):
    """One row as the department sent it, and whether it is valid by itself."""

    row: int = Field(..., description="行号 / row number")
    result: Result = Field(
        ...,
        description=(
            "该行自身是否有效（不表示登记系统中是否有此人） / whether the row is valid by "
            "itself (says nothing of whether the person is registered)"
        ),
    )
    id_number_masked: str
    name_masked: str
    summary: str = Field(..., description="该行内容 / what the row says")
    errors: list[CellErrorOut]


class CountsOut(Schema):
    total: int
    valid: int
    invalid: int


class BatchOut(Schema):
    id: int
    roster_type: str
    status: BatchStatus = Field(
        ...,
        description=(
            "validating：正在后台校验，稍后再读取；previewed：已校验，可确认导入 / validating: "
            "being validated in the background, read it again later; previewed: validated, "
            "may be committed"
        ),
    )
    progress: int = Field(..., ge=0, le=100, description="校验进度（百分比） / percent validated")
    rows_read: int = Field(..., ge=0, description="已校验的行数 / rows validated so far")
    rows_total: int | None = Field(
        ...,
        ge=0,
        description=(
            "名单的行数（尚未清点时为 null） / rows in the roster (null until they are counted)"
        ),
    )
    counts: CountsOut = Field(
        ...,
        description="校验完成后的统计（校验中为 0） / counts once validated (0 while validating)",
    )
    errors: list[ErrorOut]
    created_at: dt.datetime
    committed_at: dt.datetime | None


class BatchDetailOut(BatchOut):
    page: int
    pages: int
    rows: list[RowOut]


def _validating(batch: ImportBatch) -> bool:
    """Rows written so far may still change (a later row can prove an earlier one a
    conflict): none is shown, nor counted, until the validation ends."""
    return batch.status == BatchStatus.VALIDATING


def _batch_out(batch: ImportBatch) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "roster_type": batch.roster_type,
        "status": batch.status,
        "progress": batch.progress,
        "rows_read": batch.rows_read,
        "rows_total": batch.rows_total,
        "counts": (
            {"total": 0, "valid": 0, "invalid": 0}
            if _validating(batch)
            else selectors.department_counts(batch)
        ),
        "errors": batch.errors,
        "created_at": batch.created_at,
        "committed_at": batch.committed_at,
    }


def _row_out(row: ImportRow) -> dict[str, Any]:
    return {
        "row": row.row_number,
        "result": "invalid" if row.invalid_by_itself else "valid",  # type: ignore[attr-defined]
        "id_number_masked": row.id_masked,
        "name_masked": mask_name(row.values.get("name") or ""),
        "summary": row_summary(row.values),
        "errors": department_errors(row.errors),
    }


def _actor(request: HttpRequest) -> Any:
    token: ExchangeToken = request.auth  # type: ignore[attr-defined]
    return token.user


@router.get("/rosters", response={200: list[RosterTypeOut], **refusals(401)})
@api_permission_required("import", "roster")
def roster_types(request: AuthedHttpRequest) -> list[dict[str, Any]]:
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


@router.post(
    "/rosters/{roster_type}", response={201: BatchOut, **refusals(400, 401, 409, 413, 422)}
)
@api_permission_required("import", "roster")
def push_roster(
    request: AuthedHttpRequest,
    payload: RosterPush,
    roster_type: RosterTypeCode = ROSTER_TYPE,
) -> Any:
    """推送名单：暂存后在后台校验，立即返回批次号，状态为 validating；用 GET /batches/{id}
    查看进度，校验完成（previewed）后查看各行自身的校验结果并确认导入（尚未写入登记系统）。

    Push a roster: staged, then validated in the background. Answers at once with the batch
    id and the status ``validating``; ``GET /batches/{id}`` shows the progress and, once the
    batch is ``previewed``, each row's own result. Nothing changes in the registry until
    the batch is committed (a commit before then is refused: 409 ``not_previewed``).
    """
    token: ExchangeToken = request.auth  # type: ignore[attr-defined]
    batch = services.batch_receive_rows(
        actor=token.user, roster_type=roster_type, rows=payload.rows, department=token.department
    )
    services.batch_validate_start(batch)
    return Status(201, _batch_out(batch))


@router.get("/batches/{batch_id}", response={200: BatchDetailOut, **refusals(401, 404, 422)})
@api_permission_required("export", "roster")
def batch_detail(
    request: AuthedHttpRequest,
    batch_id: int = BATCH_ID,
    result: Result | None = RESULT,
    page: int = PAGE,
) -> Any:
    """批次状态、校验进度、统计和各行自身的校验结果（脱敏；校验完成后才有） / Status,
    progress, counts and each row's own result (masked; once validated)."""
    batch = selectors.batch_get(_actor(request), batch_id)
    rows = selectors.department_rows(batch, result)
    paginator = Paginator(rows.none() if _validating(batch) else rows, ROWS_PER_PAGE)
    current = paginator.get_page(page)
    return {
        **_batch_out(batch),
        "page": current.number,
        "pages": paginator.num_pages,
        "rows": [_row_out(r) for r in current.object_list],
    }


@router.post("/batches/{batch_id}/commit", response={200: BatchOut, **refusals(401, 404, 409, 422)})
@api_permission_required("import", "roster")
def commit_batch(request: AuthedHttpRequest, batch_id: int = BATCH_ID) -> Any:
    """确认导入：在一个事务中写入登记系统 / Commit the batch in one transaction."""
    batch = selectors.batch_get(_actor(request), batch_id)
    return _batch_out(services.batch_commit(actor=_actor(request), batch=batch))
