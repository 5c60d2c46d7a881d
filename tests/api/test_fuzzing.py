"""API fuzzing: schemathesis over /api/openapi.json as a department, every check enabled.

Each operation gets valid and invalid requests (examples, coverage and fuzzing phases); a
stateful run pushes rosters (each validated right after its push, as the background process
would) and follows the links to read and commit them. Every check
schemathesis has is on: server errors, status codes and content types as documented,
responses matching their schema, schema-valid requests accepted, invalid ones refused,
authentication not ignored, undocumented methods refused. Deterministic (fixed seed,
derandomized, no example database), so a failure reproduces.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from dpf.exchange import jobs
from dpf.exchange.models import BatchStatus, ImportBatch
from tests.api.schema import SCHEMA

pytestmark = pytest.mark.django_db


@SCHEMA.parametrize()
# The token and persons are made once per operation; the batches the generated cases push
# accumulate on purpose (later cases read and commit them).
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_operation_keeps_its_contract(case, department_token) -> None:
    case.call_and_validate()


def _workflow() -> Any:
    """The stateful run, with each push's background validation run right after it (tests
    start no process: ``DPF_IMPORT_WORKER = "manual"``), so later steps can commit."""

    class Workflow(SCHEMA.as_state_machine()):  # type: ignore[misc]
        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            pushed = case.operation.path.endswith("/rosters/{roster_type}")
            if pushed and response.status_code == 201:
                jobs.run_validation(response.json()["id"])

    return Workflow


def test_pushed_batches_are_read_and_committed_as_documented(department_token) -> None:
    _workflow().run(
        settings=settings(
            max_examples=20,
            stateful_step_count=8,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    # The run followed the links from a push to its batch, up to a commit.
    assert ImportBatch.objects.filter(status=BatchStatus.COMMITTED).exists()
