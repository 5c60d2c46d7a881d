"""Helpers for roster tests: build xlsx/csv files in memory, stage and validate them."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import Workbook

from dpf.benefits import services as benefit_services
from dpf.exchange import services
from dpf.exchange.models import ImportBatch


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def real_rescan() -> None:
    """Request this fixture to run the benefits rescan after commits (slow: every benefit)."""


@pytest.fixture(autouse=True)
def _rescan_only_when_asked(request, monkeypatch) -> None:
    # The rescan after a commit is tested on its own (test_rescan.py); elsewhere it would
    # only make each commit re-evaluate every benefit.
    if "real_rescan" not in request.fixturenames:
        monkeypatch.setattr(benefit_services, "scan", lambda *, actor, incremental: None)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode(encoding)


def stage(actor, roster_type: str, content: bytes, name: str = "roster.xlsx") -> ImportBatch:
    """Upload and validate at once (small files are validated in-process)."""
    batch = services.batch_upload(
        actor=actor, roster_type=roster_type, file_name=name, stream=io.BytesIO(content)
    )
    return services.batch_validate_now(batch)


def outcomes(batch: ImportBatch) -> dict[int, str]:
    return dict(batch.rows.values_list("row_number", "outcome"))


def errors_of(batch: ImportBatch, row_number: int) -> list[dict[str, Any]]:
    return batch.rows.get(row_number=row_number).errors
