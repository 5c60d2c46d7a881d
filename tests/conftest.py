"""Shared fixtures. The database is whatever DATABASE_URL names: SQLite or PostgreSQL."""

from __future__ import annotations

import pytest

from tests.factories import ensure_test_regions, make_user


@pytest.fixture
def regions(db: None) -> None:
    ensure_test_regions()


@pytest.fixture
def city_admin(regions: None):
    return make_user("city_admin", "150400")


@pytest.fixture
def county_officer(regions: None):
    return make_user("county_officer", "150402")


@pytest.fixture
def village_worker(regions: None):
    return make_user("village_worker", "150402001001")
