"""No route without a rule, and the authorisation matrix: every route × every role.

The routes come from Django's URL resolver, so a new page is tested the moment it is
added. Expectations come from each route's declaration (``@allow``/``@public``) and from
the scope specification in ``tests/security/routes.py`` (which sample person each role
may see), never from the code under test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client, override_settings

from dpf.accounts.permissions import (
    PERMISSIONS,
    PERSONAL_OBJECT_TYPES,
    Action,
    ObjectType,
    Scope,
    roles_with,
)
from dpf.core.models import AuditEntry
from dpf.core.roles import Role
from tests.security.routes import (
    REGION_PARAMETERS,
    World,
    build_world,
    is_scoped,
    make_samples,
    undeclared,
    unsampled,
    url_for,
    url_kwargs,
    walk,
)

LOGIN_PREFIX = "/accounts/login/"
AGGREGATE_ONLY = frozenset(str(p.role) for p in PERMISSIONS if p.scope == Scope.AGGREGATE) - {
    str(p.role) for p in PERMISSIONS if p.scope != Scope.AGGREGATE
}
# Tables a refused request may touch: the audit log (it records the refusal), sessions.
BOOKKEEPING = {"core_auditentry", "django_session"}
POST_PAYLOAD = {
    "reason": "核对身份信息需要",
    "name": "越权写入测试",
    "village_code": "150404002001",
    "region": "150404",
    "require_otp": ["county_officer"],
    "value": "1",
    "confirm": "1",
}
# Views that answer a GET with 404 because they only take POST (405 would be clearer).
GET_404_BY_DESIGN = {"indicators:snapshot"}
FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
# What the Content-Security-Policy (script-src 'self', no 'unsafe-inline') would block: an
# inline script, an event-handler attribute, a javascript: URL. A page must hold none
# (a ``json_script`` data block, type application/json, is data, never executed).
INLINE_SCRIPT_RE = re.compile(
    r"<script\b(?![^>]*\bsrc=)(?![^>]*\btype=[\"']?application/json)[^>]*>"
    r"|<[a-z][^>]*\son[a-z]+\s*=|javascript:",
    re.I,
)


def _declared_pairs(declaration: dict[str, Any]) -> list[tuple[str, str]]:
    actions = [a for a in str(declaration.get("action", "")).split(",") if a]
    types = [t for t in str(declaration.get("object_type", "")).split(",") if t]
    return [(a, t) for a in actions for t in types]


def test_every_route_declares_who_may_use_it():
    routes = list(walk())
    assert len(routes) > 10
    assert undeclared(routes) == [], "routes without @public/@allow (or @api_allow)"
    nobody = [r.name for r in routes if not r.public and not r.roles]
    assert nobody == [], "routes declared for no role"


def test_the_walker_reports_a_route_added_without_a_declaration():
    """The check above can fail: a URL map with one undeclared page is caught by name."""
    from django.urls import get_resolver

    routes = list(walk(get_resolver("tests.security.undeclared_urls")))
    assert undeclared(routes) == ["forgotten"]
    assert len(routes) == len(list(walk())) + 1  # the included platform routes all walked


def test_an_api_operation_without_a_declaration_refuses_to_start():
    """API operations are declared with ``@api_allow``; ``declare_routes`` refuses to build
    the URL map when one is missing (so the walker never sees an undeclared API route)."""
    from django.core.exceptions import ImproperlyConfigured
    from ninja import NinjaAPI, Router

    from dpf.api.access import api_allow, declare_routes

    router = Router()

    @router.get("/declared")
    @api_allow("department_exchange", action="import", object_type="roster")
    def declared(request):  # pragma: no cover - never called
        return {}

    @router.get("/forgotten/{batch_id}")
    def forgotten(request, batch_id: int):  # pragma: no cover - never called
        return {}

    from dpf.core.access import public

    api = NinjaAPI(urls_namespace="undeclared_test_api", docs_decorator=public)
    api.add_router("/x/", router)
    with pytest.raises(ImproperlyConfigured, match="forgotten"):
        declare_routes(api.urls[0])


def test_every_url_parameter_has_a_sample_inside_and_outside_the_scope():
    """The matrix can run a route inside and outside each role's scope only when its URL
    parameters have samples (``SAMPLES`` in routes.py): a new route must add one."""
    assert unsampled() == []


def test_route_declarations_agree_with_the_permission_table():
    """A route naming a (action, object type) of the table may not widen it."""
    wider = []
    for route in walk():
        declaration = route.declaration or {}
        for action, object_type in _declared_pairs(declaration):
            if action in Action.values and object_type in ObjectType.values:
                extra = route.roles - {str(r) for r in roles_with(action, object_type)}
                if extra:
                    wider.append(f"{route.name} ({action}, {object_type}): {sorted(extra)}")
    assert wider == []


def test_aggregate_only_roles_reach_no_personal_route():
    assert {"viewer"} == AGGREGATE_ONLY
    offending = []
    for route in walk():
        declaration = route.declaration or {}
        types = {t for _, t in _declared_pairs(declaration)}
        if route.roles & AGGREGATE_ONLY and types & {str(t) for t in PERSONAL_OBJECT_TYPES}:
            offending.append(route.name)
    assert offending == []


# --- the matrix ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """One world for the module, with every sample record, inside a transaction rolled back
    at the module's end; each test runs in a savepoint of it (its own writes undone)."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            MEDIA_ROOT=tmp_path_factory.mktemp("uploads"),  # sample documents
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        transaction.atomic(),
    ):
        world = build_world()
        make_samples(world)
        yield world
        transaction.set_rollback(True)


