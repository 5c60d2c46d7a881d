"""The school roster's leave date and reason (issue 18 part 8): a row with a leave date ends
the child's enrolment in force on that day through the ordinary commit, with the reason;
bad dates and reasons are refused per cell in both languages; nothing partial on failure;
the template, the API's column list and the preview say so."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from dpf.core.errors import ValidationFailed
from dpf.exchange import commit_hooks, services
from dpf.exchange.display import describe
from dpf.exchange.models import BatchStatus, ImportBatch
from dpf.exchange.rostertypes import SCHOOL, Target
from dpf.exchange.workbooks import roster_template
from dpf.registry.models import SchoolEnrolment
from dpf.services.models import NotEnrolled
from tests.exchange.conftest import errors_of, outcomes, xlsx_bytes
from tests.factories import make_person

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2025, 12, 31)
HEADER = ["学生身份证号码", "学生姓名", "学校", "年级", "入学日期", "离校日期", "离校原因"]


def stage(actor, content: bytes) -> ImportBatch:
    """Upload and validate on ``TODAY`` (the date a leave may not be after)."""
    batch = services.batch_upload(
        actor=actor, roster_type="school", file_name="school.xlsx", stream=io.BytesIO(content)
    )
    return services.batch_validate_now(batch, today=TODAY)


def pupil(actor, name: str, birth: dt.date, since: dt.date, school: str = "红山区第一小学"):
    person = make_person(actor=actor, name=name, birth=birth)
    SchoolEnrolment.objects.create(
        person=person, school=school, grade="五年级", valid_from=since, source="manual"
    )
    return person


def test_a_leave_date_ends_the_enrolment_in_force_with_its_reason(county_officer) -> None:
    left = pupil(county_officer, "李离校", D(2013, 3, 1), D(2021, 9, 1))
    moved = pupil(county_officer, "王转学", D(2012, 4, 1), D(2020, 9, 1))
    stays = pupil(county_officer, "赵在读", D(2014, 5, 1), D(2022, 9, 1))
    new = make_person(actor=county_officer, name="钱新生", birth=D(2015, 6, 1))
    content = xlsx_bytes(
        [
            HEADER,
            [
                left.id_number,
                "李离校",
                "红山区第一小学",
                "五年级",
                "2021-09-01",
                "2025-06-30",
                "退学",
            ],
            [
                moved.id_number,
                "王转学",
                "红山区第一小学",
                "五年级",
                "2020-09-01",
                "2025/7/10",
                "转学",
            ],
            [stays.id_number, "赵在读", "红山区第一小学", "五年级", "2022-09-01", None, None],
            # Known only as having been at school: a closed enrolment, with no reason.
            [new.id_number, "钱新生", "红山区实验小学", "三年级", "2023-09-01", "2025-01-15", ""],
        ]
    )
    batch = stage(county_officer, content)
    assert outcomes(batch) == {
        2: "will_change",
        3: "will_change",
        4: "up_to_date",
        5: "will_change",
    }
    row = batch.rows.get(row_number=2)
    assert row.before is not None
    assert row.after is not None
    assert row.before["valid_to"] is None
    assert row.after["valid_to"] == "2025-06-30"
    assert row.after["leave_reason"] == "dropped_out"
    assert "离校原因：退学（辍学）" in describe(row.after)
    assert not SchoolEnrolment.objects.exclude(valid_to=None).exists()  # nothing before commit

    services.batch_commit(actor=county_officer, batch=batch)
    ended = SchoolEnrolment.objects.get(person=left)
    assert (ended.valid_from, ended.valid_to, ended.leave_reason) == (
        D(2021, 9, 1),
        D(2025, 6, 30),
        "dropped_out",
    )
    assert SchoolEnrolment.objects.get(person=moved).leave_reason == "transferred"
    assert SchoolEnrolment.objects.get(person=stays).valid_to is None
    inserted = SchoolEnrolment.objects.get(person=new)
    assert (inserted.valid_to, inserted.leave_reason, inserted.source) == (
        D(2025, 1, 15),
        "",
        f"roster:{batch.pk}",
    )
    assert ended.source == "manual"  # the fact is the same enrolment, its end moved


def test_a_reason_given_later_for_the_same_end_is_written(county_officer) -> None:
    child = pupil(county_officer, "孙补报", D(2013, 1, 1), D(2021, 9, 1))
    first = [child.id_number, "孙补报", "红山区第一小学", "五年级", "2021-09-01", "2025-06-30"]
    services.batch_commit(
        actor=county_officer, batch=stage(county_officer, xlsx_bytes([HEADER[:6], first]))
    )
    assert SchoolEnrolment.objects.get(person=child).leave_reason == ""
    again = stage(county_officer, xlsx_bytes([HEADER[:6], [*first[:5], "2025/06/30"]]))
    assert outcomes(again) == {2: "up_to_date"}  # the same end, no reason said: kept
    stated = stage(county_officer, xlsx_bytes([HEADER, [*first, "其他"]]))
    assert outcomes(stated) == {2: "will_change"}
    services.batch_commit(actor=county_officer, batch=stated)
    fact = SchoolEnrolment.objects.get(person=child)
    assert (fact.valid_to, fact.leave_reason) == (D(2025, 6, 30), "other")
    # A roster that shows the child still in school reopens it, and the reason goes.
    reopened = stage(county_officer, xlsx_bytes([HEADER[:5], first[:5]]))
    services.batch_commit(actor=county_officer, batch=reopened)
    fact.refresh_from_db()
    assert (fact.valid_to, fact.leave_reason) == (None, "")


def test_bad_leave_cells_are_refused_per_row_and_column_in_both_languages(county_officer) -> None:
    child = pupil(county_officer, "周错误", D(2013, 1, 1), D(2021, 9, 1))
    other = pupil(county_officer, "吴错误", D(2013, 2, 1), D(2021, 9, 1))
    third = pupil(county_officer, "郑错误", D(2013, 3, 1), D(2021, 9, 1))
    fourth = pupil(county_officer, "冯错误", D(2013, 4, 1), D(2021, 9, 1))
    school = ["红山区第一小学", "五年级", "2021-09-01"]
    content = xlsx_bytes(
        [
            ["学生身份证号码", "学生姓名", "学校", "年级", "入学日期", "退学日期", "离校原因"],
            [child.id_number, "周错误", *school, "2021-08-31", "退学"],  # before entry
            [other.id_number, "吴错误", *school, "2026-01-01", "退学"],  # after the batch's day
            [third.id_number, "郑错误", *school, None, "退学"],  # a reason without a date
            [fourth.id_number, "冯错误", *school, "2025-06-30", "休学"],  # not a reason
        ]
    )
    batch = stage(county_officer, content)
    assert set(outcomes(batch).values()) == {"invalid"}

    def only(row: int) -> dict:
        (error,) = errors_of(batch, row)
        assert error["message"]
        assert error["message_en"]
        return error

    assert only(2) | {"message": "", "message_en": ""} == {
        "column": "退学日期",  # as the file spells it
        "code": "leave_before_entry",
        "message": "",
        "message_en": "",
    }
    assert only(2)["message_en"] == "the date of leaving is before the entry date"
    assert (only(3)["column"], only(3)["code"]) == ("退学日期", "future_date")
    assert (only(4)["column"], only(4)["code"]) == ("离校原因", "only_with")
    assert "退学日期" in only(4)["message"]
    assert (only(5)["column"], only(5)["code"]) == ("离校原因", "choice")
    services.batch_commit(actor=county_officer, batch=batch)  # only valid rows are written
    assert not SchoolEnrolment.objects.exclude(valid_to=None).exists()


def test_nothing_partial_when_the_commit_fails(county_officer, monkeypatch) -> None:
    """The enrolments and the follow-ups are written in one transaction: a failure after the
    facts were written (here, a hook that breaks) leaves both as they were."""
    child = pupil(county_officer, "陈回滚", D(2013, 1, 1), D(2021, 9, 1))
    row = [
        child.id_number,
        "陈回滚",
        "红山区第一小学",
        "五年级",
        "2021-09-01",
        "2025-06-30",
        "退学",
    ]
    batch = stage(county_officer, xlsx_bytes([HEADER, row]))

    def broken(actor, batch, rows):
        raise RuntimeError("hook failed")

    hooks = {Target.SCHOOL: {**commit_hooks._HOOKS[Target.SCHOOL], "broken": broken}}
    monkeypatch.setattr(commit_hooks, "_HOOKS", hooks)
    with pytest.raises(RuntimeError):
        services.batch_commit(actor=county_officer, batch=batch)
    assert SchoolEnrolment.objects.get(person=child).valid_to is None
    assert not NotEnrolled.objects.exists()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PREVIEWED


def test_the_stale_preview_is_refused_with_nothing_written(county_officer) -> None:
    child = pupil(county_officer, "蒋过期", D(2013, 1, 1), D(2021, 9, 1))
    row = [
        child.id_number,
        "蒋过期",
        "红山区第一小学",
        "五年级",
        "2021-09-01",
        "2025-06-30",
        "退学",
    ]
    batch = stage(county_officer, xlsx_bytes([HEADER, row]))
    SchoolEnrolment.objects.filter(person=child).delete()  # changed after the preview
    with pytest.raises(ValidationFailed) as info:
        services.batch_commit(actor=county_officer, batch=batch)
    assert info.value.code == "stale_preview"
    assert not SchoolEnrolment.objects.filter(person=child).exists()
    assert not NotEnrolled.objects.exists()


def test_the_template_and_the_column_list_offer_the_leave_columns(county_officer) -> None:
    sheet = load_workbook(roster_template(SCHOOL)).worksheets
    assert [c.value for c in sheet[0][1]][-2:] == ["离校日期", "离校原因"]
    guide = {r[0].value: r[1].value for r in sheet[1].iter_rows(min_row=2) if r[0].value}
    assert guide["离校日期"] == guide["离校原因"] == "可空"
    assert guide["入学日期"] == "必填"
    end, reason = SCHOOL.column("valid_to"), SCHOOL.column("leave_reason")
    assert end is not None
    assert reason is not None
    assert not end.required
    assert not reason.required
    assert {"离校时间", "退学日期", "valid_to"} <= set(end.accepted_headers())
    # A roster without the new columns is read as before.
    child = pupil(county_officer, "韩旧表", D(2013, 1, 1), D(2021, 9, 1))
    old = stage(
        county_officer,
        xlsx_bytes(
            [HEADER[:5], [child.id_number, "韩旧表", "红山区第一小学", "五年级", "2021-09-01"]]
        ),
    )
    assert outcomes(old) == {2: "up_to_date"}
