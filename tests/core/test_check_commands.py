"""``dpf id check`` and ``dpf certificate check``: the documented JSON keys and exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ID_VALID_KEYS = {"valid", "normalized", "birth_date", "sex", "region_code", "upgraded_from_15"}
CERT_VALID_KEYS = {"valid", "id_number", "category", "category_name", "level", "severe"}
# The issue documents valid, error and message (Chinese); message_en carries the English
# message that every refusal must also have.
ERROR_KEYS = {"valid", "error", "message", "message_en"}


def _run(*args: str) -> tuple[dict[str, object], int]:
    """The command's JSON and its exit status (0 unless it called sys.exit)."""
    out = io.StringIO()
    status = 0
    try:
        call_command(*args, "--json", stdout=out)
    except SystemExit as exc:
        status = int(exc.code or 0)
    return json.loads(out.getvalue()), status


def test_id_check_valid() -> None:
    result, status = _run("id", "check", "11010519491231002x")
    assert status == 0
    assert set(result) == ID_VALID_KEYS
    assert result == {
        "valid": True,
        "normalized": "11010519491231002X",
        "birth_date": "1949-12-31",
        "sex": "F",
        "region_code": "110105",
        "upgraded_from_15": False,
    }


def test_id_check_upgrades_a_fifteen_digit_number() -> None:
    result, status = _run("id", "check", "360121701121001")
    assert status == 0
    assert result["normalized"] == "360121197011210013"
    assert result["upgraded_from_15"] is True
    assert (result["sex"], result["birth_date"]) == ("M", "1970-11-21")


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("36012119701121001", "length"),
        ("3601211970112100A3", "characters"),
        ("360121199902300013", "date"),
        ("360121209901010013", "future_date"),
        ("360121197011210014", "checksum"),
        ("060121197011210013", "region"),
    ],
)
def test_id_check_invalid(number: str, code: str) -> None:
    result, status = _run("id", "check", number)
    assert status == 1
    assert set(result) == ERROR_KEYS
    assert result["valid"] is False
    assert result["error"] == code
    assert result["message"] != result["message_en"]
    assert number not in json.dumps(result)


def test_certificate_check_valid() -> None:
    result, status = _run("certificate", "check", "36012119701121001343")
    assert status == 0
    assert result == {
        "valid": True,
        "id_number": "360121197011210013",
        "category": 4,
        "category_name": "肢体",
        "level": 3,
        "severe": False,
    }
    assert set(result) == CERT_VALID_KEYS


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("360121197011210013", "length"),
        ("36012119701121001383", "category"),
        ("36012119701121001345", "level"),
        ("36012119701121001443", "checksum"),  # the embedded ID number's own code
    ],
)
def test_certificate_check_invalid(number: str, code: str) -> None:
    result, status = _run("certificate", "check", number)
    assert status == 1
    assert set(result) == ERROR_KEYS
    assert result["valid"] is False
    assert result["error"] == code


@pytest.mark.parametrize(
    ("args", "status", "valid"),
    [
        (["id", "check", "360121197011210013"], 0, True),
        (["certificate", "check", "36012119701121001383"], 1, False),
    ],
)
def test_the_installed_command_exits_with_the_status(
    args: list[str], status: int, valid: bool
) -> None:
    """The real process, as a shell script would run it."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "dpf.cli", *args, "--json"],
        cwd=root,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == status, done.stderr
    assert json.loads(done.stdout)["valid"] is valid
