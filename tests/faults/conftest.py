"""Fixtures of the fault tests: the test database and key ring shared with child processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults.support import Outside


@pytest.fixture
def outside(tmp_path: Path) -> Outside:
    return Outside(tmp_path)
