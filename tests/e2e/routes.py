"""The pages to scan, read from Django's URL resolver: every declared route, one role each.

A route with parameters is scanned only when ``OBJECT_ROUTES`` says how to build them from
the seeded registry; the others are listed (``unscannable``) so docs and reports can say so.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from dpf.core.access import declaration_of
from dpf.core.roles import Role
from tests.e2e.data import Registry
from tests.factories import make_person, make_user

# Which role looks at a page when several may: staff with data in scope first.
ROLE_PREFERENCE = [
    Role.COUNTY_OFFICER,
    Role.TOWNSHIP_OFFICER,
    Role.VILLAGE_WORKER,
    Role.CITY_ADMIN,
    Role.CITIZEN,
    Role.INSTITUTION_STAFF,
    Role.EMPLOYER,
    Role.VOLUNTEER,
    Role.DEPARTMENT_EXCHANGE,
    Role.VIEWER,
]


def _sample(data: Registry, key: str, make: Callable[[], Any]) -> Any:
    """A record made once per seeded registry (the scan of one app reuses it)."""
    if key not in data.samples:
        data.samples[key] = make()
    return data.samples[key]


def _application_pk(data: Registry) -> int:
    """An application of the first seeded person, submitted once at the county window."""

    def submit() -> int:
        from dpf.workflow import services

        return services.application_submit(
            actor=data.user("county_officer"),
            person=data.people[0],
            benefit_codes=["living_allowance", "nursing_allowance"],
            applicant_kind="worker",
            channel="window",
        ).pk

    return int(_sample(data, "application", submit))


def _application(data: Registry) -> dict[str, Any]:
    return {"pk": _application_pk(data)}


def _application_item(data: Registry) -> dict[str, Any]:
    from dpf.workflow.models import ApplicationItem

    items = ApplicationItem.objects.filter(application_id=_application_pk(data))
    return {"pk": items.order_by("pk").values_list("pk", flat=True)[0]}


def _document(data: Registry) -> dict[str, Any]:
    """A PNG attached to the application through the service (the route answers the file)."""

    def upload() -> int:
        from dpf.workflow import services

        return services.document_upload(
            actor=data.user("county_officer"),
            application_id=_application_pk(data),
            doc_type="id_card",
            name="id-card.png",
            data=PNG,
        ).pk

    return {"pk": _sample(data, "document", upload)}


def _work_item(kind: str) -> Callable[[Registry], int]:
    """A work item of the first seeded person (the benefits scan makes them; so does this)."""

    def make(data: Registry) -> int:
        def create() -> int:
            from django.utils import timezone

            from dpf.benefits.models import BenefitItem, WorkItem

            person = data.people[0]
            return WorkItem.objects.create(
                person=person,
                benefit=BenefitItem.objects.get(code="nursing_allowance"),
                kind=kind,
                as_of=timezone.localdate(),
                county_code=person.county_code,
                township_code=person.township_code,
                village_code=person.village_code,
                created_at=timezone.now(),
            ).pk

        return int(_sample(data, f"work_item:{kind}", create))

    return make


def _entitlement_pk(data: Registry) -> int:
    """The living allowance of the red-mountain county's people, from January 2025."""

    def create() -> int:
        from dpf.benefits.models import BenefitItem
        from dpf.benefits.services import entitlement_create

        allowance = BenefitItem.objects.get(code="living_allowance")
        first = None
        for person in data.people:
            if person.county_code == "150402":
                made = entitlement_create(
                    actor=None, person=person, benefit=allowance, valid_from=dt.date(2025, 1, 1)
                )
                first = first or made
        assert first is not None
        return first.pk

    return int(_sample(data, "entitlement", create))


def _payment_list(data: Registry) -> dict[str, Any]:
    """October 2025's payment list of the living allowance in 红山区, generated."""

    def generate() -> int:
        from dpf.benefits.models import BenefitItem
        from dpf.workflow import services

        _entitlement_pk(data)
        return services.payment_list_generate(
            actor=data.user("county_officer"),
            county_code="150402",
            benefit=BenefitItem.objects.get(code="living_allowance"),
            month=dt.date(2025, 10, 1),
        ).pk

    return {"pk": _sample(data, "payment_list", generate)}


