"""The regions a user may pick come from one place (issue 16 part 3).

Every form and filter that offers regions starts from ``accounts.scoping.regions_to_pick``
(the user's own region and those under it, none without a region), through the app's
selectors; forms and views never query regions themselves (docs/architecture.md: views and
forms are thin, reads go through selectors). Five pickers built the list five ways before,
one of them inside a form.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dpf.accounts.scoping import regions_to_pick
from dpf.core.models import Region, RegionLevel
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
THIN = sorted(p for p in (ROOT / "dpf").rglob("*.py") if "views" in p.name or "forms" in p.name)


def test_there_are_forms_and_views_to_check() -> None:
    assert len(THIN) > 30


@pytest.mark.parametrize("path", THIN, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_form_or_view_queries_regions(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert "Region.objects" not in source, (
        f"{path.relative_to(ROOT)} queries regions: offer them through a selector that starts "
        "from accounts.scoping.regions_to_pick"
    )


@pytest.mark.django_db
def test_the_picker_offers_the_own_region_and_those_under_it_only(regions) -> None:
    county = make_user(role="county_officer", region_code="150402")
    picked = list(regions_to_pick(county).values_list("code", flat=True))
    assert picked[0] == "150402"
    assert picked == sorted(picked)
    assert all(code.startswith("150402") for code in picked)
    assert len(picked) > 1  # its townships and villages
    counties = regions_to_pick(make_user(role="city_admin", region_code="150400"), ["county"])
    expected = Region.objects.filter(level=RegionLevel.COUNTY, code__startswith="1504")
    assert set(counties.values_list("code", flat=True)) == set(
        expected.values_list("code", flat=True)
    )
    assert not regions_to_pick(make_user(role="citizen", region_code=None)).exists()
