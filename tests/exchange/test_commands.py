"""``dpf exchange``: import with a progress line and --commit, validate, commit. (The
background validation the upload page starts: ``test_background.py``.)"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dpf.exchange import services
from dpf.exchange.models import BatchStatus, ImportBatch
from dpf.registry.models import FactsMark, InsuranceEnrolment
from tests.exchange.conftest import csv_bytes, xlsx_bytes
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def test_import_prints_progress_and_commits(county_officer, tmp_path, capsys) -> None:
    people = [make_person(actor=county_officer, name=f"参保{i}") for i in range(5)]
    path = tmp_path / "养老.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["身份证号码", "姓名", "参保日期"],
                *[[p.id_number, p.name, "2021/7/1"] for p in people],
            ],
            "gb18030",
        )
    )
    out = io.StringIO()
    call_command(
        "exchange", "import", "pension", str(path), "--user", county_officer.username, "--commit",
        stdout=out,
    )  # fmt: skip
    assert "validating" in capsys.readouterr().err
    text = out.getvalue()
    assert "previewed" in text
    assert "will_change: 5" in text
    assert "committed" in text
    assert InsuranceEnrolment.objects.filter(kind="pension").count() == 5
    assert ImportBatch.objects.get().channel == "command"


def test_validate_and_commit_subcommands(county_officer, tmp_path) -> None:
    person = make_person(actor=county_officer, name="李秀英")
    batch = services.batch_upload(
        actor=county_officer,
        roster_type="medical",
        file_name="m.xlsx",
        stream=io.BytesIO(
            xlsx_bytes(
                [["身份证号码", "姓名", "参保日期"], [person.id_number, "李秀英", "2024-01-01"]]
            )
        ),
    )
    out = io.StringIO()
    call_command("exchange", "validate", str(batch.pk), stdout=out)
    assert f"batch {batch.pk}: previewed" in out.getvalue()
    call_command("exchange", "commit", str(batch.pk), stdout=out)
    assert ImportBatch.objects.get().status == BatchStatus.COMMITTED
    with pytest.raises(CommandError) as info:
        call_command("exchange", "commit", str(batch.pk), stdout=out)
    assert "already_imported" in str(info.value)
    assert "已导入" in str(info.value)
    with pytest.raises(CommandError):
        call_command("exchange", "commit", "999999", stdout=out)


def test_commit_without_rescan_leaves_people_queued(county_officer, monkeypatch) -> None:
    from dpf.benefits import services as benefit_services

    calls: list[object] = []
    monkeypatch.setattr(benefit_services, "scan", lambda *, actor, incremental: calls.append(actor))
    person = make_person(actor=county_officer, name="李秀英")
    batch = services.batch_upload(
        actor=county_officer,
        roster_type="death",
        file_name="d.xlsx",
        stream=io.BytesIO(
            xlsx_bytes(
                [["身份证号码", "姓名", "死亡日期"], [person.id_number, "李秀英", "2026-01-02"]]
            )
        ),
    )
    services.batch_validate_now(batch)
    call_command("exchange", "commit", str(batch.pk), "--no-rescan", stdout=io.StringIO())
    person.refresh_from_db()
    assert calls == []
    assert FactsMark.objects.filter(person=person).exists()
