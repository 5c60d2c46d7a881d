"""The pages to scan, read from Django's URL resolver: every declared route, one role each.

A route with parameters is scanned only when ``OBJECT_ROUTES`` says how to build them from
the seeded registry; the others are listed (``unscannable``) so docs and reports can say so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from dpf.core.access import declaration_of
from dpf.core.roles import Role
from tests.e2e.data import Registry

# Which role looks at a page when several may: staff with data in scope first.
ROLE_PREFERENCE = [
    Role.COUNTY_OFFICER,
    Role.TOWNSHIP_OFFICER,
    Role.VILLAGE_WORKER,
    Role.CITY_ADMIN,
    Role.CITIZEN,
    Role.INSTITUTION_STAFF,
    Role.EMPLOYER,
    Role.VOLUNTEER,
    Role.DEPARTMENT_EXCHANGE,
    Role.VIEWER,
]


def _application(data: Registry) -> dict[str, Any]:
    """An application of the first seeded person, submitted once at the county window."""
    if "application" not in data.samples:
        from dpf.workflow import services

        data.samples["application"] = services.application_submit(
            actor=data.user("county_officer"),
            person=data.people[0],
            benefit_codes=["living_allowance", "nursing_allowance"],
            applicant_kind="worker",
            channel="window",
        ).pk
    return {"pk": data.samples["application"]}


# Route name -> URL keyword arguments built from the seeded registry.
OBJECT_ROUTES: dict[str, Callable[[Registry], dict[str, Any]]] = {
    "registry:person": lambda d: {"person_id": d.people[0].pk},
    "registry:certificate_new": lambda d: {"person_id": d.people[0].pk},
    "registry:household": lambda d: {"household_id": d.people[0].household_id},
    # I07: medical insurance among certified people; its list is made of persons.
    "indicators:indicator": lambda d: {"code": "I07"},
    "indicators:drilldown": lambda d: {"code": "I07"},
    "workflow:application": _application,
    "workflow:notice": _application,
    "workflow:proposal_confirm": _application,
}

# Not pages of the platform: machine-readable answers, the API and its generated docs.
SKIPPED_PREFIXES = ("api/", "i18n/", "static/", "media/")


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    route: str  # the pattern text, e.g. "registry/person/<int:pk>/"
    public: bool
    roles: frozenset[str]
    has_parameters: bool

    @property
    def role(self) -> str | None:
        """The role that scans the page (None: anonymous, for a public page)."""
        if self.public:
            return None
        for role in ROLE_PREFERENCE:
            if role in self.roles:
                return str(role)
        return sorted(self.roles)[0] if self.roles else None

    def __str__(self) -> str:
        return self.name or self.route


def _walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace else (entry.namespace or "")
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            declared = declaration_of(entry.callback)
            if declared is None:
                continue  # tests/core checks that every route declares its access
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            yield Route(
                name=name,
                route=prefix + str(entry.pattern),
                public=bool(declared.get("public")),
                roles=frozenset(str(r) for r in declared.get("roles", ())),
                has_parameters=bool(entry.pattern.converters) or "(?P<" in str(entry.pattern),
            )


def all_routes() -> list[Route]:
    routes = [r for r in _walk(get_resolver(), "", "") if not r.route.startswith(SKIPPED_PREFIXES)]
    return sorted(routes, key=lambda r: r.route)


def scannable() -> list[Route]:
    return [r for r in all_routes() if not r.has_parameters or r.name in OBJECT_ROUTES]


def unscannable() -> list[Route]:
    return [r for r in all_routes() if r.has_parameters and r.name not in OBJECT_ROUTES]
