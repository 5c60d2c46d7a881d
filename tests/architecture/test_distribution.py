"""The distributed path, checked not assumed (issue 21 part 2): the SQL of every hot path —
search, the person page, the proactive scan, the indicators, the payment lists, the roster
commit — is captured and parsed (sqlglot), and a statement that reads a table distributed by
county code under Citus (``docs/scaling.md``) without filtering it on the county code or
joining it co-located fails the test (rules in ``tests/distribution.py``).

What does not fit today is in ``KNOWN``: each entry names the statement by a fragment of its
SQL, the path, and why (the reference table or repartition join it would need); the same
list is in ``docs/scaling.md``. An entry that no longer matches anything fails too, so the
list shrinks as the code is fixed.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.distribution import check, check_all

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Known:
    path: str
    table: str  # "*": any table
    kind: str  # Problem.kind: key, unanchored, aggregate, fanout, repartition
    why: str


# Statements that would not stay co-located under Citus today, each with its reason. Keep
# in step with docs/scaling.md ("Queries that need a reference table or a repartition join").
_CHILD_BY_PERSON = (
    "a child row read by person_id only: the plan gives each child table the person's "
    "county_code (docs/scaling.md); the person page must then pass the person's county"
)
_FANOUT_COUNT = (
    "a grouped count over the whole table for the city's recompute: a fan-out Citus runs on "
    "every shard and merges (fine for the batch; a county's figure would add county_code)"
)
_FACTS_TEMP = (
    "the facts in force materialised as a temporary table (dpf.rules.materialise): under "
    "Citus a coordinator-local table, so every statement reading it pulls all rows to the "
    "coordinator; it needs a county_code column and to be created distributed (or per shard)"
)
_WITHIN = (
    "a records numerator counted within its denominator over the facts table "
    "(compute.within_conditions): the kind's members read as a semi-join by person id with "
    "no county, a fan-out pulled to the coordinator like the facts table; with the facts "
    "distributed by county_code the record table needs the person's county_code and the "
    "semi-join both columns"
)
_IMPORT_TARGET = (
    "import rows point at persons and facts by plain integers (target_id, close_fact_id), "
    "not foreign keys, and carry no county: a repartition join unless exchange_importrow "
    "gets the target's county_code and the statements join on it"
)
KNOWN: tuple[Known, ...] = (
    *(
        Known("person page", table, "key", _CHILD_BY_PERSON)
        for table in (
            "benefits_entitlement",
            "registry_certificate",
            "registry_householdstatus",
            "registry_insuranceenrolment",
            "registry_needssurvey",
            "registry_outsidepayment",
            "registry_personstatus",
            "registry_recordchange",
            "registry_residence",
            "registry_schoolenrolment",
        )
    ),
    # Any table: every indicator counted from its own records is such a count.
    Known("indicators", "*", "aggregate", _FANOUT_COUNT),
    Known("indicators", "rules_facts_in_force", "aggregate", _FACTS_TEMP),
    Known("scan", "rules_facts_in_force", "unanchored", _FACTS_TEMP),
    Known("indicators", "services_devicefitting", "unanchored", _WITHIN),
    Known("indicators", "exchange_familydoctorcontract", "unanchored", _WITHIN),
    *(
        Known(
            "scan",
            "benefits_scan_eligible",
            kind,
            "the scan's working set of person ids, filled from the facts in force, counted "
            "and read back without a county: it needs a county_code column (distributed, "
            "co-located) or to be a temporary table per shard",
        )
        for kind in ("unanchored", "aggregate")
    ),
    Known(
        "payment list",
        "workflow_paymentline",
        "key",
        "a list's lines read and summed by list_id: add the list's county_code to the filter",
    ),
    Known(
        "payment list",
        "workflow_paymentlist",
        "key",
        "the list's totals updated by id: add its county_code to the filter",
    ),
    Known(
        "payment list",
        "workflow_paymentmonth",
        "unanchored",
        "the arrears' months already paid looked up by person through the list's lines "
        "materialised as a CTE (workflow.services.payments._apply_arrears): a payment month "
        "carries no county_code; it needs the line's county_code and the look-up both columns",
    ),
    Known(
        "roster commit",
        "exchange_importrow",
        "key",
        "import rows read by batch_id: a batch belongs to one region; exchange_importrow "
        "needs its county_code (a city batch spans counties: then a fan-out)",
    ),
    Known(
        "roster commit",
        "exchange_importrow⋈registry_householdstatus",
        "repartition",
        _IMPORT_TARGET,
    ),
    Known(
        "roster commit",
        "registry_householdstatus⋈exchange_importrow",
        "repartition",
        _IMPORT_TARGET,
    ),
    Known("roster commit", "registry_person⋈exchange_importrow", "repartition", _IMPORT_TARGET),
    Known("roster commit", "registry_householdstatus", "unanchored", _IMPORT_TARGET),
    Known(
        "roster commit",
        "registry_person",
        "aggregate",
        "the duplicate check after a commit groups the whole registry by name, birth date "
        "and village: a fan-out over every shard (restrict it to the batch's counties)",
    ),
    Known(
        "roster commit",
        "registry_person",
        "unanchored",
        "the duplicate check looks persons up by name, birth date and village code (add the "
        "village's county_code), and the persons of changed households are found through "
        "import rows (" + _IMPORT_TARGET + ")",
    ),
    Known(
        "roster commit",
        "exchange_duplicatesuspect",
        "aggregate",
        "a count of all duplicate suspects: a fan-out, or filter on the batch's county",
    ),
)


def _capture(action: Callable[[], Any]) -> list[dict[str, str]]:
    with CaptureQueriesContext(connection) as ctx:
        action()
    return list(ctx.captured_queries)


# --- the checker itself can fail ------------------------------------------------------------


def test_checker_refuses_an_unfiltered_lookup_and_a_repartition_join() -> None:
    lookup = (
        'SELECT "registry_person"."id" FROM "registry_person" '
        'WHERE "registry_person"."id_number_hash" = \'ab\''
    )
    [problem] = check(lookup, routed=True)
    assert problem.table == "registry_person"
    filtered = lookup + ' AND "registry_person"."county_code" = \'150402\''
    assert check(filtered, routed=True) == []
    prefix = lookup + " AND \"registry_person\".\"county_code\" LIKE '1504%' ESCAPE '\\'"
    assert check(prefix, routed=True) == []
    # A co-located join (along the foreign key) anchors the child table on the person's
    # filter; the same join without any county filter fans out: fine for a batch, not for
    # an interactive path.
    joined = (
        'SELECT U1."id" FROM "registry_certificate" U1 INNER JOIN "registry_person" '
        'ON (U1."person_id" = "registry_person"."id") '
        'WHERE "registry_person"."county_code" = \'150402\''
    )
    assert check(joined, routed=True) == []
    fanout = joined.split(" WHERE ")[0]
    assert check(fanout, routed=False) == []
    assert len(check(fanout, routed=True)) == 1
    # A join on something other than a foreign key or the county code is a repartition join.
    repartition = (
        'SELECT 1 FROM "exchange_importrow" INNER JOIN "registry_person" '
        'ON ("exchange_importrow"."id_hash" = "registry_person"."id_number_hash") '
        'WHERE "registry_person"."county_code" = \'150402\''
    )
    assert any("repartition" in p.reason for p in check(repartition, routed=False))
    # A correlated EXISTS on a child table is anchored by the outer, filtered person.
    exists = (
        'SELECT "registry_person"."id" FROM "registry_person" '
        'WHERE ("registry_person"."county_code" = \'150402\' '
        'AND EXISTS(SELECT 1 FROM "registry_employment" U0 '
        'WHERE U0."person_id" = ("registry_person"."id")))'
    )
    assert check(exists, routed=True) == []
    # Inside an OR every branch must filter.
    either = (
        lookup + ' AND ("registry_person"."county_code" = \'150402\' OR "registry_person"."id" = 1)'
    )
    assert len(check(either, routed=True)) == 1
    # Tables that are not distributed are not checked.
    assert check('SELECT "core_region"."code" FROM "core_region"', routed=True) == []


# --- the hot paths -------------------------------------------------------------------------


def _search_and_person_page(county_officer: Any) -> dict[str, list[dict[str, str]]]:
    from tests.benefits.conftest import person_with

    person = person_with(level=1, household="dibao")
    client = Client()
    client.force_login(county_officer)
    client.get(reverse("registry:search"))  # the session's first write, outside the capture
    return {
        "search by name": _capture(lambda: client.get(reverse("registry:search"), {"q": "张海"})),
        "search by pinyin": _capture(lambda: client.get(reverse("registry:search"), {"q": "zhm"})),
        "search by ID number": _capture(
            lambda: client.post(reverse("registry:search"), {"q": person.id_number})
        ),
        "person page": _capture(
            lambda: client.get(reverse("registry:person", kwargs={"person_id": person.pk}))
        ),
    }


def _batches(county_officer: Any) -> dict[str, list[dict[str, str]]]:
    from dpf.benefits import services as benefit_services
    from dpf.exchange import services as exchange
    from dpf.indicators import compute
    from dpf.indicators.models import Plan
    from tests.benefits.conftest import AS_OF, person_with
    from tests.exchange.test_background import roster
    from tests.workflow.test_payments import generate, receiving

    for village in ("150402001001", "150404002001"):
        person_with(village=village, level=1, household="dibao", long_term_care=True)
    receiving(2)
    batch = exchange.batch_validate_now(
        exchange.batch_upload(
            actor=county_officer,
            roster_type="dibao",
            file_name="低保.xlsx",
            stream=io.BytesIO(roster(county_officer, registered=2, unknown=1)),
        )
    )
    plan = Plan.objects.get(code="P14")
    return {
        "scan": _capture(lambda: benefit_services.scan(as_of=AS_OF)),
        "indicators": _capture(lambda: compute.compute(plan, dt.date(2025, 12, 31))),
        "payment list": _capture(lambda: generate(county_officer, month=dt.date(2025, 10, 1))),
        "roster commit": _capture(
            lambda: exchange.batch_commit(actor=county_officer, batch=batch, rescan=False)
        ),
    }


ROUTED = {"search by name", "search by pinyin", "search by ID number", "person page"}


def test_hot_paths_stay_co_located_under_citus(county_officer, regions) -> None:
    captured = _search_and_person_page(county_officer)
    captured.update(_batches(county_officer))
    unexpected: list[str] = []
    used: set[Known] = set()
    for path, queries in captured.items():
        assert queries, f"{path}: nothing captured"
        for problem in check_all(queries, routed=path in ROUTED):
            matches = [
                k
                for k in KNOWN
                if (k.path, k.kind) == (path, problem.kind) and k.table in ("*", problem.table)
            ]
            if matches:
                used.update(matches)
            else:
                unexpected.append(f"[{path}] {problem}")
    assert not unexpected, "\n\n".join(unexpected) + "\n\n" + "\n".join(map(str, summary(captured)))
    stale = [k for k in KNOWN if k not in used]
    assert not stale, f"KNOWN entries that match nothing any more: {stale}"


def summary(captured: dict[str, list[dict[str, str]]]) -> list[tuple[str, str, str]]:
    """(path, table, kind) of every problem: what KNOWN would list (a helper for updating
    it and docs/scaling.md)."""
    out = set()
    for path, queries in captured.items():
        for problem in check_all(queries, routed=path in ROUTED):
            out.add((path, problem.table, problem.kind))
    return sorted(out)
