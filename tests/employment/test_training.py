"""Training (I02): courses, attendance by ID number within the officer's region, completion;
I02 counts completed attendance (person-times) in the plan period, by township, with the
persons behind it."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import ValidationFailed
from dpf.core.models import Region
from dpf.employment import training
from dpf.employment.models import TrainingAttendance
from dpf.indicators import compute
from dpf.indicators.models import Indicator, Plan
from dpf.indicators.selectors import drilldown_persons
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2025, 12, 31)


def course(actor: Any, county: str = "150402", **kwargs: Any) -> Any:
    values: dict[str, Any] = {
        "actor": actor,
        "name": "盲人按摩培训",
        "kind": "vocational",
        "provider": "市盲人按摩指导中心",
        "county_code": county,
        "start": dt.date(2025, 3, 1),
        "end": dt.date(2025, 3, 31),
        "subsidy_per_person": "800",
    }
    values.update(kwargs)
    return training.course_create(**values)


def enrol_and_complete(actor: Any, course_id: int, person: Any, on: dt.date) -> None:
    attendance = training.attendance_add(
        actor=actor, course_id=course_id, id_number=person.id_number
    )
    training.attendance_complete(
        actor=actor, course_id=course_id, attendance_id=attendance.pk, completed_on=on
    )


def i02(as_of: dt.date = AS_OF) -> dict[str, Any]:
    plan = Plan.objects.get(code="P14")
    return {r.region_code: r for r in compute.compute(plan, as_of) if r.indicator.code == "I02"}


def test_i02_counts_completed_attendance_person_times(county_officer) -> None:
    first = course(county_officer)
    second = course(
        county_officer, name="电商培训", start=dt.date(2025, 6, 1), end=dt.date(2025, 6, 10)
    )
    trainee = make_person()
    other = make_person(name="李春花", sex="F")
    enrol_and_complete(county_officer, first.pk, trainee, dt.date(2025, 3, 31))
    enrol_and_complete(county_officer, second.pk, trainee, dt.date(2025, 6, 10))  # twice: 2
    training.attendance_add(actor=county_officer, course_id=second.pk, id_number=other.id_number)
    figures = i02()
    # Two completed attendances of one person; the enrolled but unfinished one does not count.
    assert figures["150402"].value == 2
    assert figures["150402001"].value == 2
    assert figures["150400"].value == 2
    # Before the second completion only the first counts; before either, zero (not "no data").
    assert i02(dt.date(2025, 5, 1))["150402"].value == 1
    # The persons behind the figure.
    indicator = Indicator.objects.get(plan__code="P14", code="I02")
    county = Region.objects.get(code="150402")
    listed = drilldown_persons(county_officer, indicator, AS_OF, county, "numerator")
    assert [p.pk for p in listed] == [trainee.pk]


def test_kpi_command_gives_a_figure_for_i02(county_officer) -> None:
    enrol_and_complete(
        county_officer, course(county_officer).pk, make_person(), dt.date(2025, 3, 31)
    )
    out = io.StringIO()
    call_command("kpi", "--as-of", "2025-12-31", "--json", stdout=out)
    figures = {row["code"]: row for row in json.loads(out.getvalue())["indicators"]}
    assert figures["I02"]["value"] == 1


def test_a_person_outside_the_region_cannot_be_enrolled(county_officer) -> None:
    """The attack: an officer enrols (and so learns about) a person of another county."""
    outsider = make_person(village_code="150404002001")
    current = course(county_officer)
    with pytest.raises(ValidationFailed) as refused:
        training.attendance_add(
            actor=county_officer, course_id=current.pk, id_number=outsider.id_number
        )
    assert refused.value.code == "person_not_found"
    assert TrainingAttendance.objects.count() == 0


def test_a_course_of_another_county_is_not_found(county_officer) -> None:
    stranger = make_user("county_officer", "150404")
    theirs = course(stranger, county="150404")
    with pytest.raises(PermissionRefused):
        training.attendance_add(
            actor=county_officer, course_id=theirs.pk, id_number=make_person().id_number
        )
    with pytest.raises(ValidationFailed):
        course(county_officer, county="150404")


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"end": dt.date(2025, 2, 1)}, "end_before_start"),
        ({"subsidy_per_person": "-5"}, "negative"),
        ({"kind": "magic"}, "training_kind"),
        ({"name": ""}, "required"),
    ],
)
def test_bad_course_refused(county_officer, kwargs: dict[str, Any], code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        course(county_officer, **kwargs)
    assert refused.value.code == code


def test_completion_before_the_start_or_twice_refused(county_officer) -> None:
    current = course(county_officer)
    attendance = training.attendance_add(
        actor=county_officer, course_id=current.pk, id_number=make_person().id_number
    )
    with pytest.raises(ValidationFailed):
        training.attendance_complete(
            actor=county_officer,
            course_id=current.pk,
            attendance_id=attendance.pk,
            completed_on=dt.date(2025, 2, 1),
        )
    training.attendance_complete(
        actor=county_officer,
        course_id=current.pk,
        attendance_id=attendance.pk,
        completed_on=dt.date(2025, 3, 31),
    )
    with pytest.raises(ValidationFailed):
        training.attendance_complete(
            actor=county_officer,
            course_id=current.pk,
            attendance_id=attendance.pk,
            completed_on=dt.date(2025, 4, 1),
        )


def test_pages_enrol_and_complete(county_officer) -> None:
    client = Client()
    client.force_login(county_officer)
    person = make_person()
    created = client.post(
        reverse("employment:training"),
        {
            "name": "面点培训",
            "kind": "vocational",
            "provider": "职业学校",
            "base_id": "",
            "county_code": "150402",
            "start": "2025-05-01",
            "end": "2025-05-20",
            "subsidy_per_person": "500",
        },
    )
    assert created.status_code == 302
    url = created["Location"]
    refused = client.post(url, {"action": "enrol", "e-id_number": "150402"})
    assert refused.status_code == 400
    assert client.post(url, {"action": "enrol", "e-id_number": person.id_number}).status_code == 302
    attendance = TrainingAttendance.objects.get()
    page = client.get(url).content.decode()
    assert person.id_number_masked in page
    assert person.id_number not in page
    done = client.post(
        url,
        {"action": "complete", "c-attendance_id": attendance.pk, "c-completed_on": "2025-05-20"},
    )
    assert done.status_code == 302
    attendance.refresh_from_db()
    assert attendance.completed_on == dt.date(2025, 5, 20)
    assert client.get(reverse("employment:training")).status_code == 200


def _report_rows(user: Any, year: int) -> dict[str, tuple[int, int]]:
    """The training report's table as {county name: (person-times, persons)}."""
    client = Client()
    client.force_login(user)
    response = client.get(reverse("employment:training_report"), {"year": str(year)})
    assert response.status_code == 200
    html = response.content.decode()
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    found = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td>', body)
    return {name: (int(times), int(persons)) for name, times, persons in found}


