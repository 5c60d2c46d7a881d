"""Disabled college graduates (高校残疾人毕业生, issue 19 part 7): one file per graduate
(“一人一档”) and the support actions taken for each (“一人一策”), as the plan asks the
employment service to keep them (就业帮扶工作台账).

Whether a graduate works is never stored on the file: it is the registry's employment fact
in force on the day asked (``registry.Employment``), read through the registry's own reader
(``employment_in_force``) for one file and through the same rule, ``EffectiveDated.as_of_q``,
as one EXISTS for a list. A file is ``employed`` or ``seeking``.

Writes are keyword-only, transactional and audited; reads go through
``dpf.accounts.scoping`` (a file by its person's region codes, as the employment records).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused, has_permission, require_permission
from dpf.accounts.scoping import scope_queryset
from dpf.core import audit
from dpf.core.dates import local_today
from dpf.core.inputs import clean_text, not_after, refuse
from dpf.core.models import EffectiveDated, Region, RegionLevel
from dpf.employment import selectors
from dpf.employment.models import (
    EARLIEST_GRADUATION_YEAR,
    EducationLevel,
    Employer,
    GraduateFile,
    SupportAction,
    SupportActionKind,
)
from dpf.employment.records import _person_by_id_number, employment_in_force
from dpf.registry.models import Employment, Person

EMPLOYED = "employed"
SEEKING = "seeking"
STATE_LABELS = {EMPLOYED: _("已就业"), SEEKING: _("求职中")}


def _today(today: dt.date | None) -> dt.date:
    return today if today is not None else local_today()


def _year(graduation_year: Any, today: dt.date) -> int:
    """A graduation year from 1990 to next year (a student graduating next summer may be
    followed before they leave school)."""
    latest = today.year + 1
    try:
        year = int(graduation_year)
    except (TypeError, ValueError):
        year = 0
    if not EARLIEST_GRADUATION_YEAR <= year <= latest:
        raise refuse(
            "graduation_year",
            f"毕业年份应在{EARLIEST_GRADUATION_YEAR}年至{latest}年之间",
            f"The graduation year is from {EARLIEST_GRADUATION_YEAR} to {latest}",
            "graduation_year",
        )
    return year


def _details(
    *, school: str, major: str, education: str, graduation_year: Any, wish: str, today: dt.date
) -> dict[str, Any]:
    if education not in EducationLevel.values:
        raise refuse("education", "学历层次无效", "The education level is not valid", "education")
    return {
        "school": clean_text(school, field="school", label=("毕业院校", "school"), limit=100),
        "major": clean_text(major, field="major", label=("所学专业", "major"), limit=100),
        "education": education,
        "graduation_year": _year(graduation_year, today),
        "wish": clean_text(
            wish,
            field="wish",
            label=("就业意向", "employment wished for"),
            limit=200,
            required=False,
        ),
    }


def graduate_file_create(
    *,
    actor: User,
    id_number: str,
    school: str,
    major: str,
    education: str,
    graduation_year: Any,
    wish: str = "",
    today: dt.date | None = None,
) -> GraduateFile:
    """Open the file of a registered person of the actor's region (found by ID number). A
    second file for the same person is refused: the file is amended, never duplicated."""
    require_permission(actor, "create", "graduate_file")
    day = _today(today)
    details = _details(
        school=school,
        major=major,
        education=education,
        graduation_year=graduation_year,
        wish=wish,
        today=day,
    )
    try:
        with transaction.atomic():
            person = _person_by_id_number(actor, id_number)
            row = GraduateFile.objects.create(
                person=person, created_on=day, created_by=actor, **details
            )
            audit.record(
                actor=actor,
                action="create",
                object_type="graduate_file",
                object_id=row.pk,
                changes={
                    "person": person.pk,
                    "education": details["education"],
                    "graduation_year": details["graduation_year"],
                },
            )
    except IntegrityError:
        raise refuse(
            "graduate_file_exists",
            "该人员已建立毕业生档案",
            "This person already has a graduate file",
            "id_number",
        ) from None
    return row


def graduate_file_change(
    *,
    actor: User | None,
    file_id: int,
    school: str,
    major: str,
    education: str,
    graduation_year: Any,
    wish: str = "",
    today: dt.date | None = None,
) -> GraduateFile:
    """Amend a file of the actor's region (the person stays the same)."""
    require_permission(actor, "change", "graduate_file", file_id)
    details = _details(
        school=school,
        major=major,
        education=education,
        graduation_year=graduation_year,
        wish=wish,
        today=_today(today),
    )
    with transaction.atomic():
        row = _files_in_scope(actor).select_for_update().filter(pk=file_id).first()
        if row is None:
            raise PermissionRefused("change", "graduate_file", file_id)
        # [before, after] of each field changed (the audit page reads "before → after").
        changed = {k: [getattr(row, k), v] for k, v in details.items() if getattr(row, k) != v}
        for name, (_before, after) in changed.items():
            setattr(row, name, after)
        if changed:
            row.save(update_fields=list(changed))
            audit.record(
                actor=actor,
                action="change",
                object_type="graduate_file",
                object_id=row.pk,
                changes=changed,
            )
    return row


