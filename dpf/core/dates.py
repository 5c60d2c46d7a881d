"""The one owner of the platform's date helpers.

``local_today`` is the calendar date in the installation's time zone (Asia/Shanghai), the
"today" of every page and service that is not given a date; nothing calls
``date.today()`` (the machine's zone) instead. ``age_on`` is the age in completed years
(周岁) that the rules, the pages and the demo all use.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def local_today() -> dt.date:
    """Today in the installation's time zone (``TIME_ZONE``, Asia/Shanghai)."""
    return timezone.localdate()


def age_on(birth: dt.date, on: dt.date) -> int:
    """Completed years (周岁) from ``birth`` to ``on``; negative before the birth, so a rule
    such as ``age >= 0 && age < 8`` never takes in a person not yet born."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
