"""Care placements recorded before services/0008 kept their monthly subsidy on the placement
only, and no payment list paid it. Each such placement with a subsidy above 0 now holds the
catalogue's care benefit (``care_service``) for its days at that amount, as
``workflow.entitlement_grant`` writes it (a decided amount, a "created" event naming the
placement; ended early: terminated from the day after, with its event). The payment lists
generated from now on pay the months not yet paid; no arrears are added for the months
before (as for any entitlement not approved through an application).

A placement is left without one, as the service would refuse it, when the person already
holds ``care_service`` on any of its days, or when the catalogue has no ``care_service`` in
use. Frozen: reads only the database, through the historical models.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import migrations
from django.db.models import Q
from django.utils import timezone

CARE_BENEFIT = "care_service"
DAY = dt.timedelta(days=1)


def pay_recorded_subsidies(apps: Any, schema_editor: Any) -> None:
    benefit_item = apps.get_model("benefits", "BenefitItem")
    entitlement_model = apps.get_model("benefits", "Entitlement")
    event_model = apps.get_model("workflow", "EntitlementEvent")
    placement_model = apps.get_model("services", "CarePlacement")
    person_model = apps.get_model("registry", "Person")
    benefit = benefit_item.objects.filter(code=CARE_BENEFIT, active=True).first()
    if benefit is None:
        return
    now = timezone.now()
    changed: list[int] = []
    placements = placement_model.objects.filter(
        monthly_subsidy__gt=0, entitlement__isnull=True
    ).order_by("pk")
    for placement in placements:
        last_day = placement.ended_on or placement.end
        held = (
            entitlement_model.objects.filter(
                person_id=placement.person_id, benefit=benefit, valid_from__lte=last_day
            )
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=placement.start))
            .exists()
        )
        if held:
            continue
        ended_early = placement.ended_on is not None and placement.ended_on < placement.end
        source = f"care_placement:{placement.pk}"
        entitlement = entitlement_model.objects.create(
            person_id=placement.person_id,
            benefit=benefit,
            status="terminated" if ended_early else "active",
            valid_from=placement.start,
            valid_to=last_day,
            monthly_amount=placement.monthly_subsidy,
            amount_fixed=True,
            source=source,
            status_reason=(
                f"其他：托养安置结束 / care placement ended: {placement.end_reason}"[:300]
                if ended_early
                else "核定 / decided"
            ),
        )
        events = [("created", "", "active", placement.start, "approved", "")]
        if ended_early:
            events.append(
                ("terminated", "active", "terminated", last_day + DAY, "other", "托养安置结束")
            )
        for kind, from_status, to_status, on, reason_code, reason in events:
            event_model.objects.create(
                entitlement=entitlement,
                person_id=placement.person_id,
                benefit=benefit,
                kind=kind,
                from_status=from_status,
                to_status=to_status,
                on=on,
                reason_code=reason_code,
                reason=reason,
                source=source,
                actor_id=placement.created_by_id,
                at=now,
            )
        placement.entitlement = entitlement
        placement.save(update_fields=["entitlement"])
        changed.append(placement.person_id)
    if changed:
        person_model.objects.filter(pk__in=changed).update(facts_changed_at=now)


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0008_care_placement_subsidy_entitlement"),
        ("workflow", "0006_payment_list_drafted_by_schedule"),
    ]

    operations = [
        migrations.RunPython(pay_recorded_subsidies, migrations.RunPython.noop),
    ]
