"""Reads for the exchange: batches, rows, reconciliation lists, suspects, export extracts.

Every read of personal data is scoped: staff through ``dpf.accounts.scoping``; a partner
department's account matches rosters against the region its account is bound to.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import NotSupportedError
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from dpf.accounts.scoping import region_filter, regions_to_pick, scope_queryset
from dpf.benefits.selectors import persons_receiving
from dpf.core.errors import NotFound
from dpf.core.models import EffectiveDated, RegionLevel
from dpf.core.roles import Role
from dpf.exchange.display import REGISTRY_ERROR_CODES
from dpf.exchange.models import (
    BatchStatus,
    DuplicateSuspect,
    ExchangeToken,
    ImportBatch,
    ImportRow,
    Outcome,
    SuspectStatus,
)
from dpf.registry.models import Certificate, HouseholdStatus, HouseholdStatusCode, Person


def batches_for(user: Any) -> QuerySet[ImportBatch]:
    """Batches ``user`` may see: their own, and those uploaded within their region."""
    batches = ImportBatch.objects.select_related("uploaded_by")
    if getattr(user, "role", None) == Role.DEPARTMENT_EXCHANGE:
        return batches.filter(uploaded_by=user)
    if region_filter(user) is None:
        return batches.none()
    return batches.filter(region_code__startswith=user.region.prefix)


def batch_get(user: Any, batch_id: int) -> ImportBatch:
    batch = batches_for(user).filter(pk=batch_id).first()
    if batch is None:
        raise NotFound("import batch")
    return batch


def batch_rows(batch: ImportBatch, outcome: str | None = None) -> QuerySet[ImportRow]:
    rows = ImportRow.objects.filter(batch=batch)
    if outcome:
        rows = rows.filter(outcome=outcome)
    return rows.order_by("row_number")


class _HasErrorOutside(Func):
    """True when a row's JSON list of errors holds one whose code is not in ``codes``."""

    output_field = BooleanField()

    def __init__(self, codes: frozenset[str]) -> None:
        super().__init__(F("errors"))
        self.codes = sorted(codes)

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, Any]:
        # Dispatched here, not in as_sqlite/as_postgresql: aggregate filters call as_sql.
        if connection.vendor == "sqlite":
            each, code = "json_each({})", "json_extract(json_each.value, '$.code')"
        elif connection.vendor == "postgresql":
            each, code = "jsonb_array_elements({}) AS e(error)", "e.error ->> 'code'"
        else:
            raise NotSupportedError("row results need SQLite or PostgreSQL")
        sql, params = compiler.compile(self.source_expressions[0])
        marks = ", ".join(["%s"] * len(self.codes))
        return (
            # Only constants and placeholders are put into the text; the codes are parameters.
            f"EXISTS (SELECT 1 FROM {each.format(sql)} "  # noqa: S608
            f"WHERE COALESCE({code}, '') NOT IN ({marks}))",
            (*params, *self.codes),
        )


# A row is invalid for its department when it has an error that depends on the row alone.
_INVALID_BY_ITSELF = _HasErrorOutside(REGISTRY_ERROR_CODES)
DEPARTMENT_RESULTS = ("valid", "invalid")


def department_rows(batch: ImportBatch, result: str | None = None) -> QuerySet[ImportRow]:
    """A partner department's rows of its own ``batch`` with ``invalid_by_itself``.

    The outcome against the registry (matched or not, the person's facts, problems found by
    comparing) is left out: the department learns only what its rows say and whether each
    is valid by itself. ``batch`` has passed :func:`batch_get`.
    """
    rows = ImportRow.objects.filter(batch=batch).annotate(invalid_by_itself=_INVALID_BY_ITSELF)
    if result == "invalid":
        rows = rows.filter(invalid_by_itself=True)
    elif result == "valid":
        rows = rows.filter(invalid_by_itself=False)
    return rows.only("row_number", "id_masked", "values", "errors").order_by("row_number")


def department_counts(batch: ImportBatch) -> dict[str, int]:
    """Rows of ``batch`` in all, valid by themselves and invalid (one query)."""
    counts = ImportRow.objects.filter(batch=batch).aggregate(
        total=Count("pk"), invalid=Count("pk", filter=_INVALID_BY_ITSELF)
    )
    return {
        "total": counts["total"],
        "valid": counts["total"] - counts["invalid"],
        "invalid": counts["invalid"],
    }


