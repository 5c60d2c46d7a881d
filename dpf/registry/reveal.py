""" "Show in full" (显示完整信息): one person's unmasked ID number, phone and address.

Pages show masked values; a user whose role holds ``reveal`` may see one person's values
in full after stating why. The reason and the fact of the look are written to the audit
log before anything is returned; a person outside the user's scope is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused, require_permission
from dpf.accounts.scoping import scope_queryset
from dpf.core import audit
from dpf.core.errors import ValidationFailed
from dpf.core.logging import redact
from dpf.core.text import check_text_characters
from dpf.registry.models import Person

REASON_MIN = 4
REASON_MAX = 300
FIELDS = ("id_number", "phone", "address")


@dataclass(frozen=True)
class RevealedPerson:
    person_id: int
    name: str
    id_number: str
    phone: str
    address: str


def clean_reason(raw: str) -> str:
    check_text_characters(
        raw or "", field="reason", label_zh="理由", label_en="reason", multiline=True
    )
    reason = " ".join((raw or "").split())
    if len(reason) < REASON_MIN:
        raise ValidationFailed(
            "reveal_reason",
            f"请填写查看完整信息的理由（至少{REASON_MIN}个字）",
            f"state why you need the full values (at least {REASON_MIN} characters)",
            field="reason",
        )
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            "reveal_reason_long",
            f"理由不能超过{REASON_MAX}个字",
            f"the reason is longer than {REASON_MAX} characters",
            field="reason",
        )
    # A reason must not become a second copy of the data it unlocks.
    return redact(reason)


def reveal_person(
    *, actor: User | None, person_id: int, reason: str, request: HttpRequest | None = None
) -> RevealedPerson:
    """The full values of one person in ``actor``'s scope; audited as ``reveal``."""
    require_permission(actor, "reveal", "person", person_id)
    cleaned = clean_reason(reason)
    person = (
        scope_queryset(actor, Person.objects.select_related("household"))
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        raise PermissionRefused("reveal", "person", person_id)
    audit.record(
        actor=actor,
        action="reveal",
        object_type="person",
        object_id=person.pk,
        changes={"fields": list(FIELDS)},
        reason=cleaned,
        request=request,
    )
    return RevealedPerson(
        person_id=person.pk,
        name=person.name,
        id_number=person.id_number,
        phone=person.phone,
        address=person.household.address if person.household else "",
    )
