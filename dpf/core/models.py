"""Shared kernel models: the region tree, the effective-dated base, the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dpf.core.i18n import localised


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("旗县区")
    TOWNSHIP = "township", _("苏木乡镇街道")
    VILLAGE = "village", _("嘎查村社区")


LEVEL_CODE_LENGTH = {
    RegionLevel.PROVINCE: 6,
    RegionLevel.CITY: 6,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
}


def starts_with_q(column: str, prefix: str) -> Q:
    """``column`` starts with ``prefix`` (of digits or lowercase letters), as a range both
    databases answer from the column's B-tree index: ``startswith`` is a LIKE that SQLite
    runs case-insensitively and so cannot use a case-sensitive index."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{column}__gte": prefix, f"{column}__lt": upper})


def region_prefix(code: str) -> str:
    """Prefix shared by the codes of every region under ``code``.

    ``150400`` (city) → ``1504``; ``150000`` (province) → ``15``; township and village
    codes are their own prefix.
    """
    if len(code) != 6:
        return code
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


class Region(models.Model):
    """A node of the administrative tree, keyed by its GB/T 2260 / statistical code."""

    code = models.CharField(_("代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    level = models.CharField(_("层级"), max_length=10, choices=RegionLevel.choices)
    kind = models.CharField(_("类型"), max_length=20, blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    synthetic = models.BooleanField(
        _("虚构名称"), default=False, help_text=_("名称为演示数据虚构 / name invented for the demo")
    )

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"], name="region_parent_code")]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the request's language (English when there is one)."""
        return localised(self.name, self.name_en)

    @property
    def prefix(self) -> str:
        return region_prefix(self.code)

    @property
    def county_code(self) -> str:
        return self.code[:6]


class EffectiveDated(models.Model):
    """A fact true over ``[valid_from, valid_to]`` (both inclusive; open end = still true).

    ``source`` says who or what said so (a worker, a roster import, the scan). Intervals of
    the same fact never overlap: an exclusion constraint on PostgreSQL, the service layer
    under a write lock on SQLite.
    """

    valid_from = models.DateField(_("起始日期"))
    valid_to = models.DateField(_("截止日期"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=100, default="manual")
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        abstract = True

    @staticmethod
    def as_of_q(date: dt.date, prefix: str = "") -> Q:
        """Filter for facts in force on ``date`` (``prefix`` for a related path)."""
        return Q(**{f"{prefix}valid_from__lte": date}) & (
            Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": date})
        )

    @staticmethod
    def turning_q(first: dt.date, second: dt.date) -> Q:
        """Facts in force on exactly one of two dates (``first`` < ``second``): starting
        after ``first`` and by ``second``, or ending from ``first`` to the day before
        ``second`` (``dpf.rules.boundaries``)."""
        return Q(valid_from__gt=first, valid_from__lte=second) | Q(
            valid_to__gte=first, valid_to__lt=second
        )

    def in_force_on(self, date: dt.date) -> bool:
        return self.valid_from <= date and (self.valid_to is None or self.valid_to >= date)


def check_interval(valid_from: dt.date, valid_to: dt.date | None, field: str = "valid_to") -> None:
    """Refuse an effective-dated period that ends before it starts (both ends inclusive)."""
    from dpf.core.errors import ValidationFailed

    if valid_to is not None and valid_to < valid_from:
        raise ValidationFailed(
            "date_range",
            "截止日期早于起始日期",
            "the end date is before the start date",
            field=field,
        )


def overlapping(
    queryset: models.QuerySet[Any], valid_from: dt.date, valid_to: dt.date | None
) -> bool:
    """Does any row of ``queryset`` overlap ``[valid_from, valid_to]`` (inclusive)? The
    service-layer overlap check on both databases (PostgreSQL adds exclusion constraints)."""
    q = queryset.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
    if valid_to is not None:
        q = q.filter(valid_from__lte=valid_to)
    return q.exists()


def valid_interval_check(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
        name=name,
        violation_error_message=_("截止日期早于起始日期 / end date before start date"),
    )


class AuditEntry(models.Model):
    """Append-only, hash-chained record of every view, change, export and login.

    ``entry_hash`` = SHA-256 of the previous entry's hash and this entry's content, so an
    edited or deleted entry breaks the chain (``dpf audit verify``). On PostgreSQL a
    trigger refuses UPDATE and DELETE.
    """

    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    actor_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=30, blank=True)
    region_code = models.CharField(max_length=12, blank=True)
    action = models.CharField(max_length=30, db_index=True)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    client_address = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"


class CalendarDay(models.Model):
    """A public holiday or an adjusted working weekend day (调休), loaded per year as data.

    Days not listed follow the week: Monday to Friday work, Saturday and Sunday rest.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("法定节假日")
        WORKDAY = "workday", _("调休上班")

    date = models.DateField(primary_key=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class AuditAnchor(models.Model):
    """Where the audit chain starts after ``dpf audit prune`` removed its oldest entries.

    The first remaining entry's ``prev_hash`` must equal the newest anchor's
    ``last_pruned_hash`` (or the genesis hash when nothing was ever pruned), so verifying
    still catches an entry deleted or edited at the start of the kept log. Append-only
    like the log itself (a PostgreSQL trigger refuses UPDATE and DELETE).
    """

    created_at = models.DateTimeField()
    pruned_before = models.DateField()
    last_pruned_id = models.BigIntegerField()
    last_pruned_hash = models.CharField(max_length=64)
    entries_pruned = models.PositiveIntegerField()
    actor_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.pruned_before} #{self.last_pruned_id}"