def support_action_add(
    *,
    actor: User,
    file_id: int,
    taken_on: dt.date,
    kind: str,
    note: str,
    employer_id: int | None = None,
    today: dt.date | None = None,
) -> SupportAction:
    """Record a support action on a file of the actor's region: on a day not after today,
    of one of the kinds, with what was done and, when given, an employer of the region."""
    require_permission(actor, "change", "graduate_file", file_id)
    if kind not in SupportActionKind.values:
        raise refuse("support_kind", "帮扶方式无效", "The kind of support is not valid", "kind")
    if not isinstance(taken_on, dt.date):
        raise refuse("taken_on", "请填写帮扶日期", "Enter the date of the support", "taken_on")
    not_after(taken_on, _today(today), field="taken_on", label=("帮扶日期", "date of support"))
    text = clean_text(note, field="note", label=("帮扶内容", "note"), limit=300)
    employer: Employer | None = None
    if employer_id:
        employer = selectors.employers(actor).filter(pk=employer_id).first()
        if employer is None:
            raise refuse(
                "employer_not_found",
                "请选择本辖区的用人单位",
                "Choose an employer of your region",
                "employer_id",
            )
    with transaction.atomic():
        row = _files_in_scope(actor).select_for_update().filter(pk=file_id).first()
        if row is None:
            raise PermissionRefused("change", "graduate_file", file_id)
        action = SupportAction.objects.create(
            file=row,
            taken_on=taken_on,
            kind=kind,
            note=text,
            employer=employer,
            created_by=actor,
        )
        audit.record(
            actor=actor,
            action="change",  # a support action added to the file
            object_type="graduate_file",
            object_id=row.pk,
            changes={
                "kind": kind,
                "date": taken_on.isoformat(),
                "employer": employer.pk if employer else None,
            },
        )
    return action


# --- reads -----------------------------------------------------------------------------------


def _files_in_scope(user: Any) -> QuerySet[GraduateFile]:
    if not has_permission(user, "view", "graduate_file"):
        return GraduateFile.objects.none()
    return GraduateFile.objects.filter(person__in=scope_queryset(user, Person.objects.all()))


def _employed_on(on: dt.date) -> Exists:
    """The person of a file has employment in force on ``on`` (the registry's rule)."""
    return Exists(
        Employment.objects.filter(EffectiveDated.as_of_q(on), person=OuterRef("person_id"))
    )


def graduate_files(
    user: Any,
    on: dt.date,
    *,
    graduation_year: int | None = None,
    county_code: str = "",
    state: str = "",
) -> QuerySet[GraduateFile]:
    """Files of ``user``'s region, each with ``employed`` as of ``on`` and the number of
    support actions, newest graduates first; filtered by year, county and state when
    given. One query per page whatever the number of files."""
    rows = _files_in_scope(user).annotate(employed=_employed_on(on), actions_count=Count("actions"))
    if graduation_year:
        rows = rows.filter(graduation_year=graduation_year)
    if county_code:
        rows = rows.filter(person__county_code=county_code)
    if state == EMPLOYED:
        rows = rows.filter(employed=True)
    elif state == SEEKING:
        rows = rows.filter(employed=False)
    return rows.select_related("person").order_by("-graduation_year", "person__county_code", "pk")


def graduate_file_for(user: Any, file_id: int) -> GraduateFile:
    row = _files_in_scope(user).select_related("person").filter(pk=file_id).first()
    if row is None:
        raise PermissionRefused("view", "graduate_file", file_id)
    return row


def employment_of(row: GraduateFile, on: dt.date) -> list[Employment]:
    """The graduate's employment in force on ``on`` (``row`` from a scoped selector)."""
    return employment_in_force(row.person, on)


def state_of(row: GraduateFile, on: dt.date) -> str:
    """``employed`` when the graduate has employment in force on ``on``, else ``seeking``."""
    return EMPLOYED if employment_of(row, on) else SEEKING


def actions_of(row: GraduateFile) -> list[SupportAction]:
    """The file's support actions, newest first, with the employer (one query)."""
    return list(row.actions.select_related("employer").order_by("-taken_on", "-pk"))


@dataclass(frozen=True)
class CountyGraduates:
    """One county's graduates on a date: how many work and how many are seeking."""

    code: str
    name: str
    employed: int
    seeking: int

    @property
    def total(self) -> int:
        return self.employed + self.seeking


def graduates_by_county(
    user: Any, on: dt.date, *, graduation_year: int | None = None
) -> list[CountyGraduates]:
    """Per county of ``user``'s region with files: employed and seeking as of ``on`` (two
    queries: the grouped counts and the counties' names)."""
    rows = _files_in_scope(user)
    if graduation_year:
        rows = rows.filter(graduation_year=graduation_year)
    employed = Q(_employed_on(on))
    counts = (
        rows.order_by()
        .values("person__county_code")
        .annotate(n_employed=Count("pk", filter=employed), n_seeking=Count("pk", filter=~employed))
    )
    by_code = {c["person__county_code"]: (c["n_employed"], c["n_seeking"]) for c in counts}
    names = dict(
        Region.objects.filter(code__in=by_code, level=RegionLevel.COUNTY).values_list(
            "code", "name"
        )
    )
    return [
        CountyGraduates(code, names.get(code, code), employed, seeking)
        for code, (employed, seeking) in sorted(by_code.items())
    ]
