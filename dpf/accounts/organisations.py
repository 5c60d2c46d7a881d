"""Organisations that have their own accounts: service institutions, employers and partner
departments (民政, 人社, 医保, 教育, 卫健, 退役军人).

An account of such an organisation carries its code (``User.institution_code``) and is
placed in the organisation's county. The institutions and employers are kept by the apps
above this one (``dpf.services``, ``dpf.employment``), which register how their
organisations are found (imports point down); the partner departments are a fixed list
here, one per department and region (a county's 民政局 is the civil-affairs department
bound to that county).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from dpf.core.roles import Role

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Organisation:
    code: str
    name: str
    county_code: str  # "" for a department: it sits in the account's own region


# code -> name: one account role per kind of organisation.
PARTNER_DEPARTMENTS: dict[str, StrOrPromise] = {
    "civil_affairs": _("民政部门"),
    "human_resources": _("人力资源和社会保障部门"),
    "medical_insurance": _("医疗保障部门"),
    "education": _("教育部门"),
    "health": _("卫生健康部门"),
    "veterans": _("退役军人事务部门"),
}

# role -> (find one by code, list those under a region prefix)
Find = Callable[[str], Organisation | None]
Within = Callable[[str], list[Organisation]]
_SOURCES: dict[str, tuple[Find, Within]] = {}


def register(role: Role | str, *, find: Find, within: Within) -> None:
    """An app above accounts says how the organisations of ``role``'s accounts are found."""
    _SOURCES[str(role)] = (find, within)


def _department(code: str) -> Organisation | None:
    name = PARTNER_DEPARTMENTS.get(code)
    return Organisation(code, str(name), "") if name is not None else None


def _departments(prefix: str) -> list[Organisation]:
    return [Organisation(code, str(name), "") for code, name in PARTNER_DEPARTMENTS.items()]


register(Role.DEPARTMENT_EXCHANGE, find=_department, within=_departments)


def kinds() -> frozenset[str]:
    """The roles whose accounts belong to an organisation."""
    return frozenset(_SOURCES)


def find(role: str, code: str) -> Organisation | None:
    source = _SOURCES.get(str(role))
    return source[0](code) if source is not None and code else None


def within(role: str, prefix: str) -> list[Organisation]:
    """The organisations of ``role``'s kind under a region prefix ("1504", "150402")."""
    source = _SOURCES.get(str(role))
    return source[1](prefix) if source is not None else []
