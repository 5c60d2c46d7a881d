"""The one place where a user's scope becomes a filter on personal data.

Selectors never reach persons, households or certificates except through these
functions. A user outside every scope gets an empty queryset (deny by default).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from dpf.core.models import Region, RegionLevel, region_prefix
from dpf.core.regions import under_q
from dpf.core.roles import Role

M = TypeVar("M", bound=Model)


def region_filter(user: Any, prefix: str = "") -> Q | None:
    """A filter on ``{prefix}county_code/township_code/village_code`` for ``user``.

    ``None`` means "nothing": the user may not see personal records at all.
    """
    role = getattr(user, "role", None)
    region = getattr(user, "region", None)
    if not getattr(user, "is_authenticated", False) or region is None:
        return None
    if role not in (
        Role.CITY_ADMIN,
        Role.COUNTY_OFFICER,
        Role.TOWNSHIP_OFFICER,
        Role.VILLAGE_WORKER,
    ):
        return None
    return _under_region(region, prefix)


def _under_region(region: Any, prefix: str) -> Q:
    level = region.level
    if level in (RegionLevel.PROVINCE, RegionLevel.CITY):
        return Q(**{f"{prefix}county_code__startswith": region.prefix})
    if level == RegionLevel.COUNTY:
        return Q(**{f"{prefix}county_code": region.code})
    if level == RegionLevel.TOWNSHIP:
        return Q(**{f"{prefix}township_code": region.code})
    return Q(**{f"{prefix}village_code": region.code})


def regions_to_pick(user: Any, levels: Iterable[str] | None = None) -> QuerySet[Region]:
    """The regions a form or a filter offers ``user`` to pick: their own region and those
    under it (of ``levels``, every level when ``None``), in code order; none for a user
    without a region (deny by default). Every picker starts here, so they cannot drift
    apart; what the user may then do in the region picked is the service's check
    (``region_in_scope``, the permission table)."""
    region = getattr(user, "region", None)
    if region is None:
        return Region.objects.none()
    rows = Region.objects.filter(under_q(region.code))
    if levels is not None:
        rows = rows.filter(level__in=list(levels))
    return rows.order_by("code")


def roster_match_filter(user: Any, prefix: str = "") -> Q | None:
    """Which registered persons a roster uploaded by ``user`` may be matched against
    (``None``: nobody). A partner department's account matches within the region it is
    bound to, without seeing those persons anywhere else; staff within their own scope."""
    if getattr(user, "role", None) == Role.DEPARTMENT_EXCHANGE:
        region = getattr(user, "region", None)
        if region is None or not getattr(user, "is_active", False):
            return None
        return _under_region(region, prefix)
    return region_filter(user, prefix)


def scope_queryset(user: Any, queryset: QuerySet[M], prefix: str = "") -> QuerySet[M]:
    """Restrict ``queryset`` (of a model with region code columns at ``prefix``)."""
    condition = region_filter(user, prefix)
    if condition is None:
        return queryset.none()
    return queryset.filter(condition)


def region_in_scope(user: Any, region_code: str) -> bool:
    """May ``user`` place a record in the region ``region_code`` (e.g. a form's village)?"""
    region = getattr(user, "region", None)
    if region is None or getattr(user, "role", None) not in (
        Role.CITY_ADMIN,
        Role.COUNTY_OFFICER,
        Role.TOWNSHIP_OFFICER,
        Role.VILLAGE_WORKER,
    ):
        return False
    return region_code.startswith(region.prefix)


def institution_filter(user: Any, prefix: str = "") -> Q | None:
    """A filter on ``{prefix}institution__code`` for an active institution staff user: the
    clients of their own institution only. ``None`` (nothing) for every other user and for
    an institution user without an institution (deny by default)."""
    if (
        not getattr(user, "is_authenticated", False)
        or not getattr(user, "is_active", False)
        or getattr(user, "role", None) != Role.INSTITUTION_STAFF
    ):
        return None
    code = getattr(user, "institution_code", "") or ""
    if not code:
        return None
    return Q(**{f"{prefix}institution__code": code})


def service_filter(user: Any, prefix: str = "") -> Q | None:
    """Which service records (of a model with an ``institution`` and region code columns at
    ``prefix``) ``user`` may see: institution staff their institution's, region staff their
    region's; ``None``: none at all."""
    if getattr(user, "role", None) == Role.INSTITUTION_STAFF:
        return institution_filter(user, prefix)
    return region_filter(user, prefix)


def scope_services(user: Any, queryset: QuerySet[M], prefix: str = "") -> QuerySet[M]:
    """Restrict ``queryset`` of service records to ``service_filter``."""
    condition = service_filter(user, prefix)
    if condition is None:
        return queryset.none()
    return queryset.filter(condition)


# --- aggregate figures (the indicator pages) --------------------------------------------------


def indicator_root(user: Any) -> str | None:
    """The region under which ``user`` may read aggregate figures (indicators); ``None``:
    none at all (deny by default), ``""``: every region.

    Region staff read their own region and everything under it; a village worker, whose
    village has no figures of its own (indicators are computed down to townships), reads
    the township of the village. Viewers (leaders, the public: aggregates only) read every
    region, always with small cells suppressed (``region_persons_in_scope`` is false for
    them). Every other role reads none.
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return None
    role = getattr(user, "role", None)
    if role == Role.VIEWER:
        return ""
    region = getattr(user, "region", None)
    if region is None or role not in (
        Role.CITY_ADMIN,
        Role.COUNTY_OFFICER,
        Role.TOWNSHIP_OFFICER,
        Role.VILLAGE_WORKER,
    ):
        return None
    if region.level == RegionLevel.VILLAGE:
        return str(region.parent_id or "") or None
    return str(region.code)


def indicator_region_in_scope(user: Any, region_code: str) -> bool:
    """May ``user`` read the aggregate figures of ``region_code`` (e.g. ``?region=``)?"""
    root = indicator_root(user)
    if root is None:
        return False
    return region_code.startswith(region_prefix(root)) if root else True


def region_persons_in_scope(user: Any, region_code: str) -> bool:
    """Is ``user`` entitled to every person behind a figure of ``region_code``, i.e. does
    their personal-data scope cover the whole region? Only then may they see its small
    counts unsuppressed (a village worker is not, for their township; a viewer never is)."""
    return region_in_scope(user, region_code)


# --- the "self" scope of citizens (the portal) ------------------------------------------------

SelfScope = Callable[[Any], frozenset[int]]
_self_scope: SelfScope | None = None


def register_self_scope(resolver: SelfScope) -> None:
    """The portal registers how a citizen's persons are found (self + current dependants);
    this module cannot import the portal (imports point down)."""
    global _self_scope
    _self_scope = resolver


def self_person_ids(user: Any) -> frozenset[int]:
    """The persons a citizen user acts for; empty for every other role (deny by default)."""
    if (
        not getattr(user, "is_authenticated", False)
        or getattr(user, "role", None) != Role.CITIZEN
        or _self_scope is None
    ):
        return frozenset()
    return _self_scope(user)


OwnPerson = Callable[[Any], int | None]
_own_person: OwnPerson | None = None


def register_own_person(resolver: OwnPerson) -> None:
    """The portal registers how a citizen's own person is found (never a dependant)."""
    global _own_person
    _own_person = resolver


def own_person_id(user: Any) -> int | None:
    """The citizen's own person (not a dependant): what only the citizen may do for
    themself, such as registering as a volunteer. ``None`` for every other user."""
    if (
        not getattr(user, "is_authenticated", False)
        or not getattr(user, "is_active", False)
        or getattr(user, "role", None) != Role.CITIZEN
        or _own_person is None
    ):
        return None
    return _own_person(user)


def person_in_scope(user: Any, *, person_id: int, village_code: str) -> bool:
    """May ``user`` act on this person's records? Citizens: their own persons; staff: the
    region (exactly ``region_in_scope``)."""
    if getattr(user, "role", None) == Role.CITIZEN:
        return person_id in self_person_ids(user)
    return region_in_scope(user, village_code)


# --- employers (the quota review) -------------------------------------------------------------


def employer_credit_code(user: Any) -> str | None:
    """The credit code of the firm an active ``employer`` account acts for; ``None`` for
    every other user and for an employer account bound to no firm (deny by default)."""
    if (
        not getattr(user, "is_authenticated", False)
        or not getattr(user, "is_active", False)
        or getattr(user, "role", None) != Role.EMPLOYER
    ):
        return None
    return getattr(user, "institution_code", "") or None


def employer_filter(user: Any, prefix: str = "") -> Q | None:
    """Which employers (or their records, at ``prefix``: ``employer__``) ``user`` may see: an
    employer account its own firm only; the city's and a county's staff the employers of
    their region (by ``county_code``); ``None``: none at all."""
    code = employer_credit_code(user)
    if code is not None:
        return Q(**{f"{prefix}credit_code": code})
    region = getattr(user, "region", None)
    if (
        not getattr(user, "is_authenticated", False)
        or not getattr(user, "is_active", False)
        or region is None
        or getattr(user, "role", None) not in (Role.CITY_ADMIN, Role.COUNTY_OFFICER)
        or region.level not in (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)
    ):
        return None
    return Q(**{f"{prefix}county_code__startswith": region.prefix})


def scope_employer_records(user: Any, queryset: QuerySet[M], *, own: str = "") -> QuerySet[M]:
    """Restrict employers (``own=""``) or declarations and credit flags (``own="employer__"``)
    to what ``user`` may see: an employer's firm by its code; staff by the record's own
    ``county_code``."""
    code = employer_credit_code(user)
    if code is not None:
        return queryset.filter(**{f"{own}credit_code": code})
    condition = employer_filter(user)
    if condition is None:
        return queryset.none()
    return queryset.filter(condition)
