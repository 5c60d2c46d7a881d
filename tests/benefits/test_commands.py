"""``dpf rules eval`` (what-if without the database), ``dpf rules check`` and ``dpf scan``.

The what-if tests carry no database mark: pytest-django refuses any query, so they also
prove the evaluation never touches the database.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.benefits.conftest import AS_OF, person_with

NURSING_PERSON: dict[str, Any] = {
    "birth_date": "1970-03-01",
    "alive": True,
    "certificate": {
        "category": 4,
        "level": 1,
        "valid_from": "2020-01-01",
        "valid_to": "2029-12-31",
        "status": "valid",
    },
    "household_status": "dibao",
    "in_destitute_care": False,
    "long_term_care_need": True,
    "receiving": ["orphan_support"],
    "residence_region": "150402001001",
}


def run(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("rules", *args, stdout=out)
    return json.loads(out.getvalue())


def write(tmp_path: Path, content: str) -> str:
    path = tmp_path / "person.json"
    path.write_text(content, encoding="utf-8")
    return str(path)


def evaluate(tmp_path: Path, facts: dict[str, Any], benefit: str, *extra: str) -> dict[str, Any]:
    path = write(tmp_path, json.dumps(facts))
    return run(
        "eval",
        "--benefit",
        benefit,
        "--as-of",
        AS_OF.isoformat(),
        "--facts",
        path,
        "--json",
        *extra,
    )


def test_orphan_gets_nursing_not_living_allowance(tmp_path):
    nursing = evaluate(tmp_path, NURSING_PERSON, "nursing_allowance")
    living = evaluate(tmp_path, NURSING_PERSON, "living_allowance")
    assert nursing["benefit"] == "nursing_allowance"
    assert nursing["eligible"] is True
    assert living["eligible"] is False
    failing = [c for c in living["clauses"] if c["value"] is False]
    assert failing
    assert any("orphan_support" in c["text"] for c in failing)
    for clause in nursing["clauses"]:
        assert set(clause) == {"text", "value", "label", "label_en"}


def test_expired_certificate_is_not_valid(tmp_path):
    facts = {
        **NURSING_PERSON,
        "certificate": {**NURSING_PERSON["certificate"], "valid_to": "2024-12-31"},
    }
    assert evaluate(tmp_path, facts, "nursing_allowance")["eligible"] is False
    cancelled = {
        **NURSING_PERSON,
        "certificate": {**NURSING_PERSON["certificate"], "status": "cancelled"},
    }
    assert evaluate(tmp_path, cancelled, "nursing_allowance")["eligible"] is False


def test_defaults_alive_and_text_output(tmp_path):
    facts = {k: v for k, v in NURSING_PERSON.items() if k != "alive"}
    path = write(tmp_path, json.dumps(facts))
    out = io.StringIO()
    call_command(
        "rules",
        "eval",
        "--benefit",
        "nursing_allowance",
        "--as-of",
        "2025-06-30",
        "--facts",
        path,
        stdout=out,
    )
    assert "eligible" in out.getvalue()
    assert "not eligible" not in out.getvalue()


def refused(tmp_path: Path, *args: str) -> CommandError:
    with pytest.raises(CommandError) as exc:
        call_command("rules", *args, stdout=io.StringIO())
    assert exc.value.returncode == 2
    return exc.value


def test_invalid_json_is_refused_with_its_position(tmp_path):
    path = write(tmp_path, '{"birth_date": "1970-03-01",\n  "alive": tru}')
    error = refused(
        tmp_path, "eval", "--benefit", "living_allowance", "--as-of", "2025-06-30", "--facts", path
    )
    assert "line 2" in str(error)
    assert "第2行" in str(error)


def test_missing_file_and_non_object_are_refused(tmp_path):
    error = refused(
        tmp_path,
        "eval",
        "--benefit",
        "living_allowance",
        "--as-of",
        "2025-06-30",
        "--facts",
        str(tmp_path / "nope.json"),
    )
    assert "not found" in str(error)
    path = write(tmp_path, "[1, 2]")
    error = refused(
        tmp_path, "eval", "--benefit", "living_allowance", "--as-of", "2025-06-30", "--facts", path
    )
    assert "object" in str(error)


def test_missing_field_is_named(tmp_path):
    facts = {k: v for k, v in NURSING_PERSON.items() if k != "birth_date"}
    path = write(tmp_path, json.dumps(facts))
    error = refused(
        tmp_path, "eval", "--benefit", "nursing_allowance", "--as-of", "2025-06-30", "--facts", path
    )
    assert "birth_date" in str(error)


def test_unknown_benefit_and_bad_date_are_refused(tmp_path):
    path = write(tmp_path, json.dumps(NURSING_PERSON))
    error = refused(
        tmp_path, "eval", "--benefit", "moon_pension", "--as-of", "2025-06-30", "--facts", path
    )
    assert "moon_pension" in str(error)
    assert "惠残事项不存在" in str(error)
    refused(
        tmp_path, "eval", "--benefit", "living_allowance", "--as-of", "2025-13-01", "--facts", path
    )


def test_rules_check(tmp_path):
    assert run("check", "alive && certificate.valid", "--json") == {"valid": True}
    error = refused(tmp_path, "check", "alive && nonsense_attribute")
    assert "column" in str(error)


@pytest.mark.django_db
def test_use_db_applies_the_stored_county_widening(tmp_path, city_admin):

    from dpf.benefits import services
    from dpf.benefits.models import BenefitItem, RuleMode

    services.rule_version_publish(
        actor=city_admin,
        benefit=BenefitItem.objects.get(code="nursing_allowance"),
        text="certificate.valid && certificate.level in [3, 4] && certificate.category in [5, 6]",
        region_code="150402",
        mode=RuleMode.WIDEN,
        valid_from=dt.date(2025, 1, 1),
    )
    facts = {
        **NURSING_PERSON,
        "certificate": {**NURSING_PERSON["certificate"], "category": 5, "level": 3},
    }
    shipped = evaluate(tmp_path, facts, "nursing_allowance", "--region", "150402")
    stored = evaluate(tmp_path, facts, "nursing_allowance", "--region", "150402", "--use-db")
    elsewhere = evaluate(tmp_path, facts, "nursing_allowance", "--region", "150404", "--use-db")
    assert shipped["eligible"] is False
    assert shipped["source"] == "catalogue"
    assert stored["eligible"] is True
    assert stored["widening_region"] == "150402"
    assert elsewhere["eligible"] is False


@pytest.mark.django_db
def test_scan_command_prints_counts():
    person_with(level=1, household="dibao", long_term_care=True)
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "scan",
        "--as-of",
        AS_OF.isoformat(),
        "--benefit",
        "living_allowance",
        "--benefit",
        "nursing_allowance",
        "--json",
        stdout=out,
        stderr=err,
    )
    result = json.loads(out.getvalue())
    assert set(result["counts"]) == {"living_allowance", "nursing_allowance"}
    assert result["counts"]["nursing_allowance"]["proposed"] == 1
    assert "[2/2] nursing_allowance" in err.getvalue()
    with pytest.raises(CommandError) as exc:
        call_command("scan", "--benefit", "nope", stdout=io.StringIO(), stderr=io.StringIO())
    assert exc.value.returncode == 2


@pytest.mark.django_db
def test_enrol_demo_refuses_real_people() -> None:
    """A registry holding a real person gets no demo entitlements (the scan benchmark that
    shared this command is ``dpf bench scan`` now, tested in tests/bench)."""
    person_with(level=1, household="dibao")
    with pytest.raises(CommandError) as exc:
        call_command("benefits", "enrol-demo", stdout=io.StringIO())
    assert exc.value.returncode == 2
