"""The medical settlement roster (医保 one-stop settlements and 医疗救助): several rows a
person, one a settlement; amounts not negative, the payments within the total, the
out-of-pocket amount what remains (computed when the roster leaves it out); the same
settlement again is up to date, its number with other amounts refused; committed rows
become the persons' ``MedicalSettlement`` rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dpf.core.errors import ValidationFailed
from dpf.exchange import services
from dpf.exchange.display import department_errors, describe
from dpf.exchange.rostertypes import roster_type
from dpf.registry.models import MedicalSettlement
from tests.exchange.conftest import errors_of, outcomes, stage, xlsx_bytes
from tests.factories import make_person, new_id_number

pytestmark = pytest.mark.django_db

D = dt.date
HEADER = ["身份证号码", "姓名", "结算单号", "结算日期", "医疗总费用", "医保报销金额",
          "医疗救助金额", "个人自付金额"]  # fmt: skip


def _codes(batch, row: int) -> list[str]:
    return [e["code"] for e in errors_of(batch, row)]


def test_the_roster_type() -> None:
    rtype = roster_type("medical_settlement")
    assert rtype is not None
    assert [c.key for c in rtype.required_columns] == [
        "id_number", "name", "settlement_no", "settled_on", "total", "reimbursed", "assistance",
    ]  # fmt: skip


def test_bad_rows_are_refused_with_their_reasons(county_officer) -> None:
    person = make_person(actor=county_officer, name="李秀英")
    pid = person.id_number
    content = xlsx_bytes(
        [
            HEADER,
            [pid, "李秀英", "A1", "2025-03-01", "1000", "600", "100", "300"],  # fine
            [pid, "李秀英", "A2", "2025-03-02", "-5", "0", "0", None],  # negative
            [pid, "李秀英", "A3", "2025-03-03", "1000", "900", "200", None],  # paid > total
            [pid, "李秀英", "A4", "2025-03-04", "1000", "600", "100", "250"],  # not the rest
            [pid, "李秀英", "A5", "2099-01-01", "1000", "600", "100", None],  # future
            [pid, "李秀英", "A6", "2025-03-06", "1000.123", "0", "0", None],  # 3 decimals
            [pid, "李秀英", None, "2025-03-07", "1000", "0", "0", None],  # no number
            [pid, "李秀英", "A1", "2025-03-01", "1000", "600", "100", "300"],  # row 2 again
            [pid, "李秀英", "A8", "2025-03-08", "abc", "0", "0", None],
        ]
    )
    batch = stage(county_officer, "medical_settlement", content)
    assert outcomes(batch) == {2: "will_change", **{n: "invalid" for n in range(3, 11)}}
    assert _codes(batch, 3) == ["number_range"]
    assert _codes(batch, 4) == ["medical_paid_over_total"]
    assert _codes(batch, 5) == ["medical_out_of_pocket"]
    assert "300.00" in errors_of(batch, 5)[0]["message"]
    assert "300.00" in errors_of(batch, 5)[0]["message_en"]
    assert _codes(batch, 6) == ["future_date"]
    assert _codes(batch, 7) == ["number_range"]
    assert _codes(batch, 8) == ["required"]
    assert _codes(batch, 9) == ["duplicate_row"]
    assert _codes(batch, 10) == ["number_format"]
    # every refusal is said in both languages and depends on the row alone
    for n in range(3, 11):
        for error in errors_of(batch, n):
            assert error["message"]
            assert error["message_en"]
        assert department_errors(errors_of(batch, n)) == errors_of(batch, n)
    # an invalid row writes nothing; the valid one is committed
    services.batch_commit(actor=county_officer, batch=batch, rescan=False)
    assert list(MedicalSettlement.objects.values_list("settlement_no", flat=True)) == ["A1"]


def test_settlements_are_committed_and_read_again_up_to_date(county_officer) -> None:
    sick = make_person(actor=county_officer, name="王建国")
    stranger = new_id_number("150402", D(1970, 1, 1))
    content = xlsx_bytes(
        [
            HEADER[:7],  # no out-of-pocket column: computed
            [sick.id_number, "王建国", "JS001", "2025-01-10", "48600", "29160", "4860"],
            [sick.id_number, "王建国", "JS002", "2025-06-18", "1200.50", "800", "0"],
            [stranger, "不存在", "JS003", "2025-02-01", "10", "0", "0"],
        ]
    )
    batch = stage(county_officer, "medical_settlement", content)
    assert outcomes(batch) == {2: "will_change", 3: "will_change", 4: "not_found"}
    row = batch.rows.get(row_number=3)
    assert describe(row.after) == (
        "2025-06-18 结算 JS002：总费用 1200.50 元，医保报销 800.00 元，医疗救助 0.00 元，"
        "个人自付 400.50 元"
    )
    services.batch_commit(actor=county_officer, batch=batch, rescan=False)
    held = {
        s.settlement_no: (s.person_id, s.settled_on, s.total, s.reimbursed, s.assistance,
                          s.out_of_pocket, s.source)
        for s in MedicalSettlement.objects.all()
    }  # fmt: skip
    source = f"roster:{batch.pk}"
    assert held == {
        "JS001": (sick.pk, D(2025, 1, 10), Decimal("48600.00"), Decimal("29160.00"),
                  Decimal("4860.00"), Decimal("14580.00"), source),
        "JS002": (sick.pk, D(2025, 6, 18), Decimal("1200.50"), Decimal("800.00"),
                  Decimal("0.00"), Decimal("400.50"), source),
    }  # fmt: skip
    # the same settlement again is up to date; its number with another amount is refused
    again = xlsx_bytes(
        [
            HEADER,
            [sick.id_number, "王建国", "JS001", "2025-01-10", "48600", "29160", "4860", "14580"],
            [sick.id_number, "王建国", "JS002", "2025-06-18", "1300", "800", "0", None],
        ]
    )
    second = stage(county_officer, "medical_settlement", again)
    assert outcomes(second) == {2: "up_to_date", 3: "invalid"}
    assert _codes(second, 3) == ["settlement_conflict"]
    assert department_errors(errors_of(second, 3)) == []  # it tells of the registry


def test_a_settlement_recorded_after_the_preview_makes_the_commit_stale(county_officer) -> None:
    sick = make_person(actor=county_officer, name="王建国")
    content = xlsx_bytes(
        [HEADER, [sick.id_number, "王建国", "JS9", "2025-01-10", "100", "50", "0", "50"]]
    )
    batch = stage(county_officer, "medical_settlement", content)
    MedicalSettlement.objects.create(
        person=sick, settlement_no="JS9", settled_on=D(2025, 1, 10), total=Decimal(100),
        reimbursed=Decimal(50), assistance=Decimal(0), out_of_pocket=Decimal(50),
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        services.batch_commit(actor=county_officer, batch=batch, rescan=False)
    assert refused.value.code == "stale_preview"
    assert MedicalSettlement.objects.count() == 1