def _clients(world: World) -> dict[str | None, Client]:
    clients: dict[str | None, Client] = {None: Client()}
    for role, user in world.users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    return clients


def _platform_wide(route: Any, role: str | None) -> bool:
    """Does ``role`` reach this route through a platform-scope permission (the audit log)?"""
    if role is None:
        return False
    declaration = route.declaration or {}
    return any(
        p.scope == Scope.PLATFORM and (str(p.action), str(p.object_type)) == pair
        for pair in _declared_pairs(declaration)
        for p in PERMISSIONS
        if str(p.role) == role
    )


def _leaks(world: World, role: str | None, text: str, route: Any = None) -> list[str]:
    if route is not None and _platform_wide(route, role):
        # The audit log spans every region but holds masked values only: no value in clear.
        return [
            m for p in world.persons.values() for m in (p.id_number, p.phone) if m and m in text
        ]
    return [m for m in world.invisible_markers(role) if m and m in text]


def _forms_without_csrf(text: str) -> int:
    missing = 0
    for attrs, body in FORM_RE.findall(text):
        if re.search(r"method\s*=\s*[\"']?post", attrs, re.I) and "csrfmiddlewaretoken" not in body:
            missing += 1
    return missing


def _denials(object_id: Any) -> int:
    return AuditEntry.objects.filter(
        action="permission_denied", object_id__contains=str(object_id)
    ).count()


RECORD_TYPES = {"person", "household", "certificate", "survey"}


def _reads_a_record(route: Any) -> bool:
    """A route declared as viewing a person's record (person page, household page …)."""
    return any(
        a == "view" and t in RECORD_TYPES for a, t in _declared_pairs(route.declaration or {})
    )


def _views(world: World, role: str | None) -> int:
    if role is None:
        return 0
    return AuditEntry.objects.filter(action="view", actor=world.users[role]).count()


def _check_page(
    failures: list[str], world: World, role: str | None, where: str, response: Any, route: Any
) -> None:
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return
    text = response.content.decode("utf-8", "replace")
    leaked = _leaks(world, role, text, route)
    if leaked:
        failures.append(f"{where}: shows records outside the scope: {leaked}")
    if _forms_without_csrf(text):
        failures.append(f"{where}: a POST form without a CSRF token")
    csp = response.get("Content-Security-Policy", "")
    if "script-src 'self'" not in csp or "unsafe-inline" in csp:
        failures.append(f"{where}: Content-Security-Policy missing or allows inline scripts")
    inline = INLINE_SCRIPT_RE.search(text)
    if inline:
        failures.append(f"{where}: inline script the CSP would block: {inline.group(0)[:60]}")


