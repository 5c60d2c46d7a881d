"""SIGKILL in the middle of the platform's jobs: nothing partial, and a re-run gives the result
an uninterrupted run gives.

Each job runs as its own process (``tests.faults.child``) against the test database, on
SQLite and on PostgreSQL, and is killed at a chosen call inside it, with writes of its own
already made:

- a roster commit, after the facts were closed and inserted, before its transaction ends;
- ``dpf scan``, after the first benefit's transaction committed and the second's items
  were inserted;
- a payment list, after the lines, paid months and totals were written, before commit;
- ``dpf keys rotate``, after two batches were re-encrypted and committed and the third
  was written.

Those four points run in the normal test command; ``./run prove`` (``DPF_PROVE=1``) runs
the whole matrix: every step of the roster commit and of the payment list, every benefit of
the scan, every batch of the rotation.

Afterwards: the tables are exactly as before the job (or, for jobs committed in parts, hold
only whole parts), the audit chain verifies, every encrypted value still decrypts, and
running the job again ends where an uninterrupted run of it ends — that run is made first,
in this process, inside a transaction that is rolled back (``uninterrupted``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from django.db import transaction

from dpf.benefits import services as benefit_services
from dpf.benefits.models import BenefitItem, ScanRun, ScanStatus, WorkItem
from dpf.core import audit, keyring
from dpf.core.models import AuditEntry
from dpf.exchange import services as exchange
from dpf.exchange.models import BatchStatus, ImportBatch
from dpf.registry import services as registry
from dpf.registry.models import HouseholdStatus, Person
from dpf.workflow.models import PaymentLine, PaymentList, PaymentMonth
from tests.benefits.conftest import person_with
from tests.exchange.conftest import stage, xlsx_bytes
from tests.factories import make_person, make_user
from tests.faults.support import Outside, prove_only

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

D = dt.date
T = TypeVar("T")


class _Undo(Exception):
    pass


def uninterrupted(job: Callable[[], Any], state: Callable[[], T]) -> T:
    """The state an uninterrupted run of ``job`` leaves, read inside a transaction that is
    then rolled back: the database is as before."""
    seen: list[T] = []
    try:
        with transaction.atomic():
            job()
            seen.append(state())
            raise _Undo
    except _Undo:
        pass
    return seen[0]


def audit_entries(action: str, object_type: str) -> int:
    return AuditEntry.objects.filter(action=action, object_type=object_type).count()


# Roster commit ------------------------------------------------------------------------------


def _roster_state() -> tuple[list[Any], ...]:
    return (
        sorted(
            HouseholdStatus.objects.values_list(
                "household_id", "status", "valid_from", "valid_to", "source"
            )
        ),
        sorted(Person.objects.values_list("pk", "facts_mark__changed_at")),
        list(ImportBatch.objects.values_list("pk", "status")),
    )


ROSTER_POINTS = [
    pytest.param("dpf.exchange.services.imports:_suspects_from_rows", id="facts-written"),
    pytest.param("dpf.exchange.services.imports:_commit_facts", id="facts", marks=prove_only),
    pytest.param("dpf.exchange.services.imports:mark_facts_changed", id="queued", marks=prove_only),
    pytest.param("dpf.core.audit:record", id="audit", marks=prove_only),
]


@pytest.mark.parametrize("point", ROSTER_POINTS)
def test_roster_commit_killed_before_its_transaction_ends(outside: Outside, point: str) -> None:
    officer = make_user("county_officer", "150402")
    switching = make_person(actor=officer, name="赵明")
    assert switching.household is not None
    registry.household_status_set(
        actor=officer, household=switching.household, status="dibao", valid_from=D(2020, 1, 1)
    )
    newcomers = [make_person(actor=officer, name=f"新人{i}") for i in range(8)]
    rows = [["身份证号码", "姓名", "类别", "起始日期"]]
    rows.append([switching.id_number, "赵明", "特困", "2024-03-01"])
    rows += [[p.id_number, p.name, "低保", "2023-01-05"] for p in newcomers]
    batch = stage(officer, "dibao", xlsx_bytes(rows))
    assert batch.counts["will_change"] == 9
    before = _roster_state()
    imports_before = audit_entries("import", "import_batch")

    def facts() -> list[Any]:
        return sorted(
            HouseholdStatus.objects.values_list("household_id", "status", "valid_from", "valid_to")
        )

    reference = uninterrupted(
        lambda: exchange.batch_commit(actor=officer, batch=batch, rescan=False), facts
    )
    assert len(reference) == 10
    assert reference != facts()

    # Killed after the old fact was closed and the nine new ones inserted, uncommitted.
    outside.kill_at(
        "dpf",
        "exchange",
        "commit",
        str(batch.pk),
        "--no-rescan",
        pause=point,
    )

    assert _roster_state() == before
    assert audit.verify() is None
    assert audit_entries("import", "import_batch") == imports_before

    outside.run("dpf", "exchange", "commit", str(batch.pk), "--no-rescan")

    assert facts() == reference
    assert ImportBatch.objects.get(pk=batch.pk).status == BatchStatus.COMMITTED
    assert audit.verify() is None
    assert audit_entries("import", "import_batch") == imports_before + 1


# Proactive scan --------------------------------------------------------------------------------

AS_OF = D(2025, 6, 30)
SCANNED = ["living_allowance", "nursing_allowance", "dibao_referral"]


def _items() -> list[tuple[Any, ...]]:
    return sorted(
        WorkItem.objects.values_list("person_id", "benefit__code", "kind", "status", "as_of")
    )


def _scan_registry() -> None:
    officer = make_user("county_officer", "150402")
    for level in (1, 2, 3, 4):
        person_with(level=level, household="dibao", long_term_care=level < 3)
    person_with(level=1, household=None)
    for expired in range(2):
        receiving = person_with(
            level=2, household="dibao", cert_from=D(2014, 1, 1), cert_to=D(2024, 12, 31)
        )
        benefit_services.entitlement_create(
            actor=officer,
            person=receiving,
            benefit=BenefitItem.objects.get(code="living_allowance"),
            valid_from=D(2024, 1, 1 + expired),
        )


@pytest.mark.parametrize(
    "benefit_number",
    [pytest.param(2, id="second"), *(pytest.param(n, id=str(n), marks=prove_only) for n in (1, 3))],
)
def test_scan_killed_between_benefits_resumes_to_the_same_items(
    outside: Outside, benefit_number: int
) -> None:
    _scan_registry()
    codes = SCANNED
    scans_before = audit_entries("create", "scan_run")

    def outcome() -> tuple[list[Any], dict[str, Any]]:
        run = ScanRun.objects.get()
        return _items(), {code: _counts(c) for code, c in run.counts.items()}

    reference_items, reference_counts = uninterrupted(
        lambda: benefit_services.scan(as_of=AS_OF, benefit_codes=codes), outcome
    )
    assert {i[1] for i in reference_items} >= set(codes[:2])  # work for the first two
    done = [i for i in reference_items if i[1] in codes[: benefit_number - 1]]

    args = ["scan", "--as-of", AS_OF.isoformat(), "--json"]
    for code in codes:
        args += ["--benefit", code]
    # Killed inside a benefit's transaction, its items inserted.
    outside.kill_at("dpf", *args, pause="dpf.benefits.scanning:scan_benefit", nth=benefit_number)

    dead = ScanRun.objects.get()
    assert dead.status == ScanStatus.RUNNING  # never finished, never marked
    assert list(dead.counts) == codes[: benefit_number - 1]
    assert _items() == done  # the benefits before whole, nothing of the one killed
    assert audit.verify() is None

    outside.run("dpf", *args)

    resumed = ScanRun.objects.get()
    assert resumed.pk == dead.pk
    assert resumed.status == ScanStatus.DONE
    assert _items() == reference_items
    assert {code: _counts(c) for code, c in resumed.counts.items()} == reference_counts
    assert audit.verify() is None
    assert audit_entries("create", "scan_run") == scans_before + 1


def _counts(counts: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in counts.items() if k != "since"}


# Payment list -----------------------------------------------------------------------------

MONTH = D(2025, 10, 1)


def _payments() -> tuple[list[Any], ...]:
    return (
        list(
            PaymentList.objects.values_list(
                "county_code",
                "benefit__code",
                "month",
                "status",
                "line_count",
                "total_amount",
                "total_arrears",
                "total_deductions",
            )
        ),
        sorted(
            PaymentLine.objects.values_list(
                "person_id",
                "entitlement_id",
                "month",
                "amount",
                "arrears_months",
                "arrears_amount",
                "deduction_months",
                "deduction_amount",
                "net_amount",
                "bank_account_masked",
                "status",
            )
        ),
        sorted(PaymentMonth.objects.values_list("person_id", "month", "kind", "amount")),
    )


PAYMENT_POINTS = [
    pytest.param("dpf.workflow.services.payments:_update_totals", id="totals"),
    *(
        pytest.param(f"dpf.workflow.services.payments:{step}", id=step, marks=prove_only)
        for step in (
            "_insert_lines",
            "_insert_regular_months",
            "_apply_arrears",
            "_apply_deductions",
        )
    ),
    pytest.param("dpf.core.audit:record", id="audit", marks=prove_only),
]


@pytest.mark.parametrize("point", PAYMENT_POINTS)
def test_payment_list_killed_before_commit_leaves_nothing_and_reruns_the_same(
    outside: Outside, point: str
) -> None:
    officer = make_user("county_officer", "150402")
    living = BenefitItem.objects.get(code="living_allowance")
    for i in range(7):
        person = person_with(level=1 + i % 4, household="dibao")
        benefit_services.entitlement_create(
            actor=officer, person=person, benefit=living, valid_from=D(2025, 1 + i, 1)
        )
    from dpf.workflow import services as workflow

    def generate() -> None:
        workflow.payment_list_generate(
            actor=officer,
            county_code="150402",
            benefit=living,
            month=MONTH,
            today=MONTH,
            now=dt.datetime(2025, 10, 1, 9, tzinfo=dt.UTC),
        )

    reference = uninterrupted(generate, _payments)
    assert reference[0][0][4] == 7  # seven lines
    empty = _payments()
    assert empty == ([], [], [])
    lists_before = audit_entries("create", "payment_list")
    job = ["payment-list", officer.username, "150402", "living_allowance", MONTH.isoformat()]

    # Killed after a step of the generation (by default the last: lines, paid months and
    # totals written), before the commit.
    outside.kill_at("job", *job, pause=point)

    assert _payments() == empty
    assert audit.verify() is None
    assert audit_entries("create", "payment_list") == lists_before

    outside.run("job", *job)

    assert _payments() == reference
    assert audit.verify() is None
    assert audit_entries("create", "payment_list") == lists_before + 1


# Key rotation -----------------------------------------------------------------------------


def _plaintexts() -> dict[str, list[tuple[Any, ...]]]:
    """Every encrypted value of every model, decrypted."""
    return {
        cols.label: sorted(
            cols.model._default_manager.values_list("pk", *cols.fields), key=lambda r: r[0]
        )
        for cols in keyring.encrypted_columns()
    }


@pytest.mark.parametrize(
    "batch",
    [pytest.param(3, id="third"), *(pytest.param(n, id=str(n), marks=prove_only) for n in (1, 2))],
)
def test_key_rotation_killed_between_batches_stays_readable_and_completes(
    outside: Outside, settings: Any, batch: int
) -> None:
    officer = make_user("county_officer", "150402")
    for i in range(9):
        make_person(actor=officer, name=f"轮换{i}", phone=f"1380000{i:04d}")
    old_key = settings.DPF_FIELD_KEY_CURRENT
    before = _plaintexts()
    assert sum(len(rows) for rows in before.values()) >= 18
    rotations_before = audit_entries("key_rotation", "field_keys")

    # Killed after batches of three rows were committed and the next one was written.
    outside.kill_at(
        "dpf",
        "keys",
        "rotate",
        "--batch-size",
        "3",
        pause="dpf.core.keyring:_write_back",
        nth=batch,
    )

    ring, current = outside.read_ring()
    assert current != old_key
    assert set(ring) == {old_key, current}
    settings.DPF_FIELD_KEYS = ring  # this process now reads with the ring the child left
    settings.DPF_FIELD_KEY_CURRENT = current
    in_use = keyring.key_ids_in_use()
    assert in_use[old_key] > 0  # stopped half-way
    assert (in_use[current] > 0) == (batch > 1)  # the killed batch itself left nothing
    assert _plaintexts() == before  # every value still decrypts, to what it was
    assert audit.verify() is None

    # The documented way to finish an interrupted rotation.
    outside.run("dpf", "keys", "reencrypt", "--batch-size", "3")
    outside.run("dpf", "keys", "retire")

    ring, current = outside.read_ring()
    assert set(ring) == {current}
    settings.DPF_FIELD_KEYS = ring
    settings.DPF_FIELD_KEY_CURRENT = current
    assert set(keyring.key_ids_in_use()) == {current}
    assert _plaintexts() == before
    assert audit.verify() is None
    # The finished rotation is recorded, as an uninterrupted one is.
    assert audit_entries("key_rotation", "field_keys") == rotations_before + 1
    assert AuditEntry.objects.filter(action="key_rotation", object_id=current).exists()