def _payment_file(data: Registry) -> dict[str, Any]:
    """The county summary PDF of that list, made by a job the county officer started."""

    def start() -> int:
        from dpf.workflow import services

        job, _ = services.document_start(
            actor=data.user("county_officer"),
            list_id=_payment_list(data)["pk"],
            kind=services.SIGNING_PDF,
        )
        return job.pk

    return {**_payment_list(data), "job_id": _sample(data, "payment_file", start)}


def _report_file(data: Registry) -> dict[str, Any]:
    """The city's evaluation report as a workbook, made by a job the city admin started."""

    def start() -> int:
        from dpf.indicators import reports

        job, _ = reports.report_start(
            actor=data.user("city_admin"), params={"format": "xlsx", "language": "zh-hans"}
        )
        return job.pk

    return {"job_id": _sample(data, "report_file", start)}


def _payee_account(data: Registry) -> dict[str, Any]:
    """A bank account the village worker recorded at the window for the first seeded
    person, waiting for an officer."""

    def request() -> int:
        from dpf.workflow import services

        return services.payee_account_request(
            actor=data.user("village_worker"),
            person=data.people[0],
            bank=services.BankDetails("中国农业银行赤峰分行", "张海明", "6228480012345678901"),
            on=dt.date(2025, 10, 1),
        ).pk

    return {"account_id": _sample(data, "payee_account", request)}


def _batch_pk(data: Registry, *, committed: bool) -> int:
    """A 低保 roster of the county's seeded people, uploaded and validated (and committed,
    without the benefits rescan, for the reconciliation page)."""

    def upload() -> int:
        from dpf.exchange import services

        rows = [["身份证号码", "姓名", "类别", "起始日期", "终止日期"]]
        people = [p for p in data.people if p.county_code == "150402"]
        for person in people[:2] if committed else people:
            rows.append([person.id_number, person.name, "低保", "2023-01-05", ""])
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        officer = data.user("county_officer")
        batch = services.batch_upload(
            actor=officer,
            roster_type="dibao",
            file_name="低保名单.csv",
            stream=io.BytesIO(text.getvalue().encode()),
        )
        batch = services.batch_validate_now(batch)
        if committed:
            batch = services.batch_commit(actor=officer, batch=batch, rescan=False)
        return batch.pk

    return int(_sample(data, f"batch:{committed}", upload))


def _batch(data: Registry) -> dict[str, Any]:
    return {"batch_id": _batch_pk(data, committed=False)}


def _suspect(data: Registry) -> dict[str, Any]:
    """An open duplicate suspect about the first seeded person."""

    def create() -> int:
        from dpf.exchange.models import DuplicateSuspect

        person = data.people[0]
        return DuplicateSuspect.objects.create(
            kind="check_character",
            person_a=person,
            county_code=person.county_code,
            township_code=person.township_code,
            village_code=person.village_code,
        ).pk

    return {"suspect_id": _sample(data, "suspect", create)}


def _citizen_samples(data: Registry) -> dict[str, Any]:
    """The portal citizen's application and home-visit request (made once)."""
    from tests.e2e.data import seed_citizen, seed_citizen_activity

    if "citizen" not in data.users:
        seed_citizen(data)
    if "citizen_application" not in data.samples:
        seed_citizen_activity(data)
    return data.samples


def _citizen_application(data: Registry) -> dict[str, Any]:
    return {"application_id": _citizen_samples(data)["citizen_application"].pk}


def _citizen_item(data: Registry) -> dict[str, Any]:
    application = _citizen_samples(data)["citizen_application"]
    item = application.items.order_by("pk").values_list("pk", flat=True)[0]
    return {"application_id": application.pk, "item_id": item}


def _citizen_request(data: Registry) -> dict[str, Any]:
    return {"request_id": _citizen_samples(data)["citizen_request"].pk}


