"""Test data builders. They go through the services, as the platform does."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from dpf.accounts.models import User
from dpf.core.idnumber import make_id_number
from dpf.core.models import Region
from dpf.core.roles import Role
from dpf.registry import services
from dpf.registry.models import Person

_seq = itertools.count(1)

# Two counties, one township each with two villages (codes follow the 6/9/12 pattern).
TEST_REGIONS = [
    ("150402001", "测试街道一", "150402", "township"),
    ("150402001001", "测试社区一", "150402001", "village"),
    ("150402001002", "测试社区二", "150402001", "village"),
    ("150404002", "测试镇二", "150404", "township"),
    ("150404002001", "测试村一", "150404002", "village"),
    ("150404002002", "测试村二", "150404002", "village"),
]


def ensure_test_regions() -> None:
    for code, name, parent, level in TEST_REGIONS:
        Region.objects.get_or_create(
            code=code,
            defaults={"name": name, "parent_id": parent, "level": level, "synthetic": True},
        )


def make_user(role: Role | str, region_code: str | None = "150400", **extra: Any) -> User:
    ensure_test_regions()
    n = next(_seq)
    if str(role) in ("institution_staff", "employer"):
        extra.setdefault("institution_code", f"TEST-INST-{n}")
    user = User.objects.create_user(
        username=f"{role}-{n}",
        password="Correct-Horse-Battery-9",
        role=role,
        region_id=region_code,
        **extra,
    )
    return user


def new_id_number(
    region: str = "150402", birth: dt.date = dt.date(1980, 5, 17), sex: str = "M"
) -> str:
    n = next(_seq) % 499
    seq = n * 2 + (1 if sex == "M" else 2)
    return make_id_number(region, birth, seq)


def make_person(
    *,
    actor: Any = None,
    name: str = "张海明",
    village_code: str = "150402001001",
    birth: dt.date = dt.date(1980, 5, 17),
    sex: str = "M",
    id_number: str | None = None,
    **extra: Any,
) -> Person:
    ensure_test_regions()
    return services.person_register(
        actor=actor,
        name=name,
        id_number=id_number or new_id_number(village_code[:6], birth, sex),
        village_code=village_code,
        **extra,
    )


def report_download(client: Any, **params: Any) -> Any:
    """An evaluation report file as its user gets it: start the job from the report page
    (the tests run a job at once) and download the file the page then offers. A refused
    start is returned as it was answered (a 404 out of scope, a redirect with a message)."""
    from django.urls import reverse

    from dpf.jobs.models import Job

    jobs = Job.objects.filter(kind="indicators.report")
    before = set(jobs.values_list("pk", flat=True))
    start = client.post(
        reverse("indicators:report_file_start"), {k: str(v) for k, v in params.items()}
    )
    new = jobs.exclude(pk__in=before).order_by("-pk").first()
    if start.status_code != 302 or new is None:
        return start
    return client.get(reverse("indicators:report_file", args=[new.pk]))
