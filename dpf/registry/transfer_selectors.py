"""Transfer requests (迁移申请) waiting for the receiving region: the list and the one to
decide, in the user's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from dpf.accounts.scoping import region_filter
from dpf.core.errors import NotFound
from dpf.core.regions import display_names
from dpf.registry.models import (
    TransferRequest,
    TransferStatus,
)

# --- transfer requests (迁移申请) ---------------------------------------------------------

TRANSFERS_SHOWN = 200


@dataclass(frozen=True)
class TransferRow:
    """A pending transfer request as the holding region's officer sees it."""

    pk: int
    person_id: int
    person_name: str
    id_number_masked: str
    name_given: str
    holding_village: str
    requested_village: str
    requested_by: str
    created_at: dt.datetime

    @property
    def name_matches(self) -> bool:
        return self.name_given.replace(" ", "") == self.person_name.replace(" ", "")


def _transfers_in_scope(user: Any) -> QuerySet[TransferRequest]:
    condition = region_filter(user, "person__")
    if condition is None:
        return TransferRequest.objects.none()
    return TransferRequest.objects.filter(condition)


def pending_transfer_requests(user: Any) -> list[TransferRow]:
    """The oldest pending transfer requests of persons in the user's scope (two queries:
    the requests with their persons and requesters, then the villages' names)."""
    rows = list(
        _transfers_in_scope(user)
        .filter(status=TransferStatus.PENDING)
        .order_by("created_at", "pk")
        .values(
            "pk",
            "person_id",
            "person__name",
            "person__id_number_masked",
            "person__village_code",
            "name_given",
            "requested_village_code",
            "requested_by__username",
            "created_at",
        )[:TRANSFERS_SHOWN]
    )
    names = display_names(
        [r["person__village_code"] for r in rows] + [r["requested_village_code"] for r in rows]
    )
    return [
        TransferRow(
            pk=r["pk"],
            person_id=r["person_id"],
            person_name=r["person__name"],
            id_number_masked=r["person__id_number_masked"],
            name_given=r["name_given"],
            holding_village=names.get(r["person__village_code"], r["person__village_code"]),
            requested_village=names.get(r["requested_village_code"], r["requested_village_code"]),
            requested_by=r["requested_by__username"] or "",
            created_at=r["created_at"],
        )
        for r in rows
    ]


def transfer_request_for_decision(user: Any, transfer_id: int) -> TransferRequest:
    """A transfer request of a person in the user's scope; ``NotFound`` otherwise."""
    transfer = _transfers_in_scope(user).filter(pk=transfer_id).first()
    if transfer is None:
        raise NotFound("transfer request")
    return transfer
