"""Counts of the workflow's records for the plan's indicators (registered by the
indicators app): T0604, the share of benefit items handled online (惠残事项网上办理比例).

An item is handled online when its application came in through the portal (``online``) or
was proposed by the platform and confirmed without a visit (``proactive``, 免申即享); the
window, the phone and home visits are not. Items are counted in the year of ``as_of`` up to
that date (or from a cumulative indicator's plan start), by the township of the person when
the application was made. Proposals never confirmed are not applications and not counted.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from dpf.workflow.models import ApplicationItem, Channel

ONLINE_CHANNELS = (Channel.ONLINE, Channel.PROACTIVE)


def _items(as_of: dt.date, start: dt.date | None) -> Q:
    zone = timezone.get_current_timezone()
    since = start or dt.date(as_of.year, 1, 1)
    begin = dt.datetime.combine(since, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return Q(application__submitted_at__gte=begin, application__submitted_at__lt=end)


def _by_township(condition: Q) -> dict[str, int]:
    rows = (
        ApplicationItem.objects.filter(condition)
        .values("application__township_code")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["application__township_code"]: r["n"] for r in rows}


def items_submitted(as_of: dt.date, start: dt.date | None) -> dict[str, int]:
    """Benefit items of applications submitted in the period (T0604's denominator)."""
    return _by_township(_items(as_of, start))


def items_online(as_of: dt.date, start: dt.date | None) -> dict[str, int]:
    """Of those, the items that came in online or proactively (T0604's numerator)."""
    return _by_township(_items(as_of, start) & Q(application__channel__in=ONLINE_CHANNELS))


RECORD_COUNTERS = {
    "application_item": items_submitted,
    "application_item_online": items_online,
}