def _survey(data: Registry) -> dict[str, Any]:
    """The first seeded person's survey form in the round of 2025 (opened once)."""
    from dpf.registry.models import SurveyRound

    year = _sample(
        data,
        "survey_round",
        lambda: (
            SurveyRound.objects.get_or_create(
                year=2025, defaults={"reference_date": dt.date(2025, 1, 1)}
            )[0].year
        ),
    )
    return {"person_id": data.people[0].pk, "year": year}


def _employer_pk(data: Registry) -> int:
    """An employer of 红山区, registered by the county officer."""

    def register() -> int:
        from dpf.core.creditcode import check_character
        from dpf.employment import services

        first17 = "91150402MA0000001"
        return services.employer_register(
            actor=data.user("county_officer"),
            credit_code=first17 + check_character(first17),
            name="赤峰示例商贸有限公司",
            kind="enterprise",
            county_code="150402",
            staff_count=120,
            contact_name="王经理",
            contact_phone="13800001234",
        ).pk

    return int(_sample(data, "employer", register))


def _credit_flag(data: Registry) -> dict[str, Any]:
    """A credit flag in force on that employer (under-declared, flagged on 2026-06-01)."""

    def flag() -> int:
        from dpf.employment import services

        return services.credit_flag_add(
            actor=data.user("county_officer"),
            employer_id=_employer_pk(data),
            reason="under_declared",
            detail="少报残疾人职工人数",
            flagged_on=dt.date(2026, 6, 1),
        ).pk

    return {"flag_id": _sample(data, "credit_flag", flag)}


def _declaration(data: Registry) -> dict[str, Any]:
    """The employer's quota declaration of levy year 2026, submitted on 2026-05-10 (the
    declaration period is passed in, not read from the clock)."""

    def submit() -> int:
        from dpf.employment import services
        from dpf.employment.models import Employer

        employer = Employer.objects.get(pk=_employer_pk(data))
        account = make_user("employer", None, institution_code=employer.credit_code)
        return services.declaration_submit(
            actor=account,
            levy_year=2026,
            staff_count="120",
            wage_bill="7200000",
            employees=[],
            today=dt.date(2026, 5, 10),
        ).pk

    return {"declaration_id": _sample(data, "declaration", submit)}


def _training_course(data: Registry) -> dict[str, Any]:
    """A vocational course of 红山区 in 2025."""

    def create() -> int:
        from dpf.employment import training

        return training.course_create(
            actor=data.user("county_officer"),
            name="电子商务技能培训",
            kind="vocational",
            provider="红山区职业培训学校",
            county_code="150402",
            start=dt.date(2025, 4, 1),
            end=dt.date(2025, 4, 30),
            subsidy_per_person="1500",
        ).pk

    return {"course_id": _sample(data, "training_course", create)}


def _training_base(data: Registry) -> dict[str, Any]:
    """A training base of 红山区 designated in 2020."""

    def create() -> int:
        from dpf.employment import bases

        return bases.base_register(
            actor=data.user("county_officer"),
            today=dt.date(2025, 12, 31),
            kind="base",
            name="红山区残疾人职业培训基地",
            county_code="150402",
            operator="红山区职业培训学校",
            trades="盲人保健按摩、电子商务",
            capacity=80,
            valid_from=dt.date(2020, 5, 1),
        ).pk

    return {"base_id": _sample(data, "training_base", create)}


def _graduate_file(data: Registry) -> dict[str, Any]:
    """The first seeded person's graduate file (一人一档), opened by the county officer."""

    def create() -> int:
        from dpf.employment import graduates

        return graduates.graduate_file_create(
            actor=data.user("county_officer"),
            id_number=data.people[0].id_number,
            school="赤峰学院",
            major="计算机科学与技术",
            education="bachelor",
            graduation_year=2025,
            wish="软件测试",
            today=dt.date(2025, 6, 30),
        ).pk

    return {"file_id": _sample(data, "graduate_file", create)}


def _schedule(data: Registry) -> dict[str, Any]:
    """The daily proactive scan's schedule (a migration adds it; the transactional browser
    tests empty the tables, so it is made again when missing)."""

    def find() -> str:
        from dpf.jobs.models import Schedule

        return Schedule.objects.get_or_create(
            kind="benefits.scan",
            defaults={"cadence": "daily", "time_of_day": dt.time(2, 0)},
        )[0].kind

    return {"kind": _sample(data, "schedule", find)}


