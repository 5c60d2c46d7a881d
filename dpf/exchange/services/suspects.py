"""Duplicate suspects: finding them, and a worker's resolution (distinct, or merge).

A merge keeps person A and moves B's records to A, history included; B stays in the
registry with its own residence history and is recorded as merged into A on the suspect
(and in the audit log). A merge that would make two facts of the same kind overlap, or
break any other constraint, is refused as a whole: nothing moves.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Count, Q
from django.utils import timezone

from dpf.accounts.models import User
from dpf.accounts.permissions import require_permission
from dpf.core import audit
from dpf.core.inputs import refuse
from dpf.core.models import EffectiveDated
from dpf.exchange.models import DuplicateSuspect, SuspectKind, SuspectStatus
from dpf.registry.models import FactsMark, Person, Residence
from dpf.registry.services import mark_facts_changed

# Records that stay with the merged person: the residence history says where *that*
# record lived, and A has its own; each person keeps their change mark (a merge marks both).
KEEP_ON_MERGED = (Residence, FactsMark)


def duplicates_find(*, actor: User | None = None) -> int:
    """List persons sharing name, birth date and village under different ID numbers.

    One aggregate query finds the shared (name, birth date, village) keys; a second reads
    only their members. Pairs already listed are skipped by the unique constraint.
    Returns the number of new suspects.
    """
    keys = list(
        Person.objects.values_list("name", "birth_date", "village_code")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("name", "birth_date", "village_code")
    )
    suspects: list[DuplicateSuspect] = []
    for start in range(0, len(keys), 200):
        condition = Q()
        for name, birth, village in keys[start : start + 200]:
            condition |= Q(name=name, birth_date=birth, village_code=village)
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for person in (
            Person.objects.filter(condition)
            .order_by("name", "birth_date", "village_code", "pk")
            .values("pk", "name", "birth_date", "county_code", "township_code", "village_code")
        ):
            key = (person["name"], person["birth_date"], person["village_code"])
            groups.setdefault(key, []).append(dict(person))
        suspects += [
            DuplicateSuspect(
                kind=SuspectKind.SAME_PERSON,
                person_a_id=members[0]["pk"],
                person_b_id=other["pk"],
                county_code=other["county_code"],
                township_code=other["township_code"],
                village_code=other["village_code"],
            )
            for members in groups.values()
            for other in members[1:]
        ]
    if not suspects:
        return 0
    listed = DuplicateSuspect.objects.filter(kind=SuspectKind.SAME_PERSON)
    before = listed.count()
    DuplicateSuspect.objects.bulk_create(suspects, batch_size=1000, ignore_conflicts=True)
    return listed.count() - before


def _person_relations() -> list[tuple[type[models.Model], str]]:
    relations = []
    for rel in Person._meta.related_objects:
        if rel.many_to_many or rel.related_model in KEEP_ON_MERGED:
            continue
        model = rel.related_model
        if isinstance(model, str):  # pragma: no cover (lazy references are resolved by now)
            continue
        relations.append((model, rel.field.name))
    return relations


def _overlapping_fact(model: type[models.Model], field: str, keep: Person, gone: Person) -> bool:
    """Would moving ``gone``'s facts of ``model`` to ``keep`` overlap one of keep's?"""
    keys = [
        f.name
        for f in model._meta.concrete_fields
        if f.name != field
        and (f.name == "kind" or (isinstance(f, models.ForeignKey) and f.related_model is Person))
    ]
    columns = ("valid_from", "valid_to", *keys)
    manager = model._default_manager
    mine = list(manager.filter(**{field: keep}).values_list(*columns))
    for start, end, *key in manager.filter(**{field: gone}).values_list(*columns):
        for other_start, other_end, *other_key in mine:
            if key != other_key:
                continue
            if (end is None or end >= other_start) and (other_end is None or other_end >= start):
                return True
    return False


def _merge(keep: Person, gone: Person) -> dict[str, int]:
    moved: dict[str, int] = {}
    for model, field in _person_relations():
        label = str(model._meta.verbose_name)
        records = model._default_manager.filter(**{field: gone})
        if not records.exists():
            continue
        if issubclass(model, EffectiveDated) and _overlapping_fact(model, field, keep, gone):
            raise refuse(
                "merge_overlap",
                f"无法合并：两人的“{label}”记录时间重叠，请先核对修正",
                f"cannot merge: both records hold overlapping “{model._meta.model_name}” facts",
                "resolution",
            )
        try:
            with transaction.atomic():
                moved[model._meta.label] = records.update(**{field: keep})
        except IntegrityError:
            raise refuse(
                "merge_conflict",
                f"无法合并：两人的“{label}”记录冲突，请先核对修正",
                f"cannot merge: the “{model._meta.model_name}” records conflict",
                "resolution",
            ) from None
    return moved


@transaction.atomic
def suspect_resolve(
    *, actor: User | None, suspect: DuplicateSuspect, resolution: str
) -> DuplicateSuspect:
    """``distinct``: not the same person. ``merge``: the same person (for a roster row
    with a wrong check character: confirmed, the department is to correct its number)."""
    # County and city staff: they change persons and run the exchange (village workers
    # change persons but do not merge records).
    require_permission(actor, "change", "person")
    require_permission(actor, "import", "roster")
    suspect = DuplicateSuspect.objects.select_for_update().get(pk=suspect.pk)
    if suspect.status != SuspectStatus.OPEN:
        raise refuse(
            "already_resolved", "该疑似重复已处理", "this suspect is already resolved", "resolution"
        )
    changes: dict[str, Any] = {"kind": suspect.kind, "resolution": resolution}
    if resolution == "distinct":
        suspect.status = SuspectStatus.DISTINCT
    elif resolution == "merge":
        if suspect.kind == SuspectKind.SAME_PERSON and suspect.person_b_id is not None:
            locked = list(
                Person.objects.select_for_update()
                .filter(pk__in=[suspect.person_a_id, suspect.person_b_id])
                .order_by("pk")
            )
            by_pk = {p.pk: p for p in locked}
            keep, gone = by_pk[suspect.person_a_id], by_pk[suspect.person_b_id]
            changes["merged_person"] = gone.pk
            changes["moved"] = _merge(keep, gone)
            mark_facts_changed([keep.pk, gone.pk])
        suspect.status = SuspectStatus.MERGED
    else:
        raise refuse("resolution", "处理方式无效", "unknown resolution", "resolution")
    suspect.resolved_by = actor
    suspect.resolved_at = timezone.now()
    suspect.save(update_fields=["status", "resolved_by", "resolved_at"])
    audit.record(
        actor=actor,
        action="merge" if suspect.status == SuspectStatus.MERGED else "change",
        object_type="person",
        object_id=suspect.person_a_id,
        changes=changes,
    )
    return suspect