@pytest.mark.django_db
def test_authorisation_matrix_every_get_route_as_every_role(world):  # noqa: C901
    clients = _clients(world)
    # Every role of the security model, the volunteer included (its one page, its events,
    # is 200; every other route 404; no sample person on any page: VISIBLE names none).
    assert set(clients) - {None} == set(Role.values)
    failures: list[str] = []
    checked = 0
    for route in walk():
        if route.api:
            continue  # bearer-token API: see test_api_routes_refuse_sessions_and_anonymous
        for role, client in clients.items():
            allowed = route.public or role in route.roles
            scoped = is_scoped(route) and role is not None and allowed and not route.public
            for inside in (True, False) if scoped else (True,):
                kwargs = url_kwargs(route, world, role or "", inside)
                url = url_for(route, kwargs)
                where = f"GET {route.name} as {role or 'anonymous'} ({'in' if inside else 'out'})"
                denials_before = _denials(next(iter(kwargs.values()), "")) if kwargs else 0
                views_before = _views(world, role)
                response = client.get(url)
                checked += 1
                status = response.status_code
                if status >= 500:
                    failures.append(f"{where}: {status}")
                    continue
                _check_page(failures, world, role, where, response, route)
                if route.public:
                    continue
                if role is None:
                    if status != 302 or not response["Location"].startswith(LOGIN_PREFIX):
                        failures.append(f"{where}: {status}, expected the login redirect")
                elif not allowed:
                    if status != 404:
                        failures.append(f"{where}: {status}, expected 404")
                elif not inside:
                    if status == 405:
                        continue  # POST-only: see the POST test
                    if status != 404:
                        failures.append(f"{where}: {status}, expected 404 outside the scope")
                    elif _denials(next(iter(kwargs.values()))) <= denials_before:
                        failures.append(f"{where}: refused but not audited")
                elif scoped and status not in (200, 302, 405):
                    failures.append(f"{where}: {status}, expected the record")
                elif (
                    scoped
                    and status == 200
                    and _reads_a_record(route)
                    and _views(world, role) <= views_before
                ):
                    failures.append(f"{where}: a read of a record that is not audited")
                elif not route.params and status not in (200, 302, 405):
                    if not (status == 404 and route.name in GET_404_BY_DESIGN):
                        failures.append(f"{where}: {status}, expected the page")
                elif status == 302 and response["Location"].startswith(LOGIN_PREFIX):
                    failures.append(f"{where}: sent to the login page although allowed")
    assert checked > 100
    assert failures == [], "\n".join(failures)


def _exports() -> int:
    return AuditEntry.objects.filter(action="export").count()


@pytest.mark.django_db
def test_region_parameters_as_every_role_inside_and_outside(world):  # noqa: C901
    """A route that names its records by a region parameter (the emergency priority list
    and its export in full, ``REGION_PARAMETERS``), read and exported as every role with a
    region inside and just outside its scope: anonymous to the login page; a role the
    route does not admit, or a region outside the role's scope, 404 with nothing handed
    out and nothing written (outside: the refusal audited); inside, the list and the file,
    the export audited with its purpose."""
    clients = _clients(world)
    assert set(clients) - {None} == set(Role.values)  # every role, the volunteer too
    routes = {r.name: r for r in walk()}
    failures: list[str] = []
    checked = 0
    for name, param, sample, export in REGION_PARAMETERS:
        route = routes[name]
        url = url_for(route, {})
        for role, client in clients.items():
            allowed = role in route.roles
            for inside in (True, False):
                region = sample(world, role or "", inside)
                where = f"{route.name} ?{param}={region} as {role or 'anonymous'}"
                where += f" ({'in' if inside else 'out'})"
                denials_before, exports_before = _denials(region), _exports()
                before = _row_counts()
                read = client.get(url, {param: region})
                handed = client.post(url, {param: region, **export})
                checked += 1
                for response in (read, handed):
                    if response.status_code >= 500:
                        failures.append(f"{where}: {response.status_code}")
                    _check_page(failures, world, role, where, response, route)
                statuses = (read.status_code, handed.status_code)
                if role is None:
                    if statuses != (302, 302):
                        failures.append(f"{where}: {statuses}, expected the login redirect")
                elif not allowed or not inside:
                    if statuses != (404, 404):
                        failures.append(f"{where}: {statuses}, expected 404 for both")
                    if handed.get("Content-Disposition"):
                        failures.append(f"{where}: a file was handed out")
                    if _exports() != exports_before:
                        failures.append(f"{where}: an export was recorded")
                    if allowed and _denials(region) < denials_before + 2:
                        failures.append(f"{where}: refused but not audited")
                else:
                    disposition = handed.get("Content-Disposition", "")
                    if statuses != (200, 200) or not disposition.startswith("attachment"):
                        failures.append(f"{where}: {statuses}, expected the list and the file")
                    exported = AuditEntry.objects.filter(action="export").order_by("-id").first()
                    if (
                        _exports() != exports_before + 1
                        or exported is None
                        or exported.object_id != region
                        or exported.reason != export["purpose"]
                    ):
                        failures.append(f"{where}: the export was not audited with its purpose")
                if _changed(before, _row_counts()):
                    failures.append(f"{where}: wrote {_changed(before, _row_counts())}")
    assert checked == len(REGION_PARAMETERS) * len(clients) * 2
    assert failures == [], "\n".join(failures)


