"""The school roster's effect on the not-enrolled follow-up list (义务教育, I08).

Registered with the exchange (``dpf.exchange.commit_hooks``) in ``ServicesConfig.ready``
and run inside the roster's commit, after the enrolments are written, so the list changes
with the roster or not at all. Set-based: a fixed number of queries per batch whatever
its size.

* A child the roster says left school (a leave date), for any reason but graduating, who is
  6-15 on the next day and holds no enrolment in force then or later, is put on the
  county's follow-up list from that day (kind "left school", reason to be found out on the
  visit), unless already on it, or this very leave was followed already (idempotent).
* A child on the list whom the roster puts (back) in school is taken off it, resolved on
  the day the enrolment covers, as an enrolment on the child's page does.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Q, QuerySet

from dpf.accounts.models import User
from dpf.core import audit
from dpf.core.dates import age_on
from dpf.exchange.models import ImportBatch, ImportRow
from dpf.registry.models import Person, SchoolEnrolment
from dpf.services.models import NotEnrolled, NotEnrolledKind, NotEnrolledReason
from dpf.services.services import SCHOOL_AGE

ONE_DAY = dt.timedelta(days=1)
# Finishing a stage of school is not leaving it: the next school's roster continues it.
NOT_FOLLOWED = {SchoolEnrolment.LeaveReason.GRADUATED}


def roster_committed(
    actor: User | None, batch: ImportBatch, rows: QuerySet[ImportRow]
) -> dict[str, int]:
    """The follow-ups a committed school roster opens and resolves, counted."""
    resolved = _resolve_enrolled(actor, batch, rows)
    opened = _open_for_leavers(actor, batch, rows)
    return {"not_enrolled_opened": opened, "not_enrolled_resolved": resolved}


def _covering(enrolments: list[SchoolEnrolment], since: dt.date) -> SchoolEnrolment | None:
    """The first enrolment in force on ``since`` or later."""
    later = [e for e in enrolments if e.valid_to is None or e.valid_to >= since]
    return min(later, key=lambda e: e.valid_from, default=None)


def _enrolments_of(persons: Any) -> dict[int, list[SchoolEnrolment]]:
    found: dict[int, list[SchoolEnrolment]] = defaultdict(list)
    for e in SchoolEnrolment.objects.filter(person_id__in=persons).only(
        "person_id", "school", "mode", "valid_from", "valid_to"
    ):
        found[e.person_id].append(e)
    return found


def _resolve_enrolled(actor: User | None, batch: ImportBatch, rows: QuerySet[ImportRow]) -> int:
    open_records = list(
        NotEnrolled.objects.select_for_update().filter(
            person_id__in=rows.values("target_id"), resolved_on__isnull=True
        )
    )
    if not open_records:
        return 0
    enrolments = _enrolments_of([r.person_id for r in open_records])
    done: list[NotEnrolled] = []
    for record in open_records:
        enrolment = _covering(enrolments[record.person_id], record.since)
        if enrolment is None:
            continue
        record.resolved_on = max(record.since, enrolment.valid_from)
        record.resolution = (
            f"学校名单（批次 {batch.pk}）：{enrolment.get_mode_display()}：{enrolment.school}"
        )[:300]
        done.append(record)
    if done:
        NotEnrolled.objects.bulk_update(done, ["resolved_on", "resolution"])
        audit.record(
            actor=actor,
            action="change",
            object_type="not_enrolled",
            object_id=batch.pk,
            changes={"import_batch": batch.pk, "resolved": sorted(r.pk for r in done)},
        )
    return len(done)


def _open_for_leavers(actor: User | None, batch: ImportBatch, rows: QuerySet[ImportRow]) -> int:
    # The enrolment the row states ends: a new one with an end, or an end moved (the date
    # the row gives, in ``new_to`` or ``close_to``).
    leavers = rows.filter(
        Q(insert_fact=True, new_to__isnull=False) | Q(insert_fact=False, close_to__isnull=False)
    ).values_list("target_id", "insert_fact", "new_to", "close_to", "values")
    candidates: dict[int, tuple[dt.date, str, str]] = {}
    for person_id, inserted, new_to, close_to, values in leavers:
        why = str(values.get("leave_reason") or "")
        left_on = new_to if inserted else close_to
        if person_id is None or left_on is None or why in NOT_FOLLOWED:
            continue
        candidates[person_id] = (left_on + ONE_DAY, why, str(values.get("school") or ""))
    if not candidates:
        return 0
    ids = list(candidates)
    persons = {
        p.pk: p
        for p in Person.objects.filter(pk__in=ids).only(
            "birth_date", "death_date", "county_code", "township_code", "village_code"
        )
    }
    enrolments = _enrolments_of(ids)
    followed = set(
        NotEnrolled.objects.filter(person_id__in=ids)
        .filter(Q(resolved_on__isnull=True) | Q(kind=NotEnrolledKind.LEFT))
        .values_list("person_id", "since", "resolved_on")
    )
    on_list = {pk for pk, _since, resolved in followed if resolved is None}
    left_before = {(pk, since) for pk, since, _resolved in followed}
    new: list[NotEnrolled] = []
    for person_id, (since, why, school) in candidates.items():
        person = persons[person_id]
        if (
            person_id in on_list
            or (person_id, since) in left_before
            or not SCHOOL_AGE[0] <= age_on(person.birth_date, since) <= SCHOOL_AGE[1]
            or (person.death_date is not None and person.death_date <= since)
            or _covering(enrolments[person_id], since) is not None
        ):
            continue
        new.append(_record(actor, batch, person, since, why, school))
    if new:
        NotEnrolled.objects.bulk_create(new)
        created = NotEnrolled.objects.filter(
            person_id__in=[r.person_id for r in new], resolved_on__isnull=True
        ).values_list("pk", flat=True)
        audit.record(
            actor=actor,
            action="create",
            object_type="not_enrolled",
            object_id=batch.pk,
            changes={"import_batch": batch.pk, "kind": "left", "opened": sorted(created)},
        )
    return len(new)


def _record(
    actor: User | None, batch: ImportBatch, person: Person, since: dt.date, why: str, school: str
) -> NotEnrolled:
    reason = (
        SchoolEnrolment.LeaveReason(why).label
        if why in SchoolEnrolment.LeaveReason.values
        else "未说明"
    )
    return NotEnrolled(
        person=person,
        kind=NotEnrolledKind.LEFT,
        # What kept the child from school is found out on the visit.
        reason=NotEnrolledReason.OTHER,
        note=f"学校名单（批次 {batch.pk}）报离校：{school}，离校原因：{reason}；原因待走访核实"[
            :300
        ],
        since=since,
        county_code=person.county_code,
        township_code=person.township_code,
        village_code=person.village_code,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
