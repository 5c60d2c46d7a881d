"""Builders for the workflow tests: officers of each level, eligible people, a clock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

pytest.importorskip("dpf.rules")

from dpf.benefits.models import AmountStandard, BenefitItem
from dpf.core import workdays
from dpf.workflow import services
from dpf.workflow.models import Application, ApplicationItem
from tests.benefits.conftest import person_with
from tests.factories import make_user

TZ = ZoneInfo("Asia/Shanghai")
ALLOWANCES = ["living_allowance", "nursing_allowance"]
# The tests' applications carry no scans: the final approval records why they are waived.
WAIVER = "原件已在窗口当面核验（测试）"
BANK = services.BankDetails("中国农业银行赤峰分行", "张海明", "6228480012345678901")


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def benefit(code: str) -> BenefitItem:
    return BenefitItem.objects.get(code=code)


def standard(code: str, level: int | None) -> Decimal:
    """The shipped standard for a level (the test's oracle reads the data, not the code)."""
    rows = AmountStandard.objects.filter(benefit__code=code, region_code="")
    exact = rows.filter(level=level).first() if level is not None else None
    row = exact or rows.filter(level__isnull=True).get()
    return row.monthly_amount


@pytest.fixture(autouse=True)
def _fast_and_fresh(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    workdays.clear_cache()


@pytest.fixture(autouse=True)
def _memory_sender(settings: Any) -> None:
    """Text messages to persons' phones are kept in memory (masked), never in data/."""
    from dpf.portal.messaging import MemorySender

    settings.DPF_MESSAGE_SENDER = "dpf.portal.messaging.MemorySender"
    MemorySender.sent.clear()


def verified_account(
    person: Any, bank: services.BankDetails = BANK, *, day: dt.date = dt.date(2025, 9, 1)
) -> Any:
    """An account recorded at the window and verified by a township officer of the person's
    township (another person than the one who recorded it), paid to from ``day``."""
    recorder = make_user("village_worker", person.village_code)
    requested = services.payee_account_request(actor=recorder, person=person, bank=bank, on=day)
    officer = make_user("township_officer", person.township_code)
    return services.payee_account_verify(
        actor=officer,
        account_id=requested.pk,
        checked_in_person=True,
        now=at(day),
        today=day,
    )


@pytest.fixture
def township_officer(regions: None) -> Any:
    return make_user("township_officer", "150402001")


@pytest.fixture
def approver(regions: None) -> Any:
    """A second county officer of 150402: four eyes, the one who approves a payment list
    is not the one who generated it."""
    return make_user("county_officer", "150402")


@pytest.fixture
def other_county_officer(regions: None) -> Any:
    return make_user("county_officer", "150404")


@pytest.fixture
def officers(village_worker: Any, township_officer: Any, county_officer: Any, city_admin: Any):
    """The actor of each role that acts on a step."""
    return {
        "village_worker": village_worker,
        "township_officer": township_officer,
        "county_officer": county_officer,
        "city_admin": city_admin,
    }


@pytest.fixture
def eligible_person(regions: None):
    """Level 1 certificate, 低保 household, long-term care need: both allowances."""
    return person_with(level=1, household="dibao", long_term_care=True)


def submit_bundle(actor: Any, person: Any, day: dt.date, **extra: Any) -> Application:
    return services.application_submit(
        actor=actor,
        person=person,
        benefit_codes=ALLOWANCES,
        applicant_kind=extra.pop("applicant_kind", "worker"),
        channel=extra.pop("channel", "window"),
        bank=extra.pop("bank", BANK),
        now=at(day),
        today=day,
        **extra,
    )


SCAN_PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def upload_required(actor: Any, application: Application) -> None:
    """Upload a (tiny) scan of every document the application still needs."""
    from dpf.workflow.selectors import missing_documents

    for doc in missing_documents(application):
        services.document_upload(
            actor=actor,
            application_id=application.pk,
            doc_type=doc.code,
            name=f"{doc.code}.pdf",
            data=SCAN_PDF,
        )


def walk(item: ApplicationItem, officers: dict[str, Any], day: dt.date) -> ApplicationItem:
    """Pass the item through every remaining step, each by the role the step names."""
    for _ in range(10):
        item.refresh_from_db()
        if item.status != "in_progress":
            return item
        actor = officers[item.step_role]
        services.item_decide(
            actor=actor,
            item_id=item.pk,
            expected_step=item.step_code,
            decision="advance",
            waiver_reason=WAIVER,
            today=day,
            now=at(day, 11),
        )
    raise AssertionError("the procedure did not end")