def _job(data: Registry) -> dict[str, Any]:
    """An audit checkpoint started by the city administrator (queued for the worker)."""

    def start() -> int:
        from dpf.jobs.services import job_start

        job, _ = job_start(
            actor=data.user("city_admin"),
            kind="core.audit_checkpoint",
            key="core.audit_checkpoint",
        )
        return job.pk

    return {"job_id": _sample(data, "job", start)}


def _rehab_plan(data: Registry) -> dict[str, Any]:
    """A training plan at a 红山区 rehabilitation centre for the first seeded person, whose
    2025 survey found a rehabilitation need."""

    def create() -> int:
        from dpf.registry.models import NeedsSurvey
        from dpf.services import services

        person = data.people[0]
        NeedsSurvey.objects.create(
            person=person, year=2025, survey_date=dt.date(2025, 2, 1), rehab_need=True
        )
        centre = services.institution_register(
            actor=None,
            code="REHAB-HS",
            name="红山区残疾人康复中心",
            kind="rehabilitation",
            township_code="150402001",
            capacity=80,
            designated_from=dt.date(2022, 1, 1),
        )
        return services.rehab_plan_create(
            actor=data.user("county_officer"),
            person_id=person.pk,
            institution_id=centre.pk,
            kind="training",
            start=dt.date(2025, 3, 1),
            end=dt.date(2025, 12, 31),
            planned_sessions=12,
        ).pk

    return {"plan_id": _sample(data, "rehab_plan", create)}


def _renovation(data: Registry) -> dict[str, Any]:
    """A home renovation assessed by the county for the first seeded person."""

    def create() -> int:
        from dpf.services import services

        return services.renovation_assess(
            actor=data.user("county_officer"),
            person_id=data.people[0].pk,
            assessed_on=dt.date(2025, 5, 1),
            assessment="入户台阶高，卫生间无扶手",
        ).pk

    return {"renovation_id": _sample(data, "renovation", create)}


def _renovation_photo(data: Registry) -> dict[str, Any]:
    """The second seeded person's renovation, completed with one photo through the services
    (the route answers the photo, no HTML page)."""

    def create() -> int:
        from decimal import Decimal

        from dpf.services import services

        officer = data.user("county_officer")
        renovation = services.renovation_assess(
            actor=officer,
            person_id=data.people[1].pk,
            assessed_on=dt.date(2025, 5, 1),
            assessment="卫生间无扶手",
        )
        services.renovation_plan_approve(
            actor=officer,
            renovation_id=renovation.pk,
            items=[("handrails", "卫生间两侧", Decimal("650.00"))],
            contractor="赤峰安居装饰公司",
            approved_on=dt.date(2025, 5, 3),
        )
        services.renovation_complete(
            actor=officer,
            renovation_id=renovation.pk,
            completed_on=dt.date(2025, 5, 20),
            photos=[("handrails.png", PNG)],
        )
        return renovation.pk

    return {"renovation_id": _sample(data, "renovation_photo", create), "number": 1}


def _risk_case(data: Registry) -> dict[str, Any]:
    """A return-to-poverty alert for the first seeded person's household (the scan's shape)."""

    def create() -> int:
        from dpf.social.models import RiskCase

        person = data.people[0]
        assert person.household_id is not None
        return RiskCase.objects.create(
            household_id=person.household_id,
            person=person,
            rule_code="income_below_line",
            rule_name="家庭人均收入低于监测线",
            county_code=person.county_code,
            township_code=person.township_code,
            village_code=person.village_code,
            detected_on=dt.date(2026, 5, 10),
        ).pk

    return {"case_id": _sample(data, "risk_case", create)}


def _moved_out(data: Registry) -> dict[str, Any]:
    """A person of 红山区 who moved to 松山区: 红山区 keeps the read-only history."""

    def move() -> int:
        from dpf.registry import services

        person = make_person(name="李秀兰", village_code="150402001001", sex="F")
        services.person_move(
            actor=None, person=person, village_code="150404002001", on=dt.date(2024, 6, 1)
        )
        return person.pk

    return {"person_id": _sample(data, "moved_out", move)}


