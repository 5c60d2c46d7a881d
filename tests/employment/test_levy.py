"""``dpf.employment.levy`` and ``dpf levy compute``: cases worked by hand.

Inner Mongolia's quota is 1.5% of staff; the wage used is capped at 2 x the local average
social wage (3 x before 2018-04-01); enterprises with <= 30 staff are exempt from 2017-04-01
through 2027; levies collected 2020-2027 pay 50% at a placement rate >= 1% and 90% below;
from 2025 each whole extra person above the quota earns 5 x the monthly minimum wage.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from dpf.employment.levy import (
    DisabledEmployee,
    LevyInputInvalid,
    compute,
    employee_weight,
    parse_declaration,
)

OUTPUT_KEYS = {
    "required",
    "counted",
    "shortfall",
    "wage_used",
    "gross",
    "relief",
    "levy_due",
    "reward",
}


def employee(**kwargs: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "category": "physical",
        "level": 4,
        "contract_months": 12,
        "paid_at_least_min_wage": True,
        "social_insurance": True,
    }
    row.update(kwargs)
    return row


def declaration(**kwargs: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "levy_year": 2024,
        "enterprise": True,
        "staff_count": 200,
        "avg_wage": "150000.00",
        "local_avg_social_wage": "60000.00",
        "disabled_employees": [],
    }
    data.update(kwargs)
    return data


def levy(data: dict[str, Any]) -> dict[str, Any]:
    return compute(parse_declaration(data)).as_dict()


def run_command(tmp_path: Path, data: object, raw: bytes | None = None) -> tuple[dict, int]:
    path = tmp_path / "declaration.json"
    path.write_bytes(raw if raw is not None else json.dumps(data).encode())
    out = io.StringIO()
    status = 0
    try:
        call_command("levy", "compute", "--input", str(path), "--json", stdout=out)
    except SystemExit as exc:
        status = int(exc.code or 0)
    return json.loads(out.getvalue()), status


# --- counting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "weight"),
    [
        ({"category": 4, "level": 4}, 1),
        ({"category": 4, "level": 3}, 1),
        ({"category": 1, "level": 2}, 2),  # level 1-2 counts as 2
        ({"category": 2, "level": 1}, 2),
        ({"category": 5, "level": 3}, 2),  # intellectual level 3-4 counts as 2
        ({"category": 6, "level": 4}, 2),  # mental level 3-4 counts as 2
        ({"category": 7, "level": 3}, 1),  # multiple level 3 does not
        ({"category": None, "level": None, "military_level": 3}, 2),  # military 1-3
        ({"category": None, "level": None, "military_level": 4}, 1),
        ({"category": 4, "level": 1, "contract_months": 11}, 0),  # contract < 1 year
        ({"category": 4, "level": 1, "paid_at_least_min_wage": False}, 0),
        ({"category": 4, "level": 1, "social_insurance": False}, 0),
    ],
)
def test_employee_weight(kwargs: dict[str, Any], weight: int) -> None:
    base: dict[str, Any] = {
        "contract_months": 12,
        "paid_at_least_min_wage": True,
        "social_insurance": True,
    }
    assert employee_weight(DisabledEmployee(**{**base, **kwargs})) == weight


# --- whole declarations ---------------------------------------------------------------------


def test_wage_cap_and_the_90_percent_band() -> None:
    # 200 staff x 1.5% = 3 required; 1 counted; shortfall 2. Average wage 150,000 is above
    # the cap 2 x 60,000 = 120,000. Gross 2 x 120,000 = 240,000. Placement rate
    # 1/200 = 0.5% < 1%: pay 90% = 216,000, relief 24,000.
    assert levy(declaration(disabled_employees=[employee()])) == {
        "required": 3,
        "counted": 1,
        "shortfall": 2,
        "wage_used": "120000.00",
        "gross": "240000.00",
        "relief": "24000.00",
        "levy_due": "216000.00",
        "reward": "0.00",
    }


def test_double_counting_and_the_50_percent_band() -> None:
    # 2023, 150 staff: required 2.25. Intellectual level 3 counts 2; an 11-month contract
    # and an uninsured employee count 0: counted 2, shortfall 0.25. Wage 80,000 under the
    # cap 140,000. Gross 0.25 x 80,000 = 20,000. Rate 2/150 = 1.33% >= 1%: pay 50%.
    result = levy(
        declaration(
            levy_year=2023,
            staff_count=150,
            avg_wage="80000.00",
            local_avg_social_wage="70000.00",
            disabled_employees=[
                employee(category="intellectual", level=3),
                employee(level=1, contract_months=11),
                employee(level=2, social_insurance=False),
            ],
        )
    )
    assert result == {
        "required": 2.25,
        "counted": 2,
        "shortfall": 0.25,
        "wage_used": "80000.00",
        "gross": "20000.00",
        "relief": "10000.00",
        "levy_due": "10000.00",
        "reward": "0.00",
    }


def test_no_relief_before_2020() -> None:
    # 2019, 300 staff: required 4.5, none counted. Wage 100,000 under the cap 120,000.
    # Gross 4.5 x 100,000 = 450,000; the bands start with the levies of 2020: all due.
    result = levy(declaration(levy_year=2019, staff_count=300, avg_wage="100000"))
    assert result["gross"] == "450000.00"
    assert result["relief"] == "0.00"
    assert result["levy_due"] == "450000.00"


def test_relief_bands_through_2027_and_not_2028() -> None:
    # 300 staff, none counted, gross 450,000 as above; 2027: 90% due; 2028: all due.
    assert (
        levy(declaration(levy_year=2027, staff_count=300, avg_wage="100000"))["levy_due"]
        == "405000.00"
    )
    assert (
        levy(declaration(levy_year=2028, staff_count=300, avg_wage="100000"))["levy_due"]
        == "450000.00"
    )
    # 2020, the first year of relief: 300 staff, 3 counted (1%): pay 50% of
    # (4.5 - 3) x 100,000 = 150,000 -> 75,000.
    result = levy(
        declaration(
            levy_year=2020,
            staff_count=300,
            avg_wage="100000",
            disabled_employees=[employee()] * 3,
        )
    )
    assert (result["gross"], result["levy_due"], result["relief"]) == (
        "150000.00",
        "75000.00",
        "75000.00",
    )


def test_three_times_cap_before_2018_04_01() -> None:
    # 2017, a government agency of 100: required 1.5, none counted. Wage 200,000; cap
    # 3 x 60,000 = 180,000. Gross 1.5 x 180,000 = 270,000, no relief yet.
    result = levy(declaration(levy_year=2017, enterprise=False, staff_count=100, avg_wage="200000"))
    assert (result["wage_used"], result["gross"], result["levy_due"]) == (
        "180000.00",
        "270000.00",
        "270000.00",
    )
    # 2018 declared on 31 March: still 3 x; by default (the year's end) 2 x = 120,000.
    march = levy(
        declaration(
            levy_year=2018,
            enterprise=False,
            staff_count=100,
            avg_wage="200000",
            declared_on="2018-03-31",
        )
    )
    assert march["wage_used"] == "180000.00"
    later = levy(declaration(levy_year=2018, enterprise=False, staff_count=100, avg_wage="200000"))
    assert (later["wage_used"], later["gross"]) == ("120000.00", "180000.00")


def test_small_enterprise_exemption() -> None:
    # 30 staff: required 0.45, none counted; wage 50,000; gross 0.45 x 50,000 = 22,500.
    small = declaration(staff_count=30, avg_wage="50000")
    assert levy(small)["gross"] == "22500.00"
    assert (levy(small)["relief"], levy(small)["levy_due"]) == ("22500.00", "0.00")
    # A public institution of 30 is not an enterprise: the 90% band, 20,250 due.
    institution = levy({**small, "enterprise": False})
    assert (institution["relief"], institution["levy_due"]) == ("2250.00", "20250.00")
    # 31 staff: required 0.465, gross 23,250, 90% = 20,925 due.
    bigger = levy({**small, "staff_count": 31})
    assert (bigger["gross"], bigger["levy_due"]) == ("23250.00", "20925.00")
    # Before 2017-04-01 (2016; cap 3 x) and after 2027 (2028): no exemption, all due.
    assert levy({**small, "levy_year": 2016})["levy_due"] == "22500.00"
    assert levy({**small, "levy_year": 2028})["levy_due"] == "22500.00"


def test_reward_from_2025() -> None:
    # 100 staff: required 1.5; two level-1 employees count 4; 2.5 above, 2 whole persons.
    # 2 x 5 x 2,200 (the configured, illustrative minimum wage) = 22,000.
    data = declaration(
        levy_year=2025,
        staff_count=100,
        disabled_employees=[employee(level=1), employee(level=1)],
    )
    result = levy(data)
    assert (result["counted"], result["shortfall"], result["gross"]) == (4, 0, "0.00")
    assert result["reward"] == "22000.00"
    assert levy({**data, "monthly_min_wage": "2270"})["reward"] == "22700.00"
    assert levy({**data, "levy_year": 2024})["reward"] == "0.00"


def test_money_rounds_half_up_to_the_fen() -> None:
    # 3 staff: required 0.045 x 1.00 = 0.045 -> 0.05 (half-even would give 0.04); 2019.
    result = levy(declaration(levy_year=2019, enterprise=False, staff_count=3, avg_wage="1.00"))
    assert result["gross"] == "0.05"
    # 7 staff x 1.5% = 0.105 x 33,333.33 = 3,499.99965 -> 3,500.00
    result = levy(declaration(levy_year=2019, enterprise=False, staff_count=7, avg_wage="33333.33"))
    assert result["gross"] == "3500.00"


# --- the command ----------------------------------------------------------------------------


def test_command_prints_the_documented_keys(tmp_path: Path) -> None:
    result, status = run_command(tmp_path, declaration(disabled_employees=[employee()]))
    assert status == 0
    assert set(result) == OUTPUT_KEYS
    assert result["levy_due"] == "216000.00"


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        (declaration(staff_count=-1), "negative", "staff_count"),
        (declaration(staff_count=5_000_000), "absurd", "staff_count"),
        (declaration(avg_wage="-100"), "negative", "avg_wage"),
        (declaration(avg_wage="99999999"), "absurd", "avg_wage"),
        (declaration(avg_wage=150000.5), "not_decimal", "avg_wage"),
        (declaration(avg_wage="1.234"), "too_many_decimals", "avg_wage"),
        (declaration(avg_wage="１２"), "not_decimal", "avg_wage"),
        (declaration(local_avg_social_wage="0"), "not_positive", "local_avg_social_wage"),
        (declaration(enterprise="yes"), "not_boolean", "enterprise"),
        (declaration(levy_year=1999), "out_of_range", "levy_year"),
        (declaration(levy_year=2005), "no_rule", "levy_year"),
        (declaration(levy_year="2024"), "not_integer", "levy_year"),
        (declaration(declared_on="2023-05-01"), "declared_on", "declared_on"),
        (declaration(extra=1), "unknown_field", "extra"),
        (
            declaration(staff_count=1, disabled_employees=[employee(), employee()]),
            "more_disabled_than_staff",
            "disabled_employees",
        ),
        (
            declaration(disabled_employees=[employee(level=5)]),
            "out_of_range",
            "disabled_employees[0].level",
        ),
        (
            declaration(disabled_employees=[employee(contract_months=-1)]),
            "out_of_range",
            "disabled_employees[0].contract_months",
        ),
        (
            declaration(disabled_employees=[employee(social_insurance=1)]),
            "not_boolean",
            "disabled_employees[0].social_insurance",
        ),
        ({"levy_year": 2024}, "missing", "enterprise"),
        ([1, 2], "not_object", None),
    ],
)
def test_command_refuses_bad_input(tmp_path: Path, data: object, code: str, field: str) -> None:
    result, status = run_command(tmp_path, data)
    assert status == 1
    assert result["error"] == code
    assert result["field"] == field
    assert result["message"]
    assert result["message_en"]
    assert set(result) == {"error", "message", "message_en", "field"}


def test_command_refuses_a_file_that_is_not_json(tmp_path: Path) -> None:
    result, status = run_command(tmp_path, None, raw=b"\xff{not json")
    assert (status, result["error"]) == (1, "not_json")


def test_bad_input_raises_the_domain_error() -> None:
    with pytest.raises(LevyInputInvalid):
        parse_declaration(declaration(staff_count="abc"))