def _row_counts() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            if table in BOOKKEEPING:
                continue
            cur.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608  (introspected names)
            counts[table] = cur.fetchone()[0]
    return counts


def _changed(before: dict[str, int], after: dict[str, int]) -> list[str]:
    return sorted(t for t in after if after[t] != before.get(t))


def _post_as_refused_roles(
    route: Any, url: str, clients: dict[str | None, Client], failures: list[str]
) -> None:
    for role in [r for r in clients if r is not None and r not in route.roles]:
        response = clients[role].post(url, POST_PAYLOAD)
        if response.status_code != 404:
            failures.append(f"POST {route.name} as {role}: {response.status_code}, expected 404")
    anonymous = clients[None].post(url, POST_PAYLOAD)
    if anonymous.status_code != 302:
        failures.append(f"POST {route.name} anonymous: {anonymous.status_code}")


@pytest.mark.django_db
def test_post_by_a_role_without_permission_is_refused_and_writes_nothing(world):
    clients = _clients(world)
    failures: list[str] = []
    routes = [r for r in walk() if not (r.public or r.api)]
    # Samples are created before counting (building a URL may create its sample record).
    urls = {r.name: url_for(r, url_kwargs(r, world, "city_admin", True)) for r in routes}
    before = _row_counts()
    for route in routes:
        _post_as_refused_roles(route, urls[route.name], clients, failures)
    if _changed(before, _row_counts()):
        # Something was written: find which route did it (one count per route).
        for route in routes:
            start = _row_counts()
            _post_as_refused_roles(route, urls[route.name], clients, [])
            changed = _changed(start, _row_counts())
            if changed:
                failures.append(f"POST {route.name} by refused roles wrote to {changed}")
    assert failures == [], "\n".join(failures)


@pytest.mark.django_db
def test_post_outside_the_scope_is_refused_and_writes_nothing(world):
    """Allowed roles posting to a record outside their region: 404 (or 400), no write."""
    clients = _clients(world)
    failures: list[str] = []
    for route in walk():
        if route.public or route.api or not is_scoped(route):
            continue
        for role in sorted(route.roles):
            kwargs = url_kwargs(route, world, role, False)
            before = _row_counts()
            response = clients[role].post(url_for(route, kwargs), POST_PAYLOAD)
            where = f"POST {route.name} as {role} (out)"
            if response.status_code not in (400, 404, 405):
                failures.append(f"{where}: {response.status_code}")
            text = response.content.decode("utf-8", "replace")
            if _leaks(world, role, text):
                failures.append(f"{where}: shows records outside the scope")
            changed = _changed(before, _row_counts())
            if changed:
                failures.append(f"{where}: wrote to {changed}")
    assert failures == [], "\n".join(failures)


