"""``dpf demo generate`` and ``dpf demo accounts``: arguments, refusals, idempotence."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dpf.accounts.models import User
from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry, Region
from dpf.demo import services
from dpf.indicators.models import SnapshotRun
from dpf.registry.models import Certificate, Household, Person
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def nothing_written() -> bool:
    return (
        not Person.objects.exists()
        and not Household.objects.exists()
        and not Region.objects.filter(synthetic=True).exists()
        and not AuditEntry.objects.filter(object_type="demo_registry").exists()
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--persons", "0", "--seed", "1"], "1 to 5,000,000"),
        (["--persons", "-3", "--seed", "1"], "1 to 5,000,000"),
        (["--persons", "5000001", "--seed", "1"], "1 to 5,000,000"),
        (["--persons", "many", "--seed", "1"], "whole number"),
        (["--persons", "10", "--seed", "-1"], "seed"),
        (["--persons", "10", "--seed", "x1"], "whole number"),
        (["--persons", "10"], "--seed"),
        (["--seed", "1"], "--persons"),
    ],
)
def test_bad_arguments_are_refused_and_nothing_is_written(args: list[str], words: str) -> None:
    with pytest.raises(CommandError) as info:
        run("generate", *args)
    assert words in str(info.value)
    assert nothing_written()


def test_an_unknown_subcommand_is_refused() -> None:
    with pytest.raises(CommandError):
        run("explode")


def test_the_service_refuses_bad_numbers_with_bilingual_codes() -> None:
    with pytest.raises(ValidationFailed) as info:
        services.demo_generate(persons=0, seed=1)
    assert info.value.code == "demo_persons"
    assert info.value.message_zh
    with pytest.raises(ValidationFailed) as info:
        services.demo_generate(persons=10, seed=2**40)
    assert info.value.code == "demo_seed"
    with pytest.raises(ValidationFailed):
        services.demo_generate(persons=True, seed=1)
    assert nothing_written()


def test_generate_if_empty_then_a_no_op_on_a_populated_registry() -> None:
    # The README's invocation, at a small size (and a short history: two snapshots).
    output = run(
        "generate", "--if-empty", "--persons", "40", "--seed", "1", "--as-of", "2021-02-28"
    )
    assert "40" in output
    assert "2021-02-28" in output
    # each step's line says its time, its own peak memory and the process's so far
    steps = [line for line in output.splitlines() if "peak memory:" in line]
    assert [line.split(":")[0].strip() for line in steps][:2] == ["registry", "journeys"]
    assert steps[-1].strip().startswith("snapshots:")
    so_far_before = 0
    for line in steps:
        found = re.search(r"this step ([\d,]+) MB, so far ([\d,]+) MB", line)
        assert found is not None, line
        own, so_far = (int(figure.replace(",", "")) for figure in found.groups())
        assert 0 < own <= so_far
        # the process's peak so far never falls, and is some step's own peak
        assert so_far >= so_far_before
        so_far_before = so_far
    assert SnapshotRun.objects.count() == 2
    assert Person.objects.filter(certificates__isnull=False).distinct().count() == 40
    persons, certificates = Person.objects.count(), Certificate.objects.count()
    audit = AuditEntry.objects.filter(object_type="demo_registry").count()
    assert audit == 1

    output = run("generate", "--if-empty", "--persons", "40", "--seed", "2")
    assert "nothing generated" in output
    assert Person.objects.count() == persons
    assert Certificate.objects.count() == certificates
    assert AuditEntry.objects.filter(object_type="demo_registry").count() == audit


def test_without_if_empty_a_second_run_adds_new_people() -> None:
    services.demo_generate(persons=25, seed=3)
    first = set(Person.objects.values_list("id_number_hash", flat=True))
    services.demo_generate(persons=25, seed=3)
    assert Person.objects.filter(certificates__isnull=False).distinct().count() == 50
    assert first < set(Person.objects.values_list("id_number_hash", flat=True))


def test_refuses_to_mix_demo_data_into_a_real_registry() -> None:
    make_person(name="张海明")
    regions = Region.objects.count()
    with pytest.raises(CommandError) as info:
        run("generate", "--persons", "10", "--seed", "1")
    assert "真实人员" in str(info.value)
    assert "non-synthetic" in str(info.value)
    assert Person.objects.count() == 1
    assert Region.objects.count() == regions


def test_accounts_need_demo_mode_or_force(settings: object) -> None:
    settings.DPF_DEMO = False  # type: ignore[attr-defined]
    with pytest.raises(CommandError) as info:
        run("accounts")
    assert "DPF_DEMO=1" in str(info.value)
    assert not User.objects.exists()


def test_accounts_are_created_once_per_role_and_idempotent(settings: object) -> None:
    settings.DPF_DEMO = True  # type: ignore[attr-defined]
    output = run("accounts")
    assert "DEMO ONLY" in output
    assert "演示账号" in output
    assert services.DEMO_PASSWORD in output
    users = {u.username: u for u in User.objects.all()}
    roles = sorted(u.role for u in users.values())
    assert roles == sorted(
        [
            "city_admin",
            "county_officer",
            "county_officer",
            "township_officer",
            "village_worker",
            "institution_staff",
            "department_exchange",
            "employer",
            "volunteer",
            "viewer",
            "citizen",
        ]
    )
    assert all(u.demo for u in users.values())
    assert users["demo_city_admin"].region_id == "150400"
    assert {u.region_id for u in users.values() if u.role == "county_officer"} == {
        "150402",
        "150404",
    }
    township = users["demo_township"].region
    village = users["demo_village"].region
    assert township is not None
    assert township.synthetic
    assert township.code.startswith("150402")
    assert village is not None
    assert village.code.startswith(township.code)
    assert users["demo_viewer"].region_id == "150400"
    assert users["demo_city_admin"].check_password(services.DEMO_PASSWORD)

    pks = {name: u.pk for name, u in users.items()}
    run("accounts")
    assert {u.username: u.pk for u in User.objects.all()} == pks


def test_accounts_refuse_to_take_over_a_real_users_name(settings: object) -> None:
    User.objects.create_user(username="demo_viewer", password="Real-User-Pass-1", role="viewer")
    with pytest.raises(CommandError) as info:
        run("accounts", "--force")
    assert "demo_viewer" in str(info.value)
    assert User.objects.count() == 1
    assert not User.objects.get().demo
