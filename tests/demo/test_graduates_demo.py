"""The demo's graduates step: files for young certified persons with support actions dated
between the file's opening and the demo's day, both states on the list once the employment
step has run, nothing added on a second run."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dpf.demo.context import DemoContext
from dpf.demo.employment_records import employment
from dpf.demo.graduates import graduates
from dpf.employment import graduates as graduate_files
from dpf.employment.models import GraduateFile, SupportAction
from tests.benefits.conftest import person_with

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2025, 12, 31)


def test_graduates_step(regions, city_admin) -> None:
    for n in range(150):
        person_with(level=1 + n % 4, birth=dt.date(1996 + n % 8, 1 + n % 12, 1))
    employment(DemoContext(seed=7, as_of=AS_OF))
    ctx = DemoContext(seed=7, as_of=AS_OF)
    graduates(ctx)
    files = GraduateFile.objects.count()
    assert 0 < files < 150
    assert ctx.counts.rows["employment_graduatefile"] == files
    for row in GraduateFile.objects.all():
        assert 1990 <= row.graduation_year <= AS_OF.year
        assert 1 <= row.actions.count() <= 4
    for action in SupportAction.objects.select_related("file"):
        assert action.file.created_on <= action.taken_on <= AS_OF
    listed: Any = graduate_files.graduate_files(city_admin, AS_OF)  # annotated ``employed``
    states = {r.employed for r in listed}
    assert states == {True, False}
    graduates(DemoContext(seed=7, as_of=AS_OF))  # a second run adds nothing
    assert GraduateFile.objects.count() == files