@pytest.mark.django_db
def test_api_routes_refuse_sessions_and_anonymous(world):
    """API operations authenticate by their own token: a logged-in session is not enough."""
    clients = _clients(world)
    api_routes = [r for r in walk() if r.api and not r.public]
    failures = []
    for route in api_routes:
        url = url_for(route, {p: "1" for p in route.params})
        for role, client in clients.items():
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                if response.status_code not in (401, 404, 405):
                    failures.append(
                        f"{method.upper()} {route.name} as {role}: {response.status_code}"
                    )
    assert failures == [], "\n".join(failures)


@pytest.mark.django_db
def test_api_routes_as_their_roles_inside_and_outside(world):  # noqa: C901
    """Each API route as each role it declares, with that role's bearer token, on its own
    record (inside) and on another account's (outside: 404, audited, nothing written).
    Only ``department_exchange`` accounts hold tokens; every other role is refused above."""
    from django.utils import timezone

    from dpf.exchange import services as exchange_services
    from dpf.exchange.models import ImportBatch
    from tests.factories import make_user

    accounts = {}
    for label in ("inside", "outside"):
        user = make_user("department_exchange", "150400")
        _, raw = exchange_services.token_create(actor=None, department=label, user=user)
        batch = ImportBatch.objects.create(
            roster_type="pension",
            file_name="api.json",
            file_format="json",
            content_sha256=f"{user.pk:064d}",
            uploaded_by=user,
            region_code="150400",
            channel="api",
            department=label,
            status="previewed",
            validated_at=timezone.now(),
        )
        accounts[label] = (raw, batch.pk)
    samples = {"roster_type": "pension"}
    failures: list[str] = []
    checked = 0
    routes = [r for r in walk() if r.api and not r.public]
    assert routes
    assert all(r.roles == {"department_exchange"} for r in routes)
    client = Client()
    for route in routes:
        for inside in (False, True):  # outside first: the inside commit may change the batch
            raw = accounts["inside"][0]
            target = accounts["inside" if inside else "outside"][1]
            kwargs = {p: target if p == "batch_id" else samples[p] for p in route.params}
            url = url_for(route, kwargs)
            if not inside and "batch_id" not in route.params:
                continue  # names no record: nothing lies outside
            for method in ("get", "post"):
                where = f"{method.upper()} {route.name} ({'in' if inside else 'out'})"
                denials_before = _denials(target)
                before = _row_counts()
                response = getattr(client, method)(
                    url,
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {raw}",
                )
                checked += 1
                status = response.status_code
                if status == 405:
                    continue
                if (inside and status in (401, 403, 404)) or status >= 500:
                    failures.append(f"{where}: {status}, expected the operation")
                if not inside:
                    if status != 404:
                        failures.append(f"{where}: {status}, expected 404")
                    if _denials(target) <= denials_before:
                        failures.append(f"{where}: refused but not audited")
                    if _changed(before, _row_counts()):
                        failures.append(f"{where}: wrote {_changed(before, _row_counts())}")
    assert checked >= 8
    assert failures == [], "\n".join(failures)


@pytest.mark.django_db
def test_no_audit_entry_holds_a_personal_value_in_clear(world):
    """The world's registrations, certificates, applications, refusals and page views left
    audit entries; none holds a sample person's ID number, phone or address in clear (the
    old and new values of changed fields are masked by the services)."""
    clients = _clients(world)
    for role in ("county_officer", "city_admin"):
        person = world.persons["in"]
        clients[role].get(url_for_person(person.pk))
        clients[role].post(f"/registry/person/{person.pk}/reveal/", {"reason": "核对身份信息需要"})
    secrets = []
    for p in world.persons.values():
        secrets += [p.id_number, p.phone, p.household.address if p.household else ""]
    secrets = [s for s in secrets if s]
    entries = list(
        AuditEntry.objects.values_list(
            "actor_name", "object_id", "changes", "reason", "client_address"
        )
    )
    assert len(entries) > 20
    assert AuditEntry.objects.filter(action="reveal").count() == 2  # full values were shown
    in_clear = [s for s in secrets for e in entries if s in str(e)]
    assert in_clear == []


def url_for_person(pk: int) -> str:
    from django.urls import reverse

    return reverse("registry:person", kwargs={"person_id": pk})
