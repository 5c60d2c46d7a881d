"""The roles of the security model, and one scoping function as the only way to personal data.

The scope itself (which persons each role sees inside and outside its region) is checked by
the authorisation matrix (``test_routes.py``) and ``tests/registry/test_selectors.py``;
this module checks the code's shape: the web layer never reaches a personal model, and a
selector that does either applies the scope or is handed records that already passed it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps

from dpf.accounts import scoping
from dpf.core.fields import EncryptedTextField
from dpf.core.models import Region
from dpf.core.roles import Role
from dpf.registry.models import Household, Person
from tests.factories import make_person, make_user

DPF = Path(__file__).resolve().parents[2] / "dpf"

THE_TEN_ROLES = {
    "city_admin",
    "county_officer",
    "township_officer",
    "village_worker",
    "institution_staff",
    "department_exchange",
    "employer",
    "volunteer",
    "citizen",
    "viewer",
}

# The scoping functions of ``dpf.accounts.scoping`` (and the portal's self-scope resolver
# registered with it).
SCOPERS = {
    "scope_queryset",
    "region_filter",
    "region_in_scope",
    "person_in_scope",
    "self_person_ids",
    "roster_match_filter",
    "scope_services",
    "service_filter",
    "institution_filter",
}
# Selectors that read a personal model without calling a scoper, and why that is safe.
REVIEWED = {
    "portal/selectors.py::account_of": "the logged-in user's own account (user_id=user.pk)",
    "portal/selectors.py::resolve_self_scope": "it is the self scope (registered in scoping)",
    "portal/selectors.py::_dependant_links": "called only by the self-scope code with the "
    "account's own person id",
    "registry/search_selectors.py::_current_certificates": "a correlated subquery (OuterRef) used "
    "inside scoped querysets only",
}
RAW_ID = ("pk", "id")


def test_the_ten_roles_of_the_security_model():
    assert set(Role.values) == THE_TEN_ROLES


def _personal_models() -> set[str]:
    """Persons, households, every model pointing at them, every model with encrypted fields."""
    names = set()
    for model in apps.get_models():
        fields = model._meta.get_fields()
        points_at_person = any(
            (getattr(f, "many_to_one", False) or getattr(f, "one_to_one", False))
            and f.related_model in (Person, Household)
            for f in fields
        )
        encrypted = any(isinstance(f, EncryptedTextField) for f in model._meta.concrete_fields)
        if model in (Person, Household) or points_at_person or encrypted:
            names.add(model.__name__)
    return names


def _manager_uses(node: ast.AST, personal: set[str]) -> set[str]:
    return {
        sub.value.id
        for sub in ast.walk(node)
        if isinstance(sub, ast.Attribute)
        and sub.attr in ("objects", "_default_manager")
        and isinstance(sub.value, ast.Name)
        and sub.value.id in personal
    }


def _calls(node: ast.AST) -> set[str]:
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            if isinstance(func, ast.Name):
                names.add(func.id)
            elif isinstance(func, ast.Attribute):
                names.add(func.attr)
    return names


def _web_layer() -> list[Path]:
    files = {p for p in DPF.rglob("*.py") if "migrations" not in p.parts}
    return sorted(
        p
        for p in files
        if p.name in ("views.py", "api.py", "forms.py")
        or p.name.endswith("_views.py")
        or p.parent.name in ("api", "templatetags")
    )


def _selector_functions() -> list[tuple[str, ast.FunctionDef]]:
    found = []
    for path in sorted(DPF.rglob("*selectors.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = str(path.relative_to(DPF))
        found += [(f"{rel}::{n.name}", n) for n in tree.body if isinstance(n, ast.FunctionDef)]
    return found


def unscoped_reads(functions: list[tuple[str, ast.FunctionDef]], personal: set[str]) -> list[str]:
    """Selector functions that read a personal model without applying a scope and without
    being handed already-scoped records (a bare id, or nothing, as their only way in)."""
    offending = []
    for name, node in functions:
        uses = _manager_uses(node, personal)
        if not uses or _calls(node) & SCOPERS or name in REVIEWED:
            continue
        params = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
        records = [p for p in params if not (p in RAW_ID or p.endswith(("_id", "_ids")))]
        handed_records = any(p not in ("on", "day", "date", "as_of", "today") for p in records)
        if not handed_records or any(p in RAW_ID or p.endswith(("_id", "_ids")) for p in params):
            offending.append(f"{name} reads {sorted(uses)}")
    return offending


def test_the_web_layer_never_reaches_a_personal_model():
    personal = _personal_models()
    assert {"Person", "Household", "Certificate", "Application", "PaymentLine"} <= personal
    files = _web_layer()
    assert any(p.name == "views.py" for p in files)
    assert any(p.parent.name == "api" for p in files)
    offending = [
        f"{path.relative_to(DPF)}: {sorted(uses)}"
        for path in files
        for uses in [_manager_uses(ast.parse(path.read_text(encoding="utf-8")), personal)]
        if uses
    ]
    assert offending == [], "views, API, forms and template tags must call a selector"


def test_selectors_reach_personal_data_only_through_the_scope():
    functions = _selector_functions()
    assert len(functions) > 50
    assert unscoped_reads(functions, _personal_models()) == []
    names = {name for name, _ in functions}
    assert set(REVIEWED) <= names, "a reviewed exception no longer exists: remove it"


def test_the_check_catches_an_unscoped_selector():
    source = """
def person_get(user, person_id):
    return Person.objects.get(pk=person_id)

def persons_everywhere():
    return Person.objects.all()

def person_get_scoped(user, person_id):
    return scope_queryset(user, Person.objects.all()).get(pk=person_id)

def certificates_of(person):
    return Certificate.objects.filter(person=person)
"""
    tree = ast.parse(source)
    functions = [(f"x.py::{n.name}", n) for n in tree.body if isinstance(n, ast.FunctionDef)]
    found = unscoped_reads(functions, {"Person", "Certificate"})
    assert found == [
        "x.py::person_get reads ['Person']",
        "x.py::persons_everywhere reads ['Person']",
    ]


# --- the scope of each role, through the one function -------------------------------------


@pytest.mark.django_db
def test_a_county_officer_sees_everything_under_the_county_and_nothing_else(regions):
    officer = make_user("county_officer", "150402")
    inside = [make_person(village_code=v) for v in ("150402001001", "150402001002")]
    outside = make_person(village_code="150404002001")
    seen = set(scoping.scope_queryset(officer, Person.objects.all()).values_list("pk", flat=True))
    assert seen == {p.pk for p in inside}
    assert outside.pk not in seen
    assert scoping.region_in_scope(officer, "150402001001")
    assert not scoping.region_in_scope(officer, "150404002001")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", ["institution_staff", "department_exchange", "employer", "volunteer", "viewer"]
)
def test_roles_without_a_region_scope_see_no_person(regions, role):
    make_person(village_code="150402001001")
    # Even bound to the city, these roles reach no person record (deny by default).
    user = make_user(role, "150400")
    assert Region.objects.filter(code="150400").exists()
    assert scoping.region_filter(user) is None
    assert not scoping.scope_queryset(user, Person.objects.all()).exists()
    assert scoping.self_person_ids(user) == frozenset()
    assert not scoping.region_in_scope(user, "150402001001")
