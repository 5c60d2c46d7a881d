"""Roster imports end to end: preview outcomes, commit as effective-dated facts with the
roster as source, the scan queue, refusals, and nothing written before commit."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from dpf.core.errors import DomainError, ValidationFailed
from dpf.core.idnumber import check_character
from dpf.core.models import AuditEntry
from dpf.exchange import services
from dpf.exchange.models import (
    BatchStatus,
    DuplicateSuspect,
    FamilyDoctorContract,
    ImportBatch,
    SuspectKind,
)
from dpf.registry import services as registry
from dpf.registry.models import (
    Certificate,
    FactsMark,
    HouseholdStatus,
    InsuranceEnrolment,
    Person,
    SchoolEnrolment,
)
from tests.exchange.conftest import csv_bytes, errors_of, outcomes, stage, xlsx_bytes
from tests.factories import make_person, new_id_number

pytestmark = pytest.mark.django_db

D = dt.date
HH_HEADER = ["身份证号码", "姓名", "类别", "起始日期", "终止日期"]


def registry_state() -> dict[str, list]:
    """Everything a roster commit may touch, to compare before and after."""
    return {
        "statuses": list(HouseholdStatus.objects.order_by("pk").values()),
        "insurance": list(InsuranceEnrolment.objects.order_by("pk").values()),
        "schools": list(SchoolEnrolment.objects.order_by("pk").values()),
        "doctors": list(FamilyDoctorContract.objects.order_by("pk").values()),
        "persons": list(
            Person.objects.order_by("pk").values("pk", "death_date", "facts_mark__changed_at")
        ),
    }


@pytest.fixture
def people(county_officer):
    return {
        "li": make_person(actor=county_officer, name="李秀英", sex="F"),
        "wang": make_person(actor=county_officer, name="王建国"),
        "zhao": make_person(actor=county_officer, name="赵明", village_code="150402001002"),
    }


def test_household_roster_preview_then_commit(county_officer, people) -> None:
    li, wang, zhao = people["li"], people["wang"], people["zhao"]
    registry.household_status_set(
        actor=county_officer, household=wang.household, status="dibao", valid_from=D(2021, 3, 1)
    )
    registry.household_status_set(
        actor=county_officer, household=zhao.household, status="dibao", valid_from=D(2022, 1, 1)
    )
    outsider = new_id_number("150404", D(1970, 1, 1))
    content = xlsx_bytes(
        [
            HH_HEADER,
            [li.id_number, "李秀英", "低保", "2023-01-05", None],  # new status
            [wang.id_number, "王建国", "城市低保", "2021/3/1", ""],  # already so
            [zhao.id_number, "赵明", "特困", "2024-03-01", None],  # switches: closes dibao
            [outsider, "孙某", "低保", "2023-01-01", None],  # not registered
        ]
    )
    before = registry_state()
    batch = stage(county_officer, "dibao", content)
    assert batch.status == BatchStatus.PREVIEWED
    assert outcomes(batch) == {2: "will_change", 3: "up_to_date", 4: "will_change", 5: "not_found"}
    assert batch.counts["will_change"] == 2
    assert batch.counts["total"] == 4
    switch = batch.rows.get(row_number=4)
    assert switch.before == {"valid_from": "2022-01-01", "valid_to": None, "status": "dibao"}
    assert switch.after == {
        "valid_from": "2024-03-01",
        "valid_to": None,
        "status": "tekun",
        "previous_ends": "2024-02-29",
    }
    assert registry_state() == before  # nothing touched before commit

    batch = services.batch_commit(actor=county_officer, batch=batch)
    assert batch.status == BatchStatus.COMMITTED
    li_status = HouseholdStatus.objects.get(household=li.household)
    assert (li_status.status, li_status.valid_from, li_status.valid_to) == (
        "dibao",
        D(2023, 1, 5),
        None,
    )
    assert li_status.source == f"roster:{batch.pk}"
    history = list(
        HouseholdStatus.objects.filter(household=zhao.household)
        .order_by("valid_from")
        .values_list("status", "valid_from", "valid_to", "source")
    )
    assert history == [
        ("dibao", D(2022, 1, 1), D(2024, 2, 29), "manual"),
        ("tekun", D(2024, 3, 1), None, f"roster:{batch.pk}"),
    ]
    changed = set(
        Person.objects.filter(facts_mark__changed_at__gte=batch.validated_at).values_list(
            "pk", flat=True
        )
    )
    assert changed == {li.pk, zhao.pk}  # queued for the scan; wang was up to date
    assert batch.counts["persons_queued"] == 2
    entry = AuditEntry.objects.filter(action="import", object_id=str(batch.pk)).get()
    assert entry.changes["counts"]["facts_changed"] == 3  # one closed, two inserted


def test_household_members_share_one_change(county_officer, people) -> None:
    li = people["li"]
    spouse = make_person(
        actor=county_officer, name="王大山", household=li.household, relation_to_head="spouse"
    )
    content = xlsx_bytes(
        [
            HH_HEADER,
            [li.id_number, "李秀英", "低保", "2023-01-05", None],
            [spouse.id_number, "王大山", "低保", "2023-01-05", None],
        ]
    )
    batch = stage(county_officer, "dibao", content)
    assert outcomes(batch) == {2: "will_change", 3: "up_to_date"}
    services.batch_commit(actor=county_officer, batch=batch)
    assert HouseholdStatus.objects.filter(household=li.household).count() == 1
    assert Person.objects.filter(household=li.household, facts_mark__isnull=False).count() == 2


def test_bad_rows_are_reported_by_row_and_column(county_officer, people) -> None:
    li, wang, zhao = people["li"], people["wang"], people["zhao"]
    bad_check = li.id_number[:17] + next(
        c for c in "0123456789X" if c != check_character(li.id_number[:17])
    )
    content = xlsx_bytes(
        [
            HH_HEADER,
            [bad_check, "李秀英", "低保", "2023-01-05", None],
            ["15040219800230123X", "某某", "低保", "2023-01-05", None],
            [wang.id_number, "王建国", "低保", "2023-02-30", None],
            [zhao.id_number, "赵明", "低保", "2024-01-01", "2023-01-01"],
            [people["wang"].id_number, "王建国", "困难", "2023-01-01", None],
        ]
    )
    batch = stage(county_officer, "dibao", content)
    assert set(outcomes(batch).values()) == {"invalid"}
    assert [(e["column"], e["code"]) for e in errors_of(batch, 2)] == [("身份证号码", "checksum")]
    assert errors_of(batch, 2)[0]["message"] == "身份证号码校验位错误"
    assert [e["code"] for e in errors_of(batch, 3)] == ["date"]
    assert [(e["column"], e["code"]) for e in errors_of(batch, 4)] == [
        ("起始日期", "date_impossible")
    ]
    assert errors_of(batch, 4)[0]["message"] == "日期不存在"
    assert [(e["column"], e["code"]) for e in errors_of(batch, 5)] == [("终止日期", "date_range")]
    assert [(e["column"], e["code"]) for e in errors_of(batch, 6)] == [("类别", "status")]
    # The wrong check character still points at a registered person: listed after commit.
    assert batch.rows.get(row_number=2).person_id == li.pk
    batch = services.batch_commit(actor=county_officer, batch=batch)
    suspect = DuplicateSuspect.objects.get()
    assert suspect.import_row is not None
    assert (suspect.kind, suspect.person_a_id, suspect.import_row.row_number) == (
        SuspectKind.CHECK_CHARACTER,
        li.pk,
        2,
    )
    assert not HouseholdStatus.objects.exists()


def test_same_person_twice(county_officer, people) -> None:
    li, wang = people["li"], people["wang"]
    content = xlsx_bytes(
        [
            HH_HEADER,
            [li.id_number, "李秀英", "低保", "2023-01-05", None],
            [wang.id_number, "王建国", "低保", "2023-01-05", None],
            [li.id_number, "李秀英", "特困", "2023-01-05", None],  # conflicting status
            [wang.id_number, "王建国", "低保", "2023-01-05", None],  # plain duplicate
        ]
    )
    batch = stage(county_officer, "dibao", content, "r.xlsx")
    assert outcomes(batch) == {2: "invalid", 3: "will_change", 4: "invalid", 5: "invalid"}
    assert errors_of(batch, 2)[-1]["message"].startswith("同一人在第4行")
    assert errors_of(batch, 4)[-1]["message"].startswith("同一人在第2行")
    assert errors_of(batch, 5)[-1]["message"] == "与第3行重复"


def test_name_differs_is_shown_and_not_applied(county_officer, people) -> None:
    li = people["li"]
    content = csv_bytes([HH_HEADER, [li.id_number, "李秀云", "低保", "2023-01-05", ""]])
    batch = stage(county_officer, "dibao", content, "r.csv")
    row = batch.rows.get()
    assert row.outcome == "name_differs"
    assert row.person_id == li.pk
    services.batch_commit(actor=county_officer, batch=batch)
    assert not HouseholdStatus.objects.exists()


def test_people_outside_the_importers_county_are_not_matched(people) -> None:
    from tests.factories import make_user

    other_county = make_user("county_officer", "150404")
    content = xlsx_bytes([HH_HEADER, [people["li"].id_number, "李秀英", "低保", "2023-01-05", ""]])
    batch = stage(other_county, "dibao", content)
    assert outcomes(batch) == {2: "not_found"}


def test_history_conflicts_are_left_alone(county_officer, people) -> None:
    wang = people["wang"]
    registry.household_status_set(
        actor=county_officer, household=wang.household, status="tekun", valid_from=D(2025, 1, 1)
    )
    content = xlsx_bytes([HH_HEADER, [wang.id_number, "王建国", "低保", "2024-01-01", None]])
    batch = stage(county_officer, "dibao", content)
    assert outcomes(batch) == {2: "invalid"}
    assert errors_of(batch, 2)[0]["code"] == "history_conflict"


def test_a_committed_file_is_not_applied_twice(county_officer, people) -> None:
    content = xlsx_bytes([HH_HEADER, [people["li"].id_number, "李秀英", "低保", "2023-01-05", ""]])
    first = stage(county_officer, "dibao", content)
    second = stage(county_officer, "dibao", content)  # staged before the first commit
    services.batch_commit(actor=county_officer, batch=first)
    with pytest.raises(ValidationFailed) as info:
        services.batch_commit(actor=county_officer, batch=second)
    assert info.value.code == "already_imported"
    assert "已导入" in info.value.message_zh
    with pytest.raises(DomainError) as again:
        stage(county_officer, "dibao", content)
    assert again.value.code == "already_imported"
    with pytest.raises(DomainError) as twice:
        services.batch_commit(actor=county_officer, batch=first)
    assert twice.value.code == "already_imported"
    assert HouseholdStatus.objects.count() == 1
    second.refresh_from_db()
    assert second.status == BatchStatus.PREVIEWED


def test_preview_is_stale_when_the_registry_changed(county_officer, people) -> None:
    li = people["li"]
    content = xlsx_bytes([HH_HEADER, [li.id_number, "李秀英", "低保", "2023-01-05", ""]])
    batch = stage(county_officer, "dibao", content)
    registry.household_status_set(
        actor=county_officer, household=li.household, status="tekun", valid_from=D(2024, 1, 1)
    )
    with pytest.raises(DomainError) as info:
        services.batch_commit(actor=county_officer, batch=batch)
    assert info.value.code == "stale_preview"
    assert HouseholdStatus.objects.count() == 1
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PREVIEWED
    services.batch_validate_now(batch)  # validate again: now a conflict, shown as such
    assert outcomes(batch) == {2: "invalid"}


def test_cancel_writes_nothing_and_removes_the_file(
    county_officer, people, django_capture_on_commit_callbacks
) -> None:
    from dpf.exchange.validation import stored_file

    content = xlsx_bytes([HH_HEADER, [people["li"].id_number, "李秀英", "低保", "2023-01-05", ""]])
    batch = stage(county_officer, "dibao", content)
    assert stored_file(batch).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.batch_cancel(actor=county_officer, batch=batch)
    assert not stored_file(batch).exists()
    with pytest.raises(DomainError) as info:
        services.batch_commit(actor=county_officer, batch=batch)
    assert info.value.code == "not_previewed"
    assert not HouseholdStatus.objects.exists()


def test_size_limit_refuses_before_reading(county_officer, tmp_path) -> None:
    big = tmp_path / "big.xlsx"
    with big.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # 50 MB (sparse): never parsed
    with big.open("rb") as stream, pytest.raises(DomainError) as info:
        services.batch_upload(
            actor=county_officer, roster_type="dibao", file_name="big.xlsx", stream=stream
        )
    assert info.value.code == "file_too_large"
    assert "20 MB" in info.value.message_zh
    assert not ImportBatch.objects.exists()


def test_size_limit_holds_when_the_size_is_not_declared(county_officer, settings) -> None:
    settings.DPF_IMPORT_MAX_BYTES = 1024

    class Stream(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, buffer):
            buffer[: len(buffer)] = b"x" * len(buffer)
            return len(buffer)

    with pytest.raises(DomainError) as info:
        services.batch_upload(
            actor=county_officer,
            roster_type="dibao",
            file_name="x.csv",
            stream=io.BufferedReader(Stream()),
        )
    assert info.value.code == "file_too_large"
    assert not ImportBatch.objects.exists()


def test_only_importers_may_stage(village_worker) -> None:
    with pytest.raises(DomainError) as info:
        stage(village_worker, "dibao", b"a,b\n")
    assert info.value.code == "not_found"  # PermissionRefused never says why


INS_HEADER = ["身份证号码", "姓名", "参保日期", "终止日期"]


@pytest.mark.parametrize("kind", ["pension", "medical"])
def test_insurance_rosters(county_officer, people, kind) -> None:
    li, wang = people["li"], people["wang"]
    InsuranceEnrolment.objects.create(person=wang, kind=kind, valid_from=D(2020, 1, 1))
    content = xlsx_bytes(
        [
            ["证件号码", "姓名", "参保时间", "停保日期"],
            [li.id_number, "李秀英", "2021-07-01", None],
            [wang.id_number, "王建国", "2020-01-01", "2025-12-31"],  # stopped
        ]
    )
    batch = stage(county_officer, kind, content)
    assert outcomes(batch) == {2: "will_change", 3: "will_change"}
    services.batch_commit(actor=county_officer, batch=batch)
    assert sorted(
        InsuranceEnrolment.objects.values_list("person_id", "kind", "valid_from", "valid_to")
    ) == sorted(
        [(li.pk, kind, D(2021, 7, 1), None), (wang.pk, kind, D(2020, 1, 1), D(2025, 12, 31))]
    )
    new = InsuranceEnrolment.objects.get(person=li)
    assert new.source == f"roster:{batch.pk}"
    other = "medical" if kind == "pension" else "pension"
    assert not InsuranceEnrolment.objects.filter(kind=other).exists()


def test_school_roster(county_officer) -> None:
    child = make_person(actor=county_officer, name="刘小宝", birth=D(2015, 9, 1))
    moved = make_person(actor=county_officer, name="陈小花", birth=D(2014, 3, 2), sex="F")
    SchoolEnrolment.objects.create(
        person=moved, school="红山区第一小学", grade="四年级", valid_from=D(2021, 9, 1)
    )
    content = xlsx_bytes(
        [
            ["学生身份证号码", "学生姓名", "学校名称", "年级", "入学日期"],
            [child.id_number, "刘小宝", "赤峰市特殊教育学校", "二年级", "2023-09-01"],
            [moved.id_number, "陈小花", "红山区第一小学", "五年级", "2025-09-01"],
        ]
    )
    batch = stage(county_officer, "school", content)
    assert outcomes(batch) == {2: "will_change", 3: "will_change"}
    services.batch_commit(actor=county_officer, batch=batch)
    special = SchoolEnrolment.objects.get(person=child)
    assert (special.school, special.grade, special.mode) == (
        "赤峰市特殊教育学校",
        "二年级",
        "special",
    )
    assert list(
        SchoolEnrolment.objects.filter(person=moved)
        .order_by("valid_from")
        .values_list("grade", "valid_from", "valid_to")
    ) == [("四年级", D(2021, 9, 1), D(2025, 8, 31)), ("五年级", D(2025, 9, 1), None)]


def test_family_doctor_roster(county_officer, people) -> None:
    li = people["li"]
    content = xlsx_bytes(
        [
            ["身份证号码", "姓名", "签约日期", "到期日期", "签约医疗机构"],
            [li.id_number, "李秀英", "2025-03-01", "2026-02-28", "桥北街道社区卫生服务中心"],
        ]
    )
    batch = stage(county_officer, "family_doctor", content)
    services.batch_commit(actor=county_officer, batch=batch)
    contract = FamilyDoctorContract.objects.get(person=li)
    assert (contract.institution, contract.valid_from, contract.valid_to, contract.source) == (
        "桥北街道社区卫生服务中心",
        D(2025, 3, 1),
        D(2026, 2, 28),
        f"roster:{batch.pk}",
    )
    again = stage(
        county_officer,
        "family_doctor",
        csv_bytes(
            [
                ["身份证号码", "姓名", "签约日期", "终止日期", "签约机构"],
                [li.id_number, "李秀英", "2025/3/1", "2026/2/28", "桥北街道社区卫生服务中心"],
            ]
        ),
        "r.csv",
    )
    assert outcomes(again) == {2: "up_to_date"}


def test_death_roster_keeps_certificate_and_facts(county_officer, people) -> None:
    li, wang = people["li"], people["wang"]
    registry.certificate_issue(
        actor=county_officer, person=li, category=4, level=2, issue_date=D(2020, 5, 1)
    )
    registry.household_status_set(
        actor=county_officer, household=li.household, status="dibao", valid_from=D(2021, 1, 1)
    )
    Person.objects.filter(pk=wang.pk).update(death_date=D(2025, 1, 1))
    content = xlsx_bytes(
        [
            ["身份证号码", "姓名", "死亡日期"],
            [li.id_number, "李秀英", "2026-03-15"],
            [wang.id_number, "王建国", "2025-02-01"],  # the registry says otherwise
        ]
    )
    batch = stage(county_officer, "death", content)
    assert outcomes(batch) == {2: "will_change", 3: "invalid"}
    assert errors_of(batch, 3)[0]["code"] == "death_conflict"
    services.batch_commit(actor=county_officer, batch=batch)
    li.refresh_from_db()
    assert li.death_date == D(2026, 3, 15)
    assert FactsMark.objects.filter(person=li).exists()
    certificate = Certificate.objects.get(person=li)
    assert certificate.valid_to == certificate.expires_on  # not ended, not deleted
    assert HouseholdStatus.objects.get(household=li.household).valid_to is None
    assert Person.objects.get(pk=wang.pk).death_date == D(2025, 1, 1)