def test_training_report_by_county_counts_as_i02(county_officer, city_admin) -> None:
    first = course(county_officer)
    second = course(
        county_officer, name="电商培训", start=dt.date(2025, 6, 1), end=dt.date(2025, 6, 10)
    )
    earlier = course(
        county_officer, name="种植培训", start=dt.date(2024, 9, 1), end=dt.date(2024, 9, 5)
    )
    trainee, other, unfinished = make_person(), make_person(name="李春花"), make_person()
    enrol_and_complete(county_officer, first.pk, trainee, dt.date(2025, 3, 31))
    enrol_and_complete(county_officer, second.pk, trainee, dt.date(2025, 6, 10))
    enrol_and_complete(county_officer, earlier.pk, other, dt.date(2024, 9, 5))  # another year
    training.attendance_add(
        actor=county_officer, course_id=second.pk, id_number=unfinished.id_number
    )
    officer_404 = make_user("county_officer", "150404")
    there = course(officer_404, county="150404")
    enrol_and_complete(
        officer_404, there.pk, make_person(village_code="150404002001"), dt.date(2025, 3, 31)
    )

    city = _report_rows(city_admin, 2025)
    assert city["红山区"] == (2, 1)  # one person, two courses finished: two person-times
    assert city["松山区"] == (1, 1)
    assert sum(times for times, _persons in city.values()) == 3
    # The same rule as I02: the counter's figures for the year add up to the report's.
    counted = training.training_attendance_count(dt.date(2025, 12, 31), dt.date(2025, 1, 1))
    assert sum(counted.values()) == 3
    assert _report_rows(city_admin, 2024)["红山区"] == (1, 1)
    # A county officer reads their own county only.
    assert _report_rows(county_officer, 2025) == {"红山区": (2, 1)}
    assert _report_rows(officer_404, 2025) == {"松山区": (1, 1)}
