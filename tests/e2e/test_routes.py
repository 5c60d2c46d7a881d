"""The accessibility scan reaches every page of the URL resolver (no browser needed)."""

from __future__ import annotations

from tests.e2e.routes import OBJECT_ROUTES, all_routes, scannable, unscannable


def test_every_route_with_a_parameter_has_a_builder() -> None:
    """A new page with an id in its URL fails here until OBJECT_ROUTES can build its URL,
    so the axe-core scan never silently leaves it out."""
    missing = [f"{r.name} ({r.route})" for r in unscannable()]
    assert not missing, "teach tests/e2e/routes.OBJECT_ROUTES these routes:\n  " + "\n  ".join(
        missing
    )
    names = {r.name for r in all_routes()}
    stale = sorted(set(OBJECT_ROUTES) - names)
    assert not stale, f"OBJECT_ROUTES names routes that no longer exist: {stale}"
    assert len(scannable()) == len(all_routes()) > 50
