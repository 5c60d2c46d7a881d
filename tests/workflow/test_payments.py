"""Monthly payment lists: once per county, benefit and month; frozen once approved; the
bank's result file all or nothing; exports; a query count that does not grow with size."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from dpf.benefits import services as benefit_services
from dpf.core.errors import DomainError, ValidationFailed
from dpf.core.models import AuditEntry
from dpf.workflow import services
from dpf.workflow.models import PaymentLine, PaymentList, PaymentMonth
from dpf.workflow.services.bank import neutralise
from tests.benefits.conftest import person_with
from tests.workflow.conftest import BANK, benefit, standard, verified_account

pytestmark = pytest.mark.django_db

LIVING = "living_allowance"
MONTH = dt.date(2025, 10, 1)


def receiving(n: int, *, village: str = "150402001001", account=BANK):
    people = []
    for i in range(n):
        person = person_with(level=1 + i % 4, household="dibao", village=village)
        benefit_services.entitlement_create(
            actor=None, person=person, benefit=benefit(LIVING), valid_from=dt.date(2025, 1, 1)
        )
        if account is not None:
            verified_account(person, account, day=MONTH)
        people.append(person)
    return people


def generate(officer, month=MONTH, county="150402", code=LIVING) -> PaymentList:
    return services.payment_list_generate(
        actor=officer, county_code=county, benefit=benefit(code), month=month
    )


def test_lines_amounts_and_township_totals(county_officer, regions):
    receiving(3)
    person_with(level=1, household="dibao", village="150404002001")  # other county, no entitlement
    other = receiving(1, village="150404002001")[0]
    plist = generate(county_officer)
    lines = list(PaymentLine.objects.filter(payment_list=plist))
    assert len(lines) == 3
    assert other.pk not in {ln.person_id for ln in lines}
    monthly = standard(LIVING, None)
    assert {ln.amount for ln in lines} == {monthly}
    assert plist.line_count == 3
    assert plist.total_amount == 3 * monthly
    assert all(ln.bank_account == BANK.account_number for ln in lines)
    assert PaymentMonth.objects.filter(line__payment_list=plist, kind="regular").count() == 3
    towns = services.payments.township_totals(plist)
    assert [(t["township_code"], t["lines"]) for t in towns] == [("150402001", 3)]


def test_a_list_cannot_be_generated_twice_and_a_person_month_is_paid_once(county_officer, regions):
    person = receiving(1)[0]
    plist = generate(county_officer)
    with pytest.raises(ValidationFailed) as info:
        generate(county_officer)
    assert info.value.code == "list_exists"
    assert PaymentList.objects.count() == 1
    # The database itself refuses a second line for the same person and month.
    line = PaymentLine.objects.get(payment_list=plist)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentLine.objects.create(
            payment_list=plist,
            entitlement_id=line.entitlement_id,
            person=person,
            benefit_id=line.benefit_id,
            month=MONTH,
            county_code="150402",
            township_code="150402001",
            village_code="150402001001",
            amount=1,
            net_amount=1,
        )


def _month_of(line: PaymentLine, **changes) -> None:
    """Write a month for ``line`` (with ``changes``) and check the keys at once, as the
    commit would (they are deferred)."""
    values = {"line_id": line.pk, "person_id": line.person_id, "benefit_id": line.benefit_id}
    with transaction.atomic():
        PaymentMonth.objects.create(
            **{**values, **changes}, month=dt.date(2024, 1, 1), kind="arrears", amount=1
        )
        connection.check_constraints()
        transaction.set_rollback(True)


def test_a_month_belongs_to_an_existing_line_and_names_its_person_and_benefit(
    county_officer, regions
):
    receiving(2)
    plist = generate(county_officer)
    line, other = PaymentLine.objects.filter(payment_list=plist).order_by("pk")
    _month_of(line)  # the line's own person and benefit: accepted
    with pytest.raises(IntegrityError):
        _month_of(line, line_id=max(line.pk, other.pk) + 1000)
    if connection.vendor != "postgresql":
        pytest.skip("SQLite checks the line only; the payments service writes its person")
    with pytest.raises(IntegrityError):
        _month_of(line, person_id=other.person_id)
    with pytest.raises(IntegrityError):
        _month_of(line, benefit_id=benefit("nursing_allowance").pk)


def test_an_approved_list_is_frozen(county_officer, approver, regions):
    receiving(1)
    plist = generate(county_officer)
    services.payment_list_approve(actor=approver, list_id=plist.pk)
    for action in (services.payment_list_approve, services.payment_list_discard):
        with pytest.raises(ValidationFailed) as info:
            action(actor=approver, list_id=plist.pk)
        assert info.value.code == "list_frozen"
    assert PaymentList.objects.filter(pk=plist.pk, status="approved").exists()


def test_the_officer_who_generated_a_list_cannot_approve_it(county_officer, approver, regions):
    """Four eyes: the attack is the generating officer approving their own list."""
    receiving(1)
    plist = generate(county_officer)
    with pytest.raises(ValidationFailed) as info:
        services.payment_list_approve(actor=county_officer, list_id=plist.pk)
    assert info.value.code == "four_eyes"
    assert "另一名" in info.value.message_zh
    assert "another officer" in info.value.message_en
    plist.refresh_from_db()
    assert (plist.status, plist.approved_by_id) == ("draft", None)
    assert not AuditEntry.objects.filter(
        object_type="payment_list", object_id=str(plist.pk), action="change"
    ).exists()
    services.payment_list_approve(actor=approver, list_id=plist.pk)
    plist.refresh_from_db()
    assert (plist.status, plist.approved_by_id) == ("approved", approver.pk)


def test_a_draft_can_be_discarded_and_generated_again(
    county_officer, regions, django_assert_max_num_queries
):
    receiving(3)
    plist = generate(county_officer)
    assert plist.line_count == 3
    assert PaymentMonth.objects.count() >= 3
    # set-based: the number of statements does not depend on the number of lines
    with django_assert_max_num_queries(16):
        services.payment_list_discard(actor=county_officer, list_id=plist.pk)
    assert not PaymentMonth.objects.exists()
    assert not PaymentLine.objects.exists()
    assert not PaymentList.objects.exists()
    assert generate(county_officer).line_count == 3


def test_only_the_county_officer_of_that_county_generates(officers, other_county_officer, regions):
    receiving(1)
    for actor in (officers["city_admin"], officers["township_officer"], other_county_officer):
        with pytest.raises(DomainError) as info:
            generate(actor)
        assert info.value.code == "not_found"
    with pytest.raises(ValidationFailed) as info:
        generate(officers["county_officer"], month=dt.date(2099, 1, 1))
    assert info.value.code == "month_future"
    assert not PaymentList.objects.exists()


def test_bank_file_with_an_unknown_line_marks_nothing(county_officer, approver, regions):
    receiving(2)
    plist = generate(county_officer)
    services.payment_list_approve(actor=approver, list_id=plist.pk)
    a, b = PaymentLine.objects.filter(payment_list=plist).order_by("pk")
    rows = [
        "明细编号,金额,结果,原因",
        f"{a.pk},{a.net_amount},成功,",
        f"{b.pk + 1000},{b.net_amount},成功,",
        f"{b.pk},1.00,失败,账户冻结",
        f"{a.pk},{a.net_amount},失败,",
    ]
    with pytest.raises(services.ResultFileRefused) as info:
        services.import_results(
            actor=county_officer,
            list_id=plist.pk,
            data="\n".join(rows).encode(),
        )
    problems = info.value.problems
    assert [(p.row, p.code) for p in problems] == [
        (3, "unknown_line"),
        (4, "amount_mismatch"),
        (5, "duplicate_line"),
    ]
    assert set(PaymentLine.objects.values_list("status", flat=True)) == {"pending"}

    good = [
        "line_id,amount,status,reason",
        f"{a.pk},{a.net_amount},paid,",
        f"{b.pk},{b.net_amount},failed,账户冻结",
    ]
    summary = services.import_results(
        actor=county_officer, list_id=plist.pk, data="\n".join(good).encode()
    )
    assert (summary.paid, summary.failed, summary.closed) == (1, 1, True)
    b.refresh_from_db()
    assert (b.status, b.failure_reason) == ("failed", "账户冻结")


def test_bank_file_by_id_number_as_xlsx(county_officer, approver, regions):
    from openpyxl import Workbook

    person = receiving(1)[0]
    plist = generate(county_officer)
    services.payment_list_approve(actor=approver, list_id=plist.pk)
    line = PaymentLine.objects.get(payment_list=plist)
    book = Workbook()
    sheet = book.active
    sheet.append(["身份证号", "金额", "结果", "原因"])
    sheet.append([person.id_number, float(line.net_amount), "成功", None])
    out = io.BytesIO()
    book.save(out)
    services.import_results(actor=county_officer, list_id=plist.pk, data=out.getvalue())
    line.refresh_from_db()
    assert line.status == "paid"


def test_bank_workbook_neutralises_formulas_and_is_audited(county_officer, approver, regions):
    hostile = services.BankDetails('=HYPERLINK("http://x")', "@张海明", "6228480012345678901")
    person = receiving(1, account=hostile)[0]
    plist = generate(county_officer)
    with pytest.raises(ValidationFailed) as info:
        services.bank_workbook(actor=county_officer, list_id=plist.pk, purpose="代发")
    assert info.value.code == "list_not_approved"
    services.payment_list_approve(actor=approver, list_id=plist.pk)
    with pytest.raises(ValidationFailed) as info:
        services.bank_workbook(actor=county_officer, list_id=plist.pk, purpose="")
    assert info.value.code == "purpose_required"
    name, data = services.bank_workbook(actor=county_officer, list_id=plist.pk, purpose="银行代发")
    assert name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    texts = [v for v in values if isinstance(v, str)]
    assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)
    assert '\'=HYPERLINK("http://x")' in texts
    assert "6228480012345678901" in texts
    # the bank pays by the full ID number (docs/security.md, Exports), not the masked one
    assert person.id_number in texts
    assert person.id_number_masked not in texts
    plist.refresh_from_db()
    assert plist.status == "exported"
    entry = AuditEntry.objects.filter(action="export", object_type="payment_list").last()
    assert entry is not None
    assert entry.reason == "银行代发"
    assert "6228480012345678901" not in str(entry.changes)
    assert person.id_number not in str(entry.changes) + entry.reason


def test_neutralise():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("-3") == "'-3"
    assert neutralise("张三") == "张三"
    assert neutralise(5) == 5


def test_signing_pdfs_summary_and_by_township(county_officer, regions):
    receiving(2)
    plist = generate(county_officer)
    name, data = services.signing_pdf(actor=county_officer, list_id=plist.pk)
    assert name.endswith(".pdf")
    assert data.startswith(b"%PDF-")
    name, data = services.signing_pdf(
        actor=county_officer, list_id=plist.pk, township_code="150402001"
    )
    assert name.endswith("-150402001.pdf")
    assert data.startswith(b"%PDF-")
    with pytest.raises(ValidationFailed) as info:
        services.signing_pdf(actor=county_officer, list_id=plist.pk, township_code="150404002")
    assert info.value.code == "township_unknown"


def test_a_long_township_is_printed_in_volumes_that_partition_its_lines(
    county_officer, regions, settings
):
    settings.DPF_SIGNING_VOLUME_LINES = 2
    receiving(5)
    plist = generate(county_officer)
    (town,) = services.payments.township_totals(plist)
    assert list(town["volumes"]) == [1, 2, 3]
    ordered = list(
        PaymentLine.objects.filter(payment_list=plist)
        .order_by("village_code", "pk")
        .values_list("pk", flat=True)
    )
    printed = []
    for volume in town["volumes"]:
        name, document = services.signing_document(
            actor=county_officer, list_id=plist.pk, township_code="150402001", volume=volume
        )
        assert name.endswith(f"-150402001-{volume}of3.pdf")
        assert f"第{volume}册/共3册" in document.title
        assert f"第{volume}册/共3册" in document.heading
        printed.append([int(line[0]) for line in document.lines])
    assert printed == [ordered[0:2], ordered[2:4], ordered[4:5]]
    for volume in (0, 4):
        with pytest.raises(ValidationFailed) as info:
            services.signing_document(
                actor=county_officer, list_id=plist.pk, township_code="150402001", volume=volume
            )
        assert info.value.code == "volume_unknown"
    exports = AuditEntry.objects.filter(action="export", object_type="payment_list")
    assert sorted(e.changes["volume"] for e in exports) == [1, 2, 3]


def queries_to_generate(officer, month: dt.date) -> int:
    with CaptureQueriesContext(connection) as ctx:
        generate(officer, month=month)
    return len(ctx.captured_queries)


def test_generation_uses_a_constant_number_of_queries(county_officer, regions):
    assert county_officer.region is not None  # loaded once, outside the measurement
    receiving(2)
    small = queries_to_generate(county_officer, dt.date(2025, 8, 1))
    receiving(12)
    large = queries_to_generate(county_officer, dt.date(2025, 9, 1))
    assert PaymentList.objects.get(month=dt.date(2025, 9, 1)).line_count == 14
    assert large == small


# --- the bank's result file is opened as every uploaded table is (dpf.core.tables) -------


def test_a_zip_bomb_result_file_is_refused_from_its_directory(
    county_officer, approver, regions, tmp_path
):
    """1 GB of sheet in a 1 MB file, named .csv (the format is read from the content): refused
    before openpyxl opens it, nothing marked. The result import read the name and handed
    any .xlsx to openpyxl."""
    from tests.security.hostile import generate as hostile

    receiving(1)
    plist = generate(county_officer)
    services.payment_list_approve(actor=approver, list_id=plist.pk)
    bomb = hostile.zip_bomb_xlsx(tmp_path).read_bytes()
    with pytest.raises(ValidationFailed) as info:
        services.import_results(actor=county_officer, list_id=plist.pk, data=bomb)
    assert (info.value.code, info.value.field) == ("unpacked_too_large", "file")
    assert "解压后" in info.value.message_zh
    assert "unpacks to" in info.value.message_en
    assert set(PaymentLine.objects.values_list("status", flat=True)) == {"pending"}


def test_the_result_page_refuses_every_hostile_file(county_officer, approver, regions):
    """The roster corpus's files (damaged, renamed, entity bombs, formulas, bad encodings)
    posted to the bank result page: each refused with a message in Chinese, nothing marked."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from tests.security.hostile import corpus
    from tests.security.hostile.checks import Failures, page_refusal_problem

    receiving(1)
    plist = generate(county_officer)
    services.payment_list_approve(actor=approver, list_id=plist.pk)
    client = Client()
    client.force_login(county_officer)
    url = reverse("workflow:payment_results", args=[plist.pk])
    failures = Failures()
    for file in corpus.ROSTER_FILES:
        upload = SimpleUploadedFile(file.name, file.read())
        try:
            response = client.post(url, {"file": upload})
            problem = page_refusal_problem(response)
        except Exception as exc:  # noqa: BLE001 - the test client re-raises a 500
            problem = f"raised {type(exc).__name__}"
        if problem:
            failures.add(file.name, "bank result upload", problem)
        if set(PaymentLine.objects.values_list("status", flat=True)) != {"pending"}:
            failures.add(file.name, "bank result upload", "a line was marked")
    failures.check()


def test_a_decided_amount_is_paid_as_decided_the_others_at_the_standard(county_officer, regions):
    """Two persons hold the care benefit: one from an approval (the standard in force each
    month), one from a care placement at a decided subsidy (paid as it is)."""
    care = benefit("care_service")
    by_standard = person_with(level=2, household="dibao")
    decided = person_with(level=2, household="dibao")
    benefit_services.entitlement_create(
        actor=None, person=by_standard, benefit=care, valid_from=dt.date(2025, 1, 1)
    )
    benefit_services.entitlement_create(
        actor=None,
        person=decided,
        benefit=care,
        valid_from=dt.date(2025, 1, 1),
        monthly_amount="475.50",
        amount_fixed=True,
    )
    plist = generate(county_officer, code="care_service")
    amounts = dict(
        PaymentLine.objects.filter(payment_list=plist).values_list("person_id", "amount")
    )
    assert amounts == {by_standard.pk: standard("care_service", 2), decided.pk: Decimal("475.50")}
    assert plist.total_amount == standard("care_service", 2) + Decimal("475.50")