def _certificate(data: Registry) -> dict[str, Any]:
    from dpf.registry.models import Certificate

    pk = Certificate.objects.filter(person=data.people[0]).values_list("pk", flat=True).first()
    return {"certificate_id": pk}


def _volunteer_event(data: Registry) -> dict[str, Any]:
    """A volunteer event of the first seeded person's township."""

    def create() -> int:
        from dpf.social.models import VolunteerEvent

        person = data.people[0]
        return VolunteerEvent.objects.create(
            title="助残日上门理发",
            county_code=person.county_code,
            township_code=person.township_code,
            meeting_place="街道残联门口",
            starts_at=dt.datetime(2026, 5, 12, 1, 0, tzinfo=dt.UTC),
            ends_at=dt.datetime(2026, 5, 12, 4, 0, tzinfo=dt.UTC),
            capacity=5,
        ).pk

    return {"event_id": _sample(data, "volunteer_event", create)}


def _care(data: Registry) -> dict[str, Any]:
    """The first seeded person in day care at a 红山区 day-care centre."""

    def create() -> int:
        from decimal import Decimal

        from dpf.services import services

        centre = services.institution_register(
            actor=None,
            code="CARE-HS",
            name="红山区残疾人日间照料中心",
            kind="care_day",
            township_code="150402001",
            capacity=30,
        )
        return services.care_placement_create(
            actor=data.user("county_officer"),
            person_id=data.people[0].pk,
            institution_id=centre.pk,
            kind="day",
            start=dt.date(2025, 3, 1),
            months=12,
            monthly_subsidy=Decimal("300.00"),
        ).pk

    return {"placement_id": _sample(data, "care", create)}


def _institution(data: Registry) -> dict[str, Any]:
    """A rehabilitation institution of the first seeded person's township, designated by
    the city since 2022."""

    def create() -> int:
        from dpf.services import services

        return services.institution_register(
            actor=None,
            code="REHAB-PAGE",
            name="红山区残疾人康复服务站",
            kind="rehabilitation",
            township_code=data.people[0].township_code,
            capacity=40,
            licence_number="PDY1504020001",
            services_offered="功能训练、辅助器具适配",
            designated_from=dt.date(2022, 1, 1),
        ).pk

    return {"institution_id": _sample(data, "institution", create)}


def _device_item(data: Registry) -> dict[str, Any]:
    """A wheelchair of the subsidy catalogue, in force since 2021 with no end."""

    def create() -> int:
        from decimal import Decimal

        from dpf.services import services

        return services.device_item_add(
            actor=None,
            code="WC-PAGE",
            name="普通轮椅",
            kind="wheelchair",
            standard_amount=Decimal("900.00"),
            replacement_years=5,
            valid_from=dt.date(2021, 1, 1),
        ).pk

    return {"item_id": _sample(data, "device_item", create)}


def _child(data: Registry) -> Any:
    """A child of 红山区 born in 2019 (the seeded people are adults)."""

    def create() -> int:
        return make_person(
            name="王小雨", village_code="150402001001", birth=dt.date(2019, 4, 1), sex="F"
        ).pk

    return _sample(data, "child", create)


def _child_referral(data: Registry) -> dict[str, Any]:
    """The child's screening by the city hospital in 2025, recorded by the county officer."""

    def create() -> int:
        from dpf.services import child_rehab

        return child_rehab.child_referral_record(
            actor=data.user("county_officer"),
            person_id=_child(data),
            kind="screening",
            date=dt.date(2025, 5, 6),
            source="hospital",
            source_name="赤峰市医院",
            finding="运动发育迟缓",
        ).pk

    return {"referral_id": _sample(data, "child_referral", create)}