def committed_batch_with(roster_type: str, sha256: str) -> ImportBatch | None:
    return ImportBatch.objects.filter(
        roster_type=roster_type, content_sha256=sha256, status=BatchStatus.COMMITTED
    ).first()


def left_dibao_rows(batch: ImportBatch) -> QuerySet[ImportRow]:
    """Rows of a committed 低保 roster whose household left 低保 by this import."""
    return ImportRow.objects.filter(
        batch=batch,
        outcome=Outcome.WILL_CHANGE,
        before__status=HouseholdStatusCode.DIBAO,
        close_fact_id__isnull=False,
        close_to__isnull=False,
    ).exclude(after__status=HouseholdStatusCode.DIBAO, insert_fact=True)


def left_dibao_receiving(batch: ImportBatch, user: Any) -> QuerySet[Person]:
    """Members of households that left 低保 and still receive the living allowance."""
    households = left_dibao_rows(batch).values("target_id")
    persons = scope_queryset(user, Person.objects.filter(household_id__in=households))
    return persons_receiving(persons, "living_allowance").order_by("county_code", "name")


def suspects_for(user: Any, status: str = SuspectStatus.OPEN) -> QuerySet[DuplicateSuspect]:
    suspects = scope_queryset(user, DuplicateSuspect.objects.all())
    if status:
        suspects = suspects.filter(status=status)
    return suspects.select_related("person_a", "person_b", "import_row").order_by("-created_at")


def suspect_get(user: Any, suspect_id: int) -> DuplicateSuspect:
    suspect = suspects_for(user, status="").filter(pk=suspect_id).first()
    if suspect is None:
        raise NotFound("duplicate suspect")
    return suspect


def registry_extract(user: Any, region_code: str, as_of: dt.date) -> QuerySet[Person]:
    """Persons in ``region_code`` (within the user's scope) with their facts as of a date.

    One query: the certificate and household status in force are correlated subqueries.
    """
    persons = scope_queryset(user, Person.objects.all())
    if len(region_code) <= 6:
        from dpf.core.models import region_prefix

        persons = persons.filter(county_code__startswith=region_prefix(region_code))
    elif len(region_code) == 9:
        persons = persons.filter(township_code=region_code)
    else:
        persons = persons.filter(village_code=region_code)
    in_force = Certificate.objects.filter(EffectiveDated.as_of_q(as_of), person=OuterRef("pk"))
    status = HouseholdStatus.objects.filter(
        EffectiveDated.as_of_q(as_of), household=OuterRef("household_id")
    )
    return (
        persons.filter(Q(death_date__isnull=True) | Q(death_date__gte=as_of))
        .filter(Exists(Certificate.objects.filter(person=OuterRef("pk"))))
        .annotate(
            cert_category=Subquery(in_force.order_by("-valid_from").values("category")[:1]),
            cert_level=Subquery(in_force.order_by("-valid_from").values("level")[:1]),
            cert_valid_to=Subquery(in_force.order_by("-valid_from").values("valid_to")[:1]),
            household_status=Subquery(status.order_by("-valid_from").values("status")[:1]),
        )
        .order_by("county_code", "township_code", "village_code", "name", "pk")
    )


def department_tokens(user: Any) -> QuerySet[ExchangeToken]:
    """The API tokens of a partner department's own account (never another account's)."""
    if getattr(user, "role", None) != Role.DEPARTMENT_EXCHANGE:
        return ExchangeToken.objects.none()
    return ExchangeToken.objects.filter(user=user).order_by("-active", "-created_at")


def export_regions(user: Any) -> list[tuple[str, str]]:
    """The regions an extract can be asked for: the user's own, then (for a city or county
    user) the counties and townships under it, townships indented."""
    own = getattr(user, "region", None)
    if own is None:
        return []
    choices = [(own.code, own.name)]
    if own.level in (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE):
        return choices
    below = regions_to_pick(user, [RegionLevel.COUNTY, RegionLevel.TOWNSHIP]).exclude(code=own.code)
    for code, name, level in below.values_list("code", "name", "level"):
        indent = "　" if level == RegionLevel.TOWNSHIP else ""
        choices.append((code, f"{indent}{name}"))
    return choices
