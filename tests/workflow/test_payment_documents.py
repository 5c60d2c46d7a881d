"""A payment list's documents as background jobs (issue 22): the bank workbook and the
signing PDFs are made by a job, stored encrypted, offered only to the officer who asked,
audited when downloaded and deleted after ``DPF_JOB_OUTPUT_DAYS``. Each protection is
attacked here: another officer of the same county, another list's address, another county."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dpf.accounts.permissions import PermissionRefused
from dpf.core.crypto import file_key_id
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.models import AuditEntry, Region
from dpf.core.spreadsheets import neutralise
from dpf.jobs import outputs
from dpf.jobs.models import Job, JobOutput, JobStatus
from dpf.jobs.runner import run_job
from dpf.workflow import services
from dpf.workflow.models import PaymentLine, PaymentList
from tests.factories import make_user
from tests.pdf_text import read
from tests.workflow.test_payments import generate, receiving

pytestmark = pytest.mark.django_db


def _approved(officer, approver) -> PaymentList:
    receiving(3)
    plist = generate(officer)
    services.payment_list_approve(actor=approver, list_id=plist.pk)
    plist.refresh_from_db()
    return plist


def _stored(job: Job) -> Path:
    return Path(django_settings.MEDIA_ROOT) / outputs.FOLDER / job.output.stored_name


def test_the_bank_workbook_is_a_job_whose_file_is_encrypted_and_its_owners(
    client, county_officer, approver, regions
):
    plist = _approved(county_officer, approver)
    job, started = services.document_start(
        actor=approver, list_id=plist.pk, kind=services.BANK_WORKBOOK, purpose="银行代发"
    )
    job.refresh_from_db()
    assert started
    assert job.status == JobStatus.DONE
    raw = _stored(job).read_bytes()
    assert file_key_id(raw) is not None
    assert b"PK" not in raw[:64]
    client.force_login(approver)
    url = reverse("workflow:payment_file", args=[plist.pk, job.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    assert "attachment" in response["Content-Disposition"]
    assert AuditEntry.objects.filter(
        action="download", object_type="payment_list", object_id=str(plist.pk)
    ).exists()
    # Attack: the other officer of the same county may export the list, but not take the
    # file someone else asked for (with its purpose) — without the owner check this is 200.
    client.force_login(county_officer)
    assert client.get(url).status_code == 404
    # Attack: another county's officer.
    client.force_login(make_user("county_officer", "150404"))
    assert client.get(url).status_code == 404


def test_a_file_is_only_reachable_through_its_own_list(county_officer, approver, regions):
    plist = _approved(county_officer, approver)
    other = generate(county_officer, month=dt.date(2025, 11, 1))
    job, _ = services.document_start(
        actor=county_officer, list_id=plist.pk, kind=services.SIGNING_PDF
    )
    name, _type, data = services.document_file(
        actor=county_officer, list_id=plist.pk, job_id=job.pk
    )
    assert name.endswith(".pdf")
    assert data.startswith(b"%PDF-")
    # Attack: the same officer's file asked for under another list's address.
    with pytest.raises(NotFound):
        services.document_file(actor=county_officer, list_id=other.pk, job_id=job.pk)


def test_what_the_job_would_refuse_is_refused_before_it_is_queued(
    county_officer, approver, regions
):
    receiving(1)
    draft = generate(county_officer)
    before = Job.objects.count()
    with pytest.raises(ValidationFailed) as bank:
        services.document_start(
            actor=county_officer, list_id=draft.pk, kind=services.BANK_WORKBOOK, purpose="银行代发"
        )
    assert bank.value.code == "list_not_approved"
    with pytest.raises(ValidationFailed) as purpose:
        services.document_start(
            actor=county_officer, list_id=draft.pk, kind=services.BANK_WORKBOOK, purpose=""
        )
    assert purpose.value.code == "purpose_required"
    with pytest.raises(ValidationFailed) as town:
        services.document_start(
            actor=county_officer,
            list_id=draft.pk,
            kind=services.SIGNING_PDF,
            township_code="150404002",
        )
    assert town.value.code == "township_unknown"
    with pytest.raises(PermissionRefused):  # another county's officer: the list does not exist
        services.document_start(
            actor=make_user("county_officer", "150404"),
            list_id=draft.pk,
            kind=services.SIGNING_PDF,
        )
    assert Job.objects.count() == before


def test_a_job_run_again_after_a_crash_keeps_one_file(county_officer, approver, regions):
    plist = _approved(county_officer, approver)
    job, _ = services.document_start(
        actor=county_officer, list_id=plist.pk, kind=services.SIGNING_PDF
    )
    first = _stored(Job.objects.get(pk=job.pk))
    # The worker died after storing the file but before marking the job done.
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, finished_at=None)
    assert run_job(job.pk) == JobStatus.DONE
    assert JobOutput.objects.filter(job=job).count() == 1
    second = _stored(Job.objects.get(pk=job.pk))
    assert second != first
    assert second.exists()
    assert not first.exists()


def test_files_are_deleted_after_the_retention(county_officer, approver, regions, settings):
    settings.DPF_JOB_OUTPUT_DAYS = 7
    plist = _approved(county_officer, approver)
    job, _ = services.document_start(
        actor=county_officer, list_id=plist.pk, kind=services.SIGNING_PDF
    )
    made = Job.objects.get(pk=job.pk).output
    path = _stored(Job.objects.get(pk=job.pk))
    # The office's day (Asia/Shanghai), as the retention job counts it; the UTC date is
    # the day before from 16:00 UTC on.
    made_on = timezone.localdate(made.created_at)
    kept = outputs.retention_job(
        params={}, progress=lambda _m: None, actor=None, today=made_on + dt.timedelta(days=7)
    )
    assert kept.startswith("0 ")
    assert path.exists()
    gone = outputs.retention_job(
        params={}, progress=lambda _m: None, actor=None, today=made_on + dt.timedelta(days=8)
    )
    assert gone.startswith("1 ")
    assert not path.exists()
    assert not JobOutput.objects.filter(job=job).exists()
    with pytest.raises(NotFound):
        services.document_file(actor=county_officer, list_id=plist.pk, job_id=job.pk)


def test_the_documents_hold_every_line_of_the_list_value_for_value(
    county_officer, approver, regions, settings
):
    """The streaming workbook and the PDF tables writer cannot drop or change content: the
    bank workbook's cells (read back with openpyxl) and the signing volumes' text (read
    back through the PDF's Unicode maps, as a viewer copies it) are the list's lines in
    order; the workbook carries the full numbers the bank pays by, the PDF only masked
    ones."""
    settings.DPF_SIGNING_VOLUME_LINES = 2
    hostile = services.BankDetails('=HYPERLINK("http://x")', "@张海明", "6228480012345678901")
    receiving(2, account=hostile)
    plist = _approved(county_officer, approver)
    lines = list(
        PaymentLine.objects.filter(payment_list=plist)
        .select_related("person")
        .order_by("township_code", "village_code", "pk")
    )
    assert len(lines) == plist.line_count == 5
    names = dict(Region.objects.values_list("code", "name"))

    _name, data = services.bank_workbook(actor=approver, list_id=plist.pk, purpose="银行代发")
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[2] == tuple(services.bank.BANK_HEADERS)
    assert rows[3:] == [
        (
            n,
            ln.pk,
            names[ln.township_code],
            names[ln.village_code],
            neutralise(ln.person.name),
            ln.person.id_number,
            neutralise(ln.bank_name),
            neutralise(ln.account_holder),
            ln.bank_account,
            ln.amount,
            ln.arrears_months,
            ln.arrears_amount,
            ln.deduction_amount,
            ln.net_amount,
        )
        for n, ln in enumerate(lines, start=1)
    ]
    assert '\'=HYPERLINK("http://x")' in {r[6] for r in rows[3:]}

    printed: list[tuple[str, ...]] = []
    texts: list[str] = []
    for volume in (1, 2, 3):
        _name, pdf = services.signing_pdf(
            actor=approver, list_id=plist.pk, township_code="150402001", volume=volume
        )
        shown = read(pdf)
        texts.extend(cell for row in shown.all_rows() for cell in row)
        printed.extend(tuple(r) for r in shown.all_rows() if len(r) == 11 and r[0].isdigit())
        assert shown.all_rows()[-1] == ["1 / 1"]
        part = lines[(volume - 1) * 2 : volume * 2]  # each volume's own count and total
        net = sum(ln.net_amount for ln in part)
        heading = re.compile(rf"发放明细（第{volume}册/共3册，本册 {len(part)} 人，实发 (\S+) 元）")
        found = [m for row in shown.all_rows() if (m := heading.fullmatch(row[0]))]
        assert len(found) == 1
        assert Decimal(found[0].group(1)) == net  # 200 on SQLite, 200.00 on PostgreSQL
    assert printed == [
        (
            str(ln.pk),
            names[ln.township_code],
            names[ln.village_code],
            ln.person.name,
            ln.person.id_number_masked,
            ln.bank_name,
            ln.bank_account_masked,
            str(ln.amount),
            str(ln.arrears_amount),
            str(ln.deduction_amount),
            str(ln.net_amount),
        )
        for ln in lines
    ]
    everything = "\n".join(texts)
    for ln in lines:
        assert ln.bank_account not in everything
        assert ln.person.id_number not in everything

    _name, summary = services.signing_pdf(actor=approver, list_id=plist.pk)
    town = next(r for r in read(summary).all_rows() if r[0] == names["150402001"])
    assert town[1] == str(plist.line_count)
    assert Decimal(town[2]) == sum(ln.amount for ln in lines)
