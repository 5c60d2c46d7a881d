"""What the apps above the exchange do when a roster of theirs is committed.

Imports point down, so an app above (``dpf.services``: a school roster's leavers put on the
not-enrolled follow-up list) registers here, in its ``ready()``, a function run inside the
commit's transaction after the facts are written: whatever it writes is committed with the
roster or not at all. It is given the rows that changed the registry and answers counts
that are added to the batch's (``batch.counts``, shown on the reconciliation page).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from dpf.exchange.rostertypes import Target

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from dpf.accounts.models import User
    from dpf.exchange.models import ImportBatch, ImportRow

Hook = Callable[["User | None", "ImportBatch", "QuerySet[ImportRow]"], dict[str, int]]
_HOOKS: dict[Target, dict[str, Hook]] = {}


def register(target: Target, name: str, hook: Hook) -> None:
    """An app above the exchange says what a committed roster of ``target`` also does."""
    _HOOKS.setdefault(target, {})[name] = hook


def after_commit(
    target: Target, actor: User | None, batch: ImportBatch, rows: QuerySet[ImportRow]
) -> dict[str, int]:
    """Run the hooks of ``target`` (in registration order); their counts, merged."""
    counts: dict[str, int] = {}
    for hook in _HOOKS.get(target, {}).values():
        counts.update(hook(actor, batch, rows))
    return counts