def _child_transition(data: Registry) -> dict[str, Any]:
    """A child of 红山区 who turned 8 on 2025-06-15 with the assistance in force: the
    transition job ends it and opens the hand-over."""

    def create() -> int:
        from dpf.benefits.models import BenefitItem
        from dpf.benefits.services import entitlement_create
        from dpf.services import child_rehab
        from dpf.services.models import ChildTransition

        person = make_person(
            name="李小转", village_code="150402001001", birth=dt.date(2017, 6, 15), sex="M"
        )
        entitlement_create(
            actor=None,
            person=person,
            benefit=BenefitItem.objects.get(code="child_rehab"),
            valid_from=dt.date(2024, 1, 1),
        )
        child_rehab.child_rehab_transition(today=dt.date(2025, 6, 15))
        return ChildTransition.objects.get(person=person).pk

    return {"transition_id": _sample(data, "child_transition", create)}


def _organisation_pk(data: Registry) -> int:
    """A social organisation of the first seeded person's township, in incubation."""

    def create() -> int:
        from dpf.social.models import SocialOrganisation

        person = data.people[0]
        return SocialOrganisation.objects.create(
            name="阳光助残服务中心",
            credit_code="52150402MJ0000001X",
            kind="service",
            county_code=person.county_code,
            township_code=person.township_code,
            registered_on=dt.date(2024, 1, 2),
            incubation_from=dt.date(2024, 2, 1),
        ).pk

    return int(_sample(data, "social_organisation", create))


def _service_project(data: Registry) -> dict[str, Any]:
    """A purchased service project of that organisation in 2025."""

    def create() -> int:
        from dpf.social.models import ServiceProject, SocialOrganisation

        organisation = SocialOrganisation.objects.get(pk=_organisation_pk(data))
        return ServiceProject.objects.create(
            organisation=organisation,
            title="居家托养服务",
            purchaser="区残联",
            county_code=organisation.county_code,
            township_code=organisation.township_code,
            budget="50000",
            start=dt.date(2025, 1, 1),
            end=dt.date(2025, 12, 31),
        ).pk

    return {"project_id": _sample(data, "service_project", create)}


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81"
    b"\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _guardian_claim(data: Registry) -> dict[str, Any]:
    """A pending guardianship request: 张海明 for 赵慧敏, with a stored proof."""

    def create() -> int:
        from dpf.portal.models import GuardianClaim
        from dpf.workflow import documents

        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
        checked = documents.check("proof.png", png)
        dependant = data.people[1]
        return GuardianClaim.objects.create(
            claimant=make_user("citizen", None),
            guardian=data.people[0],
            dependant=dependant,
            relation="child",
            proof_name=checked.safe_name,
            proof_stored=documents.store(checked, png),
            proof_content_type=checked.content_type,
            proof_size=checked.size,
            proof_sha256=checked.sha256,
            county_code=dependant.county_code,
            township_code=dependant.township_code,
            village_code=dependant.village_code,
            created_at=dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC),
        ).pk

    return {"claim_id": _sample(data, "guardian_claim", create)}


# Route name -> URL keyword arguments built from the seeded registry: every route with a
# parameter has one (``tests/e2e/test_routes.py`` fails for a new route without), so the
# scan opens every page; the routes that answer GET with 405 (POST-only actions) or with a
# file (xlsx, PDF, JSON) are listed under "Not scanned" in the axe-core report, with why.
def _facility(data: Registry) -> dict[str, Any]:
    """A rehabilitation facility of the first seeded person's township, open since 2020."""

    def create() -> int:
        from dpf.social.models import Facility

        person = data.people[0]
        return Facility.objects.create(
            name="红山区残疾人康复中心",
            kind="rehabilitation",
            county_code=person.county_code,
            township_code=person.township_code,
            floor_area="2400",
            state="open",
            opening_year=2020,
        ).pk

    return {"facility_id": _sample(data, "facility", create)}


def _culture_activity(data: Registry) -> dict[str, Any]:
    """A culture activity of the first seeded person's county, that person taking part."""

    def create() -> int:
        from dpf.social.models import ActivityParticipation, CultureActivity

        person = data.people[0]
        activity = CultureActivity.objects.create(
            title="全国助残日文艺汇演",
            kind="art",
            held_on=dt.date(2025, 5, 18),
            place="区文化馆",
            county_code=person.county_code,
        )
        ActivityParticipation.objects.create(
            activity=activity,
            person=person,
            county_code=person.county_code,
            township_code=person.township_code,
            village_code=person.village_code,
        )
        return activity.pk

    return {"activity_id": _sample(data, "culture_activity", create)}


