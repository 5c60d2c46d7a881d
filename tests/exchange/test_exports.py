"""Exports: stated purpose, masking, audit, region scope, formula neutralisation."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from dpf.core.errors import DomainError
from dpf.core.models import AuditEntry
from dpf.core.spreadsheets import neutralise
from dpf.exchange import services
from dpf.exchange.rostertypes import ROSTER_TYPES
from dpf.exchange.workbooks import roster_template
from dpf.registry import services as registry
from tests.exchange.conftest import stage, xlsx_bytes
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

D = dt.date
TRIGGERS = ["=1+2", "+1", "-1", "@SUM(A1)", "\t=cmd", "\r=cmd"]


@pytest.mark.parametrize("value", TRIGGERS)
def test_formula_triggers_are_neutralised(value) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["张海明", "2023-01-05", "a=b", "", 5, None, D(2023, 1, 5)])
def test_other_values_pass_unchanged(value) -> None:
    assert neutralise(value) == value


def sheet_rows(handle, index=0):
    workbook = load_workbook(handle)
    sheet = workbook.worksheets[index]
    return [[c for c in row] for row in sheet.iter_rows()]


@pytest.fixture
def certified(county_officer):
    people = []
    for name in ["=1+2", "@SUM(A1)", "李秀英"]:
        person = make_person(actor=county_officer, name=name)
        registry.certificate_issue(
            actor=county_officer, person=person, category=4, level=2, issue_date=D(2020, 5, 1)
        )
        people.append(person)
    make_person(actor=county_officer, name="无证人员")  # no certificate: not in the extract
    household = people[2].household
    assert household is not None
    registry.household_status_set(
        actor=county_officer,
        household=household,
        status="dibao",
        valid_from=D(2021, 1, 1),
    )
    return people


def test_unmasked_extract_is_neutralised_and_audited(county_officer, certified) -> None:
    handle, count = services.registry_extract(
        actor=county_officer,
        region_code="150402",
        as_of=D(2025, 12, 31),
        purpose="护理补贴年审核对",
        unmask=True,
    )
    assert count == 3
    rows = sheet_rows(handle)
    header = [c.value for c in rows[0]]
    assert header[:2] == ["姓名", "身份证号码"]
    names = {r[0].value: r for r in rows[1:]}
    assert set(names) == {"'=1+2", "'@SUM(A1)", "李秀英"}
    formula_row = names["'=1+2"]
    assert formula_row[0].data_type == "s"
    assert formula_row[1].value == certified[0].id_number
    assert names["李秀英"][10].value == "低保"
    assert (names["李秀英"][7].value, names["李秀英"][8].value) == ("肢体残疾", "二级")
    entry = AuditEntry.objects.filter(action="export").get()
    assert entry.reason == "护理补贴年审核对"
    assert entry.changes == {"as_of": "2025-12-31", "rows": 3, "masked": False}
    assert certified[0].id_number not in str(entry.changes)


def test_masked_by_default(county_officer, certified) -> None:
    handle, _count = services.registry_extract(
        actor=county_officer, region_code="150402", as_of=D(2025, 12, 31), purpose="季度统计核对"
    )
    rows = sheet_rows(handle)
    numbers = [r[1].value for r in rows[1:]]
    assert all("*" in n for n in numbers)
    assert not {p.id_number for p in certified} & set(numbers)
    assert "李*英" in [r[0].value for r in rows[1:]]
    assert AuditEntry.objects.get(action="export").changes["masked"] is True


def test_extract_as_of_a_date_before_the_certificates(county_officer, certified) -> None:
    handle, count = services.registry_extract(
        actor=county_officer, region_code="150402001", as_of=D(2019, 1, 1), purpose="历史核对用"
    )
    rows = sheet_rows(handle)
    assert count == 3
    assert all(r[7].value in (None, "") for r in rows[1:])  # no certificate in force then


def test_purpose_scope_and_unmask_rules(county_officer, certified, village_worker) -> None:
    with pytest.raises(DomainError) as info:
        services.registry_extract(
            actor=county_officer, region_code="150402", as_of=D(2025, 1, 1), purpose=" 看 "
        )
    assert info.value.code == "purpose_required"
    assert info.value.field == "purpose"
    with pytest.raises(DomainError) as info:
        services.registry_extract(
            actor=county_officer, region_code="150404", as_of=D(2025, 1, 1), purpose="越权导出测试"
        )
    assert info.value.code == "region"
    with pytest.raises(DomainError) as info:
        services.registry_extract(
            actor=village_worker,
            region_code="150402001001",
            as_of=D(2025, 1, 1),
            purpose="村里要用",
        )
    assert info.value.code == "not_found"
    exchange_user = make_user("department_exchange", "150400")
    with pytest.raises(DomainError):
        services.registry_extract(
            actor=exchange_user, region_code="150400", as_of=D(2025, 1, 1), purpose="部门核对用"
        )
    assert not AuditEntry.objects.filter(action="export").exists()


def test_reconciliation_lists_are_masked_and_audited(county_officer, certified) -> None:
    person = certified[2]
    content = xlsx_bytes(
        [
            ["身份证号码", "姓名", "类别", "起始日期"],
            [person.id_number, "@李秀英", "特困", "2024-01-01"],
        ]
    )
    batch = stage(county_officer, "dibao", content)
    handle, count = services.row_list(actor=county_officer, batch=batch, outcome="name_differs")
    assert count == 1
    [header, row] = sheet_rows(handle)
    assert [c.value for c in header][:4] == ["行号", "身份证号码", "姓名", "登记姓名"]
    assert row[1].value == person.id_number_masked
    assert row[2].value == "'@**英"  # masked, and still neutralised
    assert row[3].value == "李*英"
    assert "低保" in row[4].value
    assert "特困" in row[5].value
    assert AuditEntry.objects.filter(action="export", object_type="import_batch").exists()


def test_templates_have_the_headers_and_a_valid_example() -> None:
    from dpf.core.idnumber import parse_id_number

    for rtype in ROSTER_TYPES.values():
        rows = sheet_rows(roster_template(rtype))
        assert [c.value for c in rows[0]] == [c.header for c in rtype.columns]
        example = {c.header: cell.value for c, cell in zip(rtype.columns, rows[1], strict=True)}
        id_header = rtype.columns[0].header
        assert parse_id_number(example[id_header]).normalized == example[id_header]
        assert len(rows) == 2
