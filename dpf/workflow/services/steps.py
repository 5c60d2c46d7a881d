"""The step machinery shared by submissions, decisions and proposals: starting a step
with its deadline in working days, recording a transition once, locking the application."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from dpf.accounts.models import User
from dpf.core.errors import NotFound
from dpf.core.workdays import add_working_days, working_days_between
from dpf.workflow.models import (
    Application,
    ApplicationItem,
    ApplicationStatus,
    ItemStatus,
    Transition,
)
from dpf.workflow.procedures import Step
from dpf.workflow.services.common import (
    AlreadyHandled,
    require_scope,
)


def start_step(item: ApplicationItem, step: Step, today: dt.date) -> None:
    item.step_code = step.code
    item.step_role = step.role
    item.step_started_on = today
    item.step_due_on = (
        add_working_days(today, step.deadline_days) if step.deadline_days is not None else None
    )


def record_transition(
    *,
    item: ApplicationItem,
    from_step: str,
    to_step: str,
    action: str,
    actor: User,
    now: dt.datetime,
    today: dt.date,
    reason: str = "",
    overdue_days: int = 0,
) -> Transition:
    """Insert the transition; a second decision of the same step is "already handled"."""
    try:
        with transaction.atomic():
            return Transition.objects.create(
                item=item,
                round=item.round,
                from_step=from_step,
                to_step=to_step,
                action=action,
                actor=actor,
                actor_role=str(getattr(actor, "role", "")),
                at=now,
                on_date=today,
                reason=reason,
                overdue_days=overdue_days,
            )
    except IntegrityError:
        raise AlreadyHandled() from None


def application_for_change(actor: User | None, application_id: int) -> Application:
    application = (
        Application.objects.select_for_update().filter(pk=application_id).select_related("person")
    ).first()
    if application is None:
        raise NotFound("application")
    require_scope(actor, application.village_code, "application", person_id=application.person_id)
    return application


def refresh_status(application: Application) -> None:
    statuses = set(application.items.values_list("status", flat=True))
    if ItemStatus.IN_PROGRESS in statuses:
        return
    application.status = (
        ApplicationStatus.WITHDRAWN
        if statuses == {ItemStatus.WITHDRAWN}
        else ApplicationStatus.DECIDED
    )
    application.save(update_fields=["status"])


def overdue_days(item: ApplicationItem, today: dt.date) -> int:
    if item.step_due_on is None or today <= item.step_due_on:
        return 0
    return min(working_days_between(item.step_due_on, today), 32767)
