"""Payment lists as background jobs (dpf.jobs): one list started from the payment lists
page (kind ``workflow.payment_list``), the month's drafts of every county on the
configured day (kind ``workflow.payment_lists_draft``, a schedule), and a list's documents
(kinds ``workflow.bank_workbook`` and ``workflow.signing_pdf``, files for the officer)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from dpf.accounts.models import User
from dpf.benefits.models import BenefitItem
from dpf.core.dates import month_start
from dpf.core.errors import NotFound
from dpf.jobs.kinds import Output
from dpf.workflow.models import PaymentList
from dpf.workflow.services.bank import bank_workbook, signing_pdf
from dpf.workflow.services.payments import (
    payment_list_find,
    payment_list_generate,
    payment_lists_draft,
)


def _summary(plist: PaymentList) -> str:
    return f"list {plist.pk}: {plist.line_count} lines, {plist.total_amount}"


def payment_list_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: User | None, today: dt.date
) -> str:
    """Generate one county's list of one benefit and month (as the officer who asked).

    Run again after a crash it gives the same list: the generation is one transaction (a
    crash inside it leaves nothing), and a list already there is reported, not redone."""
    benefit = BenefitItem.objects.filter(code=params["benefit"]).first()
    if benefit is None:
        raise NotFound("benefit")
    month = dt.date.fromisoformat(params["month"])
    county = str(params["county_code"])
    found = payment_list_find(county_code=county, benefit=benefit, month=month)
    if found is not None and found.generated_by_id == getattr(actor, "pk", None):
        return _summary(found)  # this job's own list, from a run a crash interrupted
    progress(f"{county} {benefit.code} {month:%Y-%m}")
    plist = payment_list_generate(
        actor=actor, county_code=county, benefit=benefit, month=month, today=today
    )
    return _summary(plist)


def payment_lists_draft_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: User | None, today: dt.date
) -> str:
    """Draft this month's lists (or ``params["month"]``, YYYY-MM-DD) for every county."""
    month = dt.date.fromisoformat(params["month"]) if params.get("month") else today
    drafted, existing = payment_lists_draft(month=month, today=today, progress=progress)
    return f"lists of {month_start(month):%Y-%m}: {drafted} drafted, {existing} already there"


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def bank_workbook_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: User | None, today: dt.date
) -> Output:
    """The bank workbook of one approved list, as the officer who asked (kind
    ``workflow.bank_workbook``). Run again after a crash it writes the same file (the
    export is audited again: it was made again)."""
    progress("writing the bank workbook")
    filename, data = bank_workbook(
        actor=actor, list_id=int(params["list_id"]), purpose=str(params["purpose"])
    )
    return Output(f"list {params['list_id']}: bank workbook", filename, XLSX, data)


def signing_pdf_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: User | None, today: dt.date
) -> Output:
    """One signing PDF of a list: the county summary, or one township's volume (kind
    ``workflow.signing_pdf``)."""
    progress("laying out the PDF")
    filename, data = signing_pdf(
        actor=actor,
        list_id=int(params["list_id"]),
        township_code=str(params.get("township_code", "")),
        volume=int(params.get("volume", 1)),
    )
    part = params.get("township_code") or "summary"
    return Output(
        f"list {params['list_id']}: signing PDF {part}", filename, "application/pdf", data
    )