def _legal_aid_referral(data: Registry) -> dict[str, Any]:
    """A legal aid referral of the first seeded person, awaiting the centre's answer."""

    def create() -> int:
        from dpf.social.models import LegalAidReferral

        person = data.people[0]
        return LegalAidReferral.objects.create(
            person=person,
            county_code=person.county_code,
            township_code=person.township_code,
            village_code=person.village_code,
            matter="employment",
            description="用人单位拖欠工资",
            channel="window",
            referred_on=dt.date(2026, 11, 2),
            referred_to="红山区法律援助中心",
        ).pk

    return {"referral_id": _sample(data, "legal_aid_referral", create)}


OBJECT_ROUTES: dict[str, Callable[[Registry], dict[str, Any]]] = {
    "registry:reveal_person": lambda d: {"person_id": d.people[0].pk},
    "registry:survey_person": lambda d: _survey(d),
    "registry:survey_no_contact": lambda d: _survey(d),
    "benefits:item": lambda d: {"item_id": _work_item("proposal")(d)},
    "exchange:batch": _batch,
    "exchange:cancel": _batch,
    "exchange:commit": _batch,
    "exchange:list": lambda d: {**_batch(d), "outcome": "will_change"},
    "exchange:progress": _batch,
    "exchange:reconciliation": lambda d: {"batch_id": _batch_pk(d, committed=True)},
    "exchange:revalidate": _batch,
    "exchange:resolve": _suspect,
    "exchange:template": lambda d: {"code": "dibao"},
    "registry:person": lambda d: {"person_id": d.people[0].pk},
    "registry:certificate_new": lambda d: {"person_id": d.people[0].pk},
    "registry:outside_payment_new": lambda d: {"person_id": d.people[0].pk},
    "registry:person_status_new": lambda d: {"person_id": d.people[0].pk},
    "registry:household": lambda d: {"household_id": d.people[0].household_id},
    # Keeping the record current (issue 17 part 1): 张海明 and his certificate.
    "registry:person_edit": lambda d: {"person_id": d.people[0].pk},
    "registry:person_guardian": lambda d: {"person_id": d.people[0].pk},
    "registry:person_move": lambda d: {"person_id": d.people[0].pk},
    "registry:person_household": lambda d: {"person_id": d.people[0].pk},
    "registry:household_status": lambda d: {"household_id": d.people[0].household_id},
    "registry:certificate_renew": lambda d: _certificate(d),
    "registry:certificate_reassess": lambda d: _certificate(d),
    "registry:certificate_cancel": lambda d: _certificate(d),
    "workflow:person_death": lambda d: {"person_id": d.people[0].pk},
    "registry:person_history": lambda d: _moved_out(d),
    # I07: medical insurance among certified people; its list is made of persons.
    "indicators:indicator": lambda d: {"code": "I07"},
    "indicators:drilldown": lambda d: {"code": "I07"},
    "portal:application": _citizen_application,
    "portal:appeal": _citizen_item,
    "portal:upload": _citizen_application,
    "portal:withdraw": _citizen_application,
    "portal:request": _citizen_request,
    # 赵慧敏: a person of the township without a citizen account.
    "portal:account_new": lambda d: {"person_id": d.people[1].pk},
    "portal:staff_request": _citizen_request,
    "portal:staff_request_assign": _citizen_request,  # POST only (405 to a GET)
    "workflow:application": _application,
    "workflow:notice": _application,
    "workflow:proposal_confirm": _application,
    "workflow:proposal_decline": _application,
    "workflow:upload": _application,
    "workflow:withdraw": _application,
    "workflow:decide": _application_item,
    "workflow:appeal": _application_item,
    "workflow:document": _document,
    "workflow:entitlement": lambda d: {"pk": _entitlement_pk(d)},
    "workflow:payment_list": _payment_list,
    "social:risk_case": _risk_case,
    "social:event": _volunteer_event,
    "social:organisation": lambda d: {"organisation_id": _organisation_pk(d)},
    "social:project": _service_project,
    "social:facility": _facility,
    "social:activity": _culture_activity,
    "social:legal_aid_referral": _legal_aid_referral,
    "workflow:payment_approve": _payment_list,
    "workflow:payment_xlsx": _payment_list,
    "workflow:payment_discard": _payment_list,
    "workflow:payment_results": _payment_list,
    "workflow:payment_pdf": _payment_list,
    "workflow:payment_file": _payment_file,
    "indicators:report_file": _report_file,
    "workflow:proposal_start": lambda d: {"item_id": _work_item("proposal")(d)},
    "workflow:review": lambda d: {"item_id": _work_item("review")(d)},
    "workflow:payee_account": _payee_account,
    "employment:credit_flag": lambda d: {"employer_id": _employer_pk(d)},
    "employment:credit_lift": _credit_flag,
    "employment:review": _declaration,
    "employment:training_course": _training_course,
    "employment:training_base": _training_base,
    "employment:training_base_edit": _training_base,
    "employment:graduate": _graduate_file,
    "employment:graduate_edit": _graduate_file,
    "jobs:job": _job,
    "jobs:schedule_edit": _schedule,
    "jobs:schedule_run": _schedule,
    "services:rehab_plan_new": lambda d: {"person_id": d.people[0].pk},
    "services:rehab_plan": _rehab_plan,
    "services:renovation_new": lambda d: {"person_id": d.people[0].pk},
    "services:renovation": _renovation,
    "services:renovation_photo": _renovation_photo,
    "services:schooling_child": lambda d: {"person_id": d.people[0].pk},
    "services:care_placement_new": lambda d: {"person_id": d.people[0].pk},
    "services:care_placement": _care,
    "services:institution": _institution,
    "services:institution_edit": _institution,
    "services:device_item_end": _device_item,
    "services:child_referral_new": lambda d: {"person_id": _child(d)},
    "services:child_referral": _child_referral,
    "services:child_transition": _child_transition,
    # Account administration (issue 17 part 3): the township officer of 红山区, administered
    # by the county officer who scans the pages.
    "accounts:staff_account": lambda d: {"user_id": d.user("township_officer").pk},
    "accounts:staff_account_active": lambda d: {"user_id": d.user("township_officer").pk},
    "accounts:staff_account_password": lambda d: {"user_id": d.user("township_officer").pk},
    "accounts:staff_account_otp": lambda d: {"user_id": d.user("township_officer").pk},
    # A guardianship request about 赵慧敏 (the county officer scans the review pages).
    "portal:staff_guardian": _guardian_claim,
    "portal:staff_guardian_proof": _guardian_claim,
}

