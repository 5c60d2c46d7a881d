"""The three checks that read the permission table agree with it: the route decorator, the
template flag (``user|can:"action object_type"``) and the service check."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from dpf.accounts.permissions import (
    PERMISSIONS,
    PermissionRefused,
    Scope,
    has_permission,
    permission_for,
    require_permission,
    scope_of,
)
from dpf.api.access import api_permission_required
from dpf.core.access import declaration_of
from dpf.core.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

REGIONS = {
    "city_admin": "150400",
    "county_officer": "150402",
    "township_officer": "150402001",
    "village_worker": "150402001001",
}


def _flag(user, what: str) -> str:
    template = Template(
        "{% load dpf_permissions %}{% if user|can:what %}yes{% else %}no{% endif %}"
    )
    return template.render(Context({"user": user, "what": what}))


@pytest.mark.parametrize("role", sorted(REGIONS))
def test_the_template_flag_is_the_table(role) -> None:
    user = make_user(role, REGIONS[role])
    for action, object_type in [
        ("approve", "payment_list"),
        ("export", "payment_list"),
        ("change", "manual_value"),
        ("view", "indicator_list"),
        ("change", "bulk_decision"),
        ("change", "rule_version"),
    ]:
        expected = permission_for(role, action, object_type) is not None
        assert _flag(user, f"{action} {object_type}") == ("yes" if expected else "no")
        assert has_permission(user, action, object_type) is expected


def test_an_unknown_pair_or_an_inactive_user_gets_no_flag() -> None:
    admin = make_user("city_admin", "150400")
    assert _flag(admin, "approve payment_list") == "no"  # the county approves
    assert _flag(admin, "fly spaceship") == "no"
    assert _flag(admin, "") == "no"
    admin.is_active = False
    assert _flag(admin, "view audit_log") == "no"


def test_only_the_county_officer_acts_on_payment_lists() -> None:
    """Approving, changing and exporting a list: the county's; the city follows (view)."""
    for action in ("create", "approve", "change", "export"):
        holders = {
            str(p.role)
            for p in PERMISSIONS
            if (p.action, p.object_type) == (action, "payment_list")
        }
        assert holders == {"county_officer"}, action
    viewers = {
        str(p.role) for p in PERMISSIONS if (p.action, p.object_type) == ("view", "payment_list")
    }
    assert viewers == {"county_officer", "city_admin"}


def test_the_service_check_refuses_as_not_found() -> None:
    county = make_user("county_officer", "150402")
    with pytest.raises(PermissionRefused) as refused:
        require_permission(county, "create", "snapshot", "P14")
    assert refused.value.code == "not_found"
    assert refused.value.object_id == "P14"
    require_permission(make_user("city_admin", "150400"), "create", "snapshot")


def test_a_viewer_reads_the_evaluation_report_in_the_aggregate_scope_only() -> None:
    viewer = make_user("viewer", None)
    assert scope_of(viewer, "view", "evaluation_report") == Scope.AGGREGATE
    assert scope_of(make_user("county_officer", "150402"), "view", "evaluation_report") == (
        Scope.REGION
    )
    assert scope_of(viewer, "change", "evaluation_report") is None


def test_the_api_declaration_takes_the_institution_scope_grants() -> None:
    def operation() -> None:  # pragma: no cover - never called
        return None

    declared = declaration_of(api_permission_required("import", "roster")(operation)) or {}
    assert declared["roles"] == frozenset({Role.DEPARTMENT_EXCHANGE})
    with pytest.raises(ValueError, match="no role holds"):
        api_permission_required("approve", "payment_list")
