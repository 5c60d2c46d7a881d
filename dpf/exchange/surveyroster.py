"""The needs survey roster (the national survey system's export): matching its rows against
the registry and committing them as the persons' surveys.

A row becomes the person's ``NeedsSurvey`` of its year, in force from its date, like one
submitted from the worker's form (``dpf.registry.surveys``): refused when the person holds
no certificate on that date, and when a different survey of that year is already recorded
(a second survey of a year is never written; the same one again is "up to date").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import ExtractYear

from dpf.exchange.models import ImportBatch, ImportRow, Outcome
from dpf.exchange.parsing import cell_error
from dpf.registry.models import Certificate, NeedsSurvey, SurveyDraft, SurveyNoContact

BOOLEANS = ("rehab_need", "home_renovation_need", "care_need", "long_term_care_need",
            "employment_wish")  # fmt: skip
ANSWERS = (
    "survey_date",
    "method",
    "rehab_need",
    "device_need",
    "home_renovation_need",
    "care_need",
    "long_term_care_need",
    "employment_status",
    "employment_wish",
    "school_status",
    "income_per_capita",
)


def survey_values(values: dict[str, Any]) -> dict[str, Any]:
    """A row's answers as ``NeedsSurvey`` fields (``values`` as parsed: codes and text)."""
    answers: dict[str, Any] = {
        "year": int(values["year"]),
        "survey_date": dt.date.fromisoformat(values["survey_date"]),
        "method": values["method"],
        "device_need": "" if values["device_need"] == "none" else values["device_need"],
        "employment_status": values["employment_status"],
        "school_status": values["school_status"],
        "income_per_capita": Decimal(values["income_per_capita"]).quantize(Decimal("0.01")),
    }
    for name in BOOLEANS:
        answers[name] = values[name] == "yes"
    return answers


def _comparable(answers: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(answers[name] for name in ANSWERS)


def _describe(answers: dict[str, Any]) -> dict[str, Any]:
    """A JSON-safe summary for the preview (``display.describe`` words it)."""
    return {
        "survey_year": answers["year"],
        "survey_date": answers["survey_date"].isoformat(),
        "long_term_care_need": answers["long_term_care_need"],
    }


@dataclass
class SurveyState:
    """What the registry holds for one person: surveys by year, certificate intervals."""

    surveys: dict[int, dict[str, Any]] = field(default_factory=dict)
    certificates: list[tuple[dt.date, dt.date | None]] = field(default_factory=list)

    def certified_on(self, day: dt.date) -> bool:
        return any(start <= day and (end is None or end >= day) for start, end in self.certificates)


def existing(person_ids: Iterable[int]) -> dict[int, SurveyState]:
    """The surveys and certificate intervals of a chunk's persons (two queries)."""
    ids = list(person_ids)
    states: dict[int, SurveyState] = defaultdict(SurveyState)
    if not ids:
        return states
    for row in NeedsSurvey.objects.filter(person_id__in=ids).values("person_id", "year", *ANSWERS):
        states[row["person_id"]].surveys[row["year"]] = row
    for person_id, start, end in Certificate.objects.filter(person_id__in=ids).values_list(
        "person_id", "valid_from", "valid_to"
    ):
        states[person_id].certificates.append((start, end))
    return states


def survey_change(row: ImportRow, person: dict[str, Any], state: SurveyState) -> None:
    """Set the row's outcome: will record the survey, up to date, or refused."""
    answers = survey_values(row.values)
    row.target_id = person["id"]
    row.after = _describe(answers)
    held = state.surveys.get(answers["year"])
    if held is not None:
        row.before = _describe({**held, "year": answers["year"]})
        if _comparable(held) == _comparable(answers):
            row.outcome = Outcome.UP_TO_DATE
            row.after = row.before
        else:
            row.outcome = Outcome.INVALID
            row.errors.append(cell_error("调查年度", "survey_exists"))
        return
    if not state.certified_on(answers["survey_date"]):
        row.outcome = Outcome.INVALID
        row.errors.append(cell_error("调查日期", "survey_no_certificate"))
        return
    row.outcome = Outcome.WILL_CHANGE
    row.new_from = answers["survey_date"]
    row.insert_fact = True


class Stale(Exception):
    """The registry changed since the preview (a survey of the year was recorded)."""


def commit(batch: ImportBatch, rows: QuerySet[ImportRow]) -> int:
    """Record the rows' surveys (bulk); the year's draft and "no contact" of each go."""
    same_year = NeedsSurvey.objects.filter(
        person_id=OuterRef("target_id"), year=ExtractYear(OuterRef("new_from"))
    )
    if rows.filter(Exists(same_year)).exists():
        raise Stale
    surveys = [
        NeedsSurvey(
            person_id=person_id,
            person_confirmed=True,
            source=f"roster:{batch.pk}",
            surveyor_name="",
            **survey_values(values),
        )
        for person_id, values in rows.values_list("target_id", "values").iterator(chunk_size=5000)
        if person_id is not None  # set on every matched row
    ]
    NeedsSurvey.objects.bulk_create(surveys, batch_size=1000)
    recorded = rows.filter(target_id=OuterRef("person_id"), new_from__year=OuterRef("year"))
    SurveyDraft.objects.filter(Exists(recorded)).delete()
    SurveyNoContact.objects.filter(Exists(recorded)).delete()
    return len(surveys)