# Not pages of the platform: machine-readable answers, the API and its generated docs.
SKIPPED_PREFIXES = ("api/", "i18n/", "static/", "media/")


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    route: str  # the pattern text, e.g. "registry/person/<int:pk>/"
    public: bool
    roles: frozenset[str]
    has_parameters: bool

    @property
    def role(self) -> str | None:
        """The role that scans the page (None: anonymous, for a public page)."""
        if self.public:
            return None
        for role in ROLE_PREFERENCE:
            if role in self.roles:
                return str(role)
        return sorted(self.roles)[0] if self.roles else None

    def __str__(self) -> str:
        return self.name or self.route


def _walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace else (entry.namespace or "")
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            declared = declaration_of(entry.callback)
            if declared is None:
                continue  # tests/core checks that every route declares its access
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            yield Route(
                name=name,
                route=prefix + str(entry.pattern),
                public=bool(declared.get("public")),
                roles=frozenset(str(r) for r in declared.get("roles", ())),
                has_parameters=bool(entry.pattern.converters) or "(?P<" in str(entry.pattern),
            )


def all_routes() -> list[Route]:
    routes = [r for r in _walk(get_resolver(), "", "") if not r.route.startswith(SKIPPED_PREFIXES)]
    return sorted(routes, key=lambda r: r.route)


def scannable() -> list[Route]:
    return [r for r in all_routes() if not r.has_parameters or r.name in OBJECT_ROUTES]


def unscannable() -> list[Route]:
    return [r for r in all_routes() if r.has_parameters and r.name not in OBJECT_ROUTES]
