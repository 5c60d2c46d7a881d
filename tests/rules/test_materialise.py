"""``facts_in_force(person_ids=…)``: the facts of a few persons materialised alone (the
indicators' refresh of the persons changed since a snapshot) are, row for row and column for
column, those persons' rows of the whole registry's table, on every date of the population."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dpf.rules import compile_rule
from dpf.rules.materialise import facts_in_force
from tests.rules import population

pytestmark = pytest.mark.django_db

# every column kind: a certificate, the household, residence, survey, both in-lists and the
# insured/receiving calls
RULE = compile_rule(
    'certificate.level <= 2 && household.status == "dibao" && in_region("150402")'
    ' && (insured("medical") || receiving("living_allowance") || in_school)'
)


def _rows(as_of: dt.date, person_ids: list[int] | None) -> dict[int, dict[str, Any]]:
    with facts_in_force(as_of, [RULE.root], person_ids=person_ids) as facts:
        return {row["id"]: dict(row) for row in facts.queryset().values()}


@pytest.mark.parametrize("seed", [1, 2])
def test_a_few_persons_materialised_alone_are_their_rows_of_the_whole(seed: int) -> None:
    persons = population.build(seed)
    some = sorted(p.pk for p in persons)[::3]
    for as_of in population.AS_OF_DATES:
        whole = _rows(as_of, None)
        assert _rows(as_of, some) == {pk: whole[pk] for pk in some}, as_of


def test_no_persons_is_refused() -> None:
    with (
        pytest.raises(ValueError, match="no persons"),
        facts_in_force(dt.date(2025, 6, 30), [RULE.root], person_ids=[]),
    ):
        pass
