"""Every entry point of ID and certificate numbers inherits the one parser (issue 14, hole 2):
full-width digits are the same number, any other script's digits are refused. The
registration form has its own attacks in ``tests/registry/test_registration_input.py``;
the parser's properties are in ``test_digit_scripts.py``."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from dpf.exchange.models import ImportBatch, ImportRow
from dpf.registry import services as registry_services
from dpf.registry.models import HouseholdStatus
from tests.factories import make_person, make_user

FULL_WIDTH = {ord(str(d)): 0xFF10 + d for d in range(10)} | {ord("X"): "Ｘ"}
ARABIC_INDIC = {ord(str(d)): 0x0660 + d for d in range(10)}
MATH_BOLD = {ord(str(d)): 0x1D7CE + d for d in range(10)}  # NFKC turns these into ASCII
ROOT = Path(__file__).resolve().parents[2]


def _command(*args: str) -> tuple[dict[str, object], int]:
    out = io.StringIO()
    status = 0
    try:
        call_command(*args, "--json", stdout=out)
    except SystemExit as exc:
        status = int(exc.code or 0)
    return json.loads(out.getvalue()), status


# --- commands -----------------------------------------------------------------------------


def test_id_check_reads_full_width_and_refuses_other_scripts() -> None:
    number = "11010519491231002X"
    result, status = _command("id", "check", number.translate(FULL_WIDTH))
    assert status == 0
    assert result["normalized"] == number
    for script in (ARABIC_INDIC, MATH_BOLD):
        result, status = _command("id", "check", number.translate(script))
        assert status == 1
        assert result["error"] == "characters"
        assert "0 to 9" in str(result["message_en"])


def test_certificate_check_reads_full_width_and_refuses_other_scripts() -> None:
    number = "36012119701121001343"
    result, status = _command("certificate", "check", number.translate(FULL_WIDTH))
    assert status == 0
    assert result["id_number"] == "360121197011210013"
    assert (result["category"], result["level"]) == (4, 3)
    refused, status = _command("certificate", "check", number[:18] + "٤٣")
    assert status == 1
    assert refused["error"] == "category"
    refused, status = _command("certificate", "check", number.translate(ARABIC_INDIC))
    assert status == 1
    assert refused["error"] == "characters"


def test_the_installed_id_command_refuses_arabic_indic_digits() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dpf.cli", "id", "check", "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "--json"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["error"] == "characters"


# --- the exchange API and roster rows -----------------------------------------------------


def _validated(batch_id: int) -> ImportBatch:
    """The batch after validation (run here when validation happens in the background)."""
    if importlib.util.find_spec("dpf.exchange.jobs") is not None:
        from dpf.exchange import jobs

        batch = ImportBatch.objects.get(pk=batch_id)
        if batch.status not in ("previewed", "failed"):
            jobs.run_validation(batch_id)
    return ImportBatch.objects.get(pk=batch_id)


@pytest.mark.django_db
def test_the_exchange_api_matches_full_width_and_refuses_other_scripts(client) -> None:
    officer = make_user("county_officer", "150402")
    person = make_person(actor=officer, name="李秀英", sex="F")
    department = make_user("department_exchange", "150400")
    out = io.StringIO()
    call_command(
        "exchange", "token", "create", "--department", "民政", "--user", department.username,
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    token = out.getvalue().strip()
    rows = [
        {"身份证号码": person.id_number.translate(FULL_WIDTH), "姓名": "李秀英",
         "类别": "低保", "起始日期": "2023-1-5"},
        {"身份证号码": person.id_number.translate(ARABIC_INDIC), "姓名": "李秀英",
         "类别": "低保", "起始日期": "2023-1-5"},
        {"身份证号码": person.id_number.translate(MATH_BOLD), "姓名": "李秀英",
         "类别": "低保", "起始日期": "2023-1-5"},
        {"身份证号码": person.id_number, "姓名": "李\u202e英秀", "类别": "低保",
         "起始日期": "2023-1-5"},
    ]  # fmt: skip
    response = client.post(
        "/api/exchange/rosters/dibao",
        data=json.dumps({"rows": rows}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 201, response.content
    batch = _validated(response.json()["id"])
    by_row = {r.row_number: r for r in ImportRow.objects.filter(batch=batch)}
    # The full-width row is the registered person, not a stranger to add.
    assert by_row[1].outcome == "will_change"
    assert by_row[1].person_id == person.pk
    for number in (2, 3):
        assert by_row[number].outcome == "invalid"
        assert [e["code"] for e in by_row[number].errors] == ["characters"]
        assert by_row[number].person_id is None
        assert by_row[number].id_hash == ""
    assert by_row[4].outcome == "invalid"
    assert [e["code"] for e in by_row[4].errors] == ["name_characters"]
    assert not HouseholdStatus.objects.exists()


# --- portal registration ------------------------------------------------------------------


@pytest.mark.django_db
def test_portal_registration_reads_the_same_person_in_full_width_digits() -> None:
    """The portal's look-up of a person by ID and certificate number: the full-width
    spelling finds the same certificate (both hashes are taken of the normalised numbers),
    an Arabic-Indic spelling finds nobody."""
    from dpf.portal import services as portal

    person = make_person(name="王淑兰", sex="F", phone="13904761234")
    certificate = registry_services.certificate_issue(
        actor=None, person=person, category=4, level=2, issue_date=dt.date(2024, 1, 1)
    )
    today = dt.date(2026, 12, 1)
    wide = portal._matching_person(
        person.id_number.translate(FULL_WIDTH), certificate.number.translate(FULL_WIDTH), today
    )
    assert wide == person
    assert (
        portal._matching_person(person.id_number.translate(ARABIC_INDIC), certificate.number, today)
        is None
    )


# --- bank account numbers -----------------------------------------------------------------


@pytest.mark.parametrize("script", [ARABIC_INDIC, MATH_BOLD], ids=["arabic-indic", "math"])
def test_a_bank_account_in_other_digits_is_refused_and_full_width_is_read(script) -> None:
    from dpf.core.errors import ValidationFailed
    from dpf.workflow.services.common import clean_bank_account

    number = "6217000099998888777"
    assert clean_bank_account(number.translate(FULL_WIDTH)) == number
    with pytest.raises(ValidationFailed) as info:
        clean_bank_account(number.translate(script))
    assert info.value.code == "bank_account"
    assert info.value.field == "account_number"
