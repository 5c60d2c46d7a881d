"""A department account bound to Chifeng with a token, and a few registered persons."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from django.core.management import call_command

from tests.api.schema import CURRENT
from tests.factories import make_person, make_user


@pytest.fixture
def department_token(regions) -> Iterator[str]:
    county = make_user("county_officer", "150402")
    for name in ("李秀英", "王建国"):
        make_person(actor=county, name=name)
    user = make_user("department_exchange", "150400")
    out = io.StringIO()
    call_command(
        "exchange", "token", "create", "--department", "民政", "--user", user.username,
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    CURRENT["token"] = out.getvalue().strip()
    yield CURRENT["token"]
    CURRENT.clear()
