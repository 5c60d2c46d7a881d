"""Every route of the platform, read from Django's URL resolver, and a world to test them in.

``walk()`` yields each URL pattern with its access declaration. ``World`` holds one user
per role (staff in nested regions) and sample persons placed so that each staff role has
one person just outside its scope. ``SAMPLES`` says how to fill a route's URL parameters
from the world; a route whose parameters have no sample is still tested with ids that do
not exist (the role checks come first), and listed by ``unsampled()``. Scoped samples
(persons, applications, payment lists, import batches, work items …) exist once inside and
once just outside each role's region; ``make_samples`` makes them all up front, so one
world serves a whole test module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from dpf.accounts.models import User
from dpf.core.access import declaration_of
from dpf.core.models import Region
from dpf.core.roles import REGION_STAFF, Role
from dpf.registry import services
from dpf.registry.models import Person
from tests.factories import ensure_test_regions, make_user, new_id_number


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name" (or the pattern when unnamed)
    pattern: str  # "registry/person/<int:pk>/"
    callback: Any
    params: tuple[str, ...]

    @property
    def declaration(self) -> dict[str, Any] | None:
        return declaration_of(self.callback)

    @property
    def public(self) -> bool:
        d = self.declaration
        return bool(d and d.get("public"))

    @property
    def api(self) -> bool:
        d = self.declaration
        return bool(d and d.get("api"))

    @property
    def roles(self) -> frozenset[str]:
        d = self.declaration or {}
        return frozenset(str(r) for r in d.get("roles", ()))

    def __str__(self) -> str:
        return self.name


def walk(
    resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[Route]:
    """Every URL pattern, recursively through includes (and the API's resolver)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            full = prefix + str(entry.pattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Route(
                name=name or full,
                pattern=full,
                callback=entry.callback,
                params=tuple(entry.pattern.regex.groupindex),
            )


def undeclared(routes: list[Route]) -> list[str]:
    """Routes without ``@public``/``@allow``/``@api_allow`` ("no route without a rule")."""
    return [r.name for r in routes if r.declaration is None]


# --- the world ---------------------------------------------------------------------------

# Extra regions: a second township in county 150402 and a county of another city.
EXTRA_REGIONS = [
    ("150402002", "测试街道二", "150402", "township"),
    ("150402002001", "测试社区三", "150402002", "village"),
    ("150100", "呼和浩特市（测试）", "150000", "city"),
    ("150102", "新城区（测试）", "150100", "county"),
    ("150102001", "测试外市街道", "150102", "township"),
    ("150102001001", "测试外市社区", "150102001", "village"),
]

# Where each sample person lives, and the staff region of each role.
PERSON_VILLAGES = {
    "in": "150402001001",  # inside every staff scope
    "self": "150402001001",  # the world's citizen (inside every staff scope too)
    "village2": "150402001002",  # same township, other village
    "township2": "150402002001",  # same county, other township
    "county2": "150404002001",  # same city, other county
    "city2": "150102001001",  # another city
}
STAFF_REGIONS = {
    Role.CITY_ADMIN: "150400",
    Role.COUNTY_OFFICER: "150402",
    Role.TOWNSHIP_OFFICER: "150402001",
    Role.VILLAGE_WORKER: "150402001001",
}
# The specification of scope: which sample persons each role may ever see.
VISIBLE = {
    Role.CITY_ADMIN: {"in", "self", "village2", "township2", "county2"},
    Role.COUNTY_OFFICER: {"in", "self", "village2", "township2"},
    Role.TOWNSHIP_OFFICER: {"in", "self", "village2"},
    Role.VILLAGE_WORKER: {"in", "self"},
    Role.CITIZEN: {"self"},  # the citizen's own person (no dependants in this world)
    Role.INSTITUTION_STAFF: {"in"},  # the institution's one client (a rehabilitation plan)
}
# The person each role's "inside" requests name, and the nearest one just outside its scope
# (a citizen's neighbour in the same village is outside the citizen's self scope).
INSIDE = {Role.CITIZEN: "self"}
NEAREST_OUTSIDE = {
    Role.CITY_ADMIN: "city2",
    Role.COUNTY_OFFICER: "county2",
    Role.TOWNSHIP_OFFICER: "township2",
    Role.VILLAGE_WORKER: "village2",
    Role.CITIZEN: "in",
}
MISSING_ID = 987654321


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    cache: dict[str, Any] = field(default_factory=dict)

    def person(self, role: str, inside: bool) -> Person:
        if inside or role not in NEAREST_OUTSIDE:
            return self.persons[INSIDE.get(Role(role), "in") if role else "in"]
        return self.persons[NEAREST_OUTSIDE[Role(role)]]

    def markers(self, key: str) -> list[str]:
        """Text that shows a sample person's record is on a page (name, masked ID)."""
        p = self.persons[key]
        return [p.name, p.id_number_masked, p.id_number]

    def invisible_markers(self, role: str | None) -> list[str]:
        visible = VISIBLE.get(Role(role), set()) if role else set()
        return [m for key in self.persons if key not in visible for m in self.markers(key)]


def build_world() -> World:
    ensure_test_regions()
    for code, name, parent, level in EXTRA_REGIONS:
        Region.objects.get_or_create(
            code=code,
            defaults={"name": name, "parent_id": parent, "level": level, "synthetic": True},
        )
    world = World()
    for role in Role:
        region = STAFF_REGIONS.get(role)
        extra: dict[str, Any] = {}
        if role == Role.INSTITUTION_STAFF:
            extra["institution_code"] = "INST-TEST-1"
        world.users[str(role)] = make_user(role, region if role in REGION_STAFF else None, **extra)
    for key, village in PERSON_VILLAGES.items():
        household = services.household_create(
            actor=None, village_code=village, address=f"样本住址{key}路{len(key)}号"
        )
        name = f"样本{key}某人"
        world.names[key] = name
        person = services.person_register(
            actor=None,
            name=name,
            id_number=new_id_number(village[:6], dt.date(1975, 3, 9)),
            village_code=village,
            phone=f"1380471{len(world.persons):04d}",
            household=household,
        )
        services.certificate_issue(
            actor=None, person=person, category=4, level=2, issue_date=dt.date(2021, 6, 1)
        )
        world.persons[key] = person
    from dpf.portal.models import CitizenAccount

    CitizenAccount.objects.create(user=world.users[str(Role.CITIZEN)], person=world.persons["self"])
    _indicator_snapshot(world)
    return world


def _indicator_snapshot(world: World) -> None:
    """Pages that show stored indicator results need one stored run."""
    from dpf.indicators import selectors as indicator_selectors
    from dpf.indicators import services as indicator_services

    plan = indicator_selectors.plan_by_code(None)
    indicator_services.snapshot_store(
        plan=plan, as_of=dt.date(2025, 12, 31), actor=world.users["city_admin"]
    )


# --- samples for URL parameters -------------------------------------------------------------

Sample = Callable[[World, str, bool], Any]  # (world, role, inside) -> value


def _person_pk(world: World, role: str, inside: bool) -> Any:
    return world.person(role, inside).pk


def _household_pk(world: World, role: str, inside: bool) -> Any:
    return world.person(role, inside).household_id


def _certificate_pk(world: World, role: str, inside: bool) -> Any:
    return world.person(role, inside).certificates.values_list("pk", flat=True).first()


def _indicator_code(world: World, role: str, inside: bool) -> Any:
    from dpf.indicators.models import Indicator

    return Indicator.objects.order_by("pk").values_list("code", flat=True).first() or "none"


def _import_batch(world: World, role: str, inside: bool) -> Any:
    from dpf.exchange.models import ImportBatch

    person = world.person(role, inside)
    key = f"batch:{person.county_code}"
    if key not in world.cache:
        world.cache[key] = ImportBatch.objects.create(
            roster_type="dibao",
            file_name="sample.csv",
            file_format="csv",
            content_sha256=f"{person.pk:064d}",
            uploaded_by=world.users["city_admin"],
            region_code=person.county_code,
            channel="web",
            status="previewed",
        ).pk
    return world.cache[key]


def _outcome(world: World, role: str, inside: bool) -> Any:
    return "will_change"


def _roster_code(world: World, role: str, inside: bool) -> Any:
    return "dibao"


def _suspect(world: World, role: str, inside: bool) -> Any:
    """An open duplicate suspect about the person (a roster number with a wrong check digit)."""
    from dpf.exchange.models import DuplicateSuspect

    person = world.person(role, inside)
    key = f"suspect:{person.pk}"
    if key not in world.cache:
        world.cache[key] = DuplicateSuspect.objects.create(
            kind="check_character",
            person_a=person,
            county_code=person.county_code,
            township_code=person.township_code,
            village_code=person.village_code,
        ).pk
    return world.cache[key]


# Workflow records of the sample persons, made once per world (on first use) through the
# services where a service makes them, by an officer of the person's own county (a county
# of another city gets its own officer, who is not one of the world's users).
SAMPLE_DAY = dt.date(2025, 9, 15)


def _cached(world: World, key: str, make: Callable[[], Any]) -> Any:
    if key not in world.cache:
        world.cache[key] = make()
    return world.cache[key]


def _county_officer_for(world: World, person: Person) -> User:
    own = world.users[str(Role.COUNTY_OFFICER)]
    if own.region_id == person.county_code:
        return own
    return _cached(
        world,
        f"officer:{person.county_code}",
        lambda: make_user(Role.COUNTY_OFFICER, person.county_code),
    )


def _application_of(world: World, person: Person) -> Any:
    from dpf.workflow import services as workflow_services

    def submit() -> Any:
        return workflow_services.application_submit(
            actor=_county_officer_for(world, person),
            person=person,
            benefit_codes=["living_allowance", "nursing_allowance"],
            applicant_kind="worker",
            channel="window",
            today=SAMPLE_DAY,
        )

    return _cached(world, f"application:{person.pk}", submit)


def _application_pk(world: World, role: str, inside: bool) -> Any:
    return _application_of(world, world.person(role, inside)).pk


def _application_item_pk(world: World, role: str, inside: bool) -> Any:
    application = _application_of(world, world.person(role, inside))
    return application.items.order_by("pk").values_list("pk", flat=True).first()


def _document_pk(world: World, role: str, inside: bool) -> Any:
    """A stored PDF of the person's application (the file under MEDIA_ROOT: see the
    ``world`` fixture, which points it at a temporary folder)."""
    from django.utils import timezone

    from dpf.workflow import documents
    from dpf.workflow.models import Document

    person = world.person(role, inside)

    def store() -> Any:
        application = _application_of(world, person)
        content = b"%PDF-1.4\n% sample\n%%EOF\n"
        stored = f"sample-{person.pk:08d}.pdf"
        documents.path_of(stored).write_bytes(content)
        return Document.objects.create(
            application=application,
            doc_type="id_card",
            original_name="sample.pdf",
            stored_name=stored,
            content_type="application/pdf",
            size=len(content),
            sha256="0" * 64,
            uploaded_by=_county_officer_for(world, person),
            uploaded_at=timezone.now(),
        ).pk

    return _cached(world, f"document:{person.pk}", store)


def _entitlement_pk(world: World, role: str, inside: bool) -> Any:
    from decimal import Decimal

    from dpf.benefits.models import BenefitItem, Entitlement

    person = world.person(role, inside)
    return _cached(
        world,
        f"entitlement:{person.pk}",
        lambda: (
            Entitlement.objects.create(
                person=person,
                benefit=BenefitItem.objects.get(code="living_allowance"),
                valid_from=dt.date(2025, 1, 1),
                monthly_amount=Decimal("100.00"),
            ).pk
        ),
    )


def _citizen_request_pk(world: World, role: str, inside: bool) -> Any:
    """A complaint about the person (what the portal's request form stores), assigned by
    name to the world's village worker when the person lives in its village (a village
    worker reaches only the requests assigned to it: outside, the next village's)."""
    from django.utils import timezone

    from dpf.portal.models import CitizenRequest

    person = world.person(role, inside)
    worker = world.users[str(Role.VILLAGE_WORKER)]
    assigned = worker if worker.region_id == person.village_code else None
    return _cached(
        world,
        f"citizen_request:{person.pk}",
        lambda: (
            CitizenRequest.objects.create(
                kind="complaint",
                text="样本诉求：道路不平",
                contact_preference="phone",
                person=person,
                county_code=person.county_code,
                township_code=person.township_code,
                village_code=person.village_code,
                created_by=_county_officer_for(world, person),
                created_at=timezone.now(),
                updated_at=timezone.now(),
                assigned_region=person.village_code if assigned else "",
                assigned_to=assigned,
                assigned_at=timezone.now() if assigned else None,
            ).pk
        ),
    )


def _work_item(kind: str) -> Sample:
    def sample(world: World, role: str, inside: bool) -> Any:
        from django.utils import timezone

        from dpf.benefits.models import BenefitItem, WorkItem

        person = world.person(role, inside)
        return _cached(
            world,
            f"work_item:{kind}:{person.pk}",
            lambda: (
                WorkItem.objects.create(
                    person=person,
                    benefit=BenefitItem.objects.get(code="nursing_allowance"),
                    kind=kind,
                    as_of=SAMPLE_DAY,
                    county_code=person.county_code,
                    township_code=person.township_code,
                    village_code=person.village_code,
                    created_at=timezone.now(),
                ).pk
            ),
        )

    return sample


def _payment_list_pk(world: World, role: str, inside: bool) -> Any:
    """A county's draft payment list (empty: the scope is the county, not the lines)."""
    from django.utils import timezone

    from dpf.benefits.models import BenefitItem
    from dpf.workflow.models import PaymentList

    person = world.person(role, inside)
    return _cached(
        world,
        f"payment_list:{person.county_code}",
        lambda: (
            PaymentList.objects.create(
                county_code=person.county_code,
                benefit=BenefitItem.objects.get(code="living_allowance"),
                month=dt.date(2025, 12, 1),
                generated_at=timezone.now(),
                generated_by=_county_officer_for(world, person),
            ).pk
        ),
    )


def _payee_account_pk(world: World, role: str, inside: bool) -> Any:
    """A bank account change of the person waiting for an officer (no recorder: any
    officer of the region may decide it)."""
    from dpf.workflow.models import PayeeAccount

    person = world.person(role, inside)
    return _cached(
        world,
        f"payee_account:{person.pk}",
        lambda: (
            PayeeAccount.objects.create(
                person=person,
                bank_name="样本银行",
                account_holder=person.name,
                account_number="6228480000000000001",
                account_masked="6228***********0001",
                valid_from=SAMPLE_DAY,
                status="pending",
            ).pk
        ),
    )


def _rehab_plan_pk(world: World, role: str, inside: bool) -> Any:
    """A rehabilitation plan of the person. The world's institution (INST-TEST-1, whose
    staff is the world's institution user) has one client, the "in" person; every other
    sample plan, the institution user's "outside" one included, is at another institution
    (their scope is the institution, not a region)."""
    from dpf.services.models import Institution, RehabPlan

    own = role == str(Role.INSTITUTION_STAFF) and inside
    person = world.person(role, inside) if role else world.persons["in"]
    code = "INST-TEST-1" if own else "INST-TEST-2"

    def make() -> Any:
        institution, _created = Institution.objects.get_or_create(
            code=code,
            defaults={
                "name": f"样本康复机构{code[-1]}",
                "kind": "rehabilitation",
                "county_code": "150402",
                "township_code": "150402001",
            },
        )
        return RehabPlan.objects.create(
            person=person,
            institution=institution,
            kind="training",
            start=dt.date(2025, 3, 1),
            end=dt.date(2025, 12, 31),
            planned_sessions=10,
            county_code=person.county_code,
            township_code=person.township_code,
            village_code=person.village_code,
        ).pk

    return _cached(world, f"rehab_plan:{code}:{person.pk}", make)


def _renovation_pk(world: World, role: str, inside: bool) -> Any:
    """A home renovation (assessed) of the person's household (region-scoped)."""
    from dpf.services.models import HomeRenovation

    person = world.person(role, inside) if role else world.persons["in"]

    def make() -> Any:
        return HomeRenovation.objects.create(
            person=person,
            household_id=person.household_id or 0,
            county_code=person.county_code,
            township_code=person.township_code,
            village_code=person.village_code,
            assessed_on=dt.date(2025, 5, 1),
            assessment="样本评估",
        ).pk

    return _cached(world, f"renovation:{person.pk}", make)


def _renovation_photo_pk(world: World, role: str, inside: bool) -> Any:
    """A completed renovation of the person's household with one stored photo (number 1;
    the file under the world's temporary MEDIA_ROOT), for the photo route."""
    from django.utils import timezone

    from dpf.services.models import HomeRenovation, RenovationPhoto
    from dpf.services.services import PHOTO_FOLDER
    from dpf.workflow import documents

    person = world.person(role, inside) if role else world.persons["in"]

    def make() -> Any:
        renovation = HomeRenovation.objects.create(
            person=person,
            household_id=person.household_id or 0,
            county_code=person.county_code,
            township_code=person.township_code,
            village_code=person.village_code,
            assessed_on=dt.date(2025, 5, 1),
            assessment="样本评估",
            contractor="样本施工队",
            approved_on=dt.date(2025, 5, 5),
            completed_on=dt.date(2025, 6, 1),
        )
        png = b"\x89PNG\r\n\x1a\n" + bytes(32)
        checked = documents.check("photo.png", png, accept=documents.PHOTO_TYPES)
        RenovationPhoto.objects.create(
            renovation=renovation,
            number=1,
            original_name=checked.safe_name,
            stored_name=documents.store(checked, png, folder=PHOTO_FOLDER),
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_at=timezone.now(),
        )
        return renovation.pk

    return _cached(world, f"renovation_photo:{person.pk}", make)


def _care_pk(world: World, role: str, inside: bool) -> Any:
    """A care placement of the person, at the world's institution (INST-TEST-1) for its
    staff's inside request, at another institution for every other sample."""
    from dpf.services.models import CarePlacement, Institution

    own = role == str(Role.INSTITUTION_STAFF) and inside
    person = world.person(role, inside) if role else world.persons["in"]
    code = "INST-TEST-1" if own else "INST-TEST-2"

    def make() -> Any:
        institution, _created = Institution.objects.get_or_create(
            code=code,
            defaults={
                "name": f"样本康复机构{code[-1]}",
                "kind": "rehabilitation",
                "county_code": "150402",
                "township_code": "150402001",
            },
        )
        return CarePlacement.objects.create(
            person=person,
            institution=institution,
            kind="day",
            start=dt.date(2025, 3, 1),
            months=10,
            end=dt.date(2025, 12, 31),
            monthly_subsidy=300,
            county_code=person.county_code,
            township_code=person.township_code,
            village_code=person.village_code,
        ).pk

    return _cached(world, f"care:{code}:{person.pk}", make)


def _institution_pk(world: World, role: str, inside: bool) -> Any:
    """An institution (listed by county, not personal data). Institution staff: their own
    (INST-TEST-1) inside, another institution of the same township outside. Region staff:
    one in the township of their inside person, and outside one in the nearest county
    outside their own (a township officer sees the institutions of its whole county)."""
    from dpf.services.models import Institution

    if role == str(Role.INSTITUTION_STAFF):
        code, township = ("INST-TEST-1" if inside else "INST-TEST-2"), "150402001"
    else:
        person = world.person(role, inside) if role else world.persons["in"]
        own = world.users[role].region_id if role in world.users else None
        if not inside and own and person.county_code == own[:6]:
            person = world.persons["county2"]
        township = person.township_code
        code = f"INST-SAMPLE-{township}"

    def make() -> Any:
        institution, _created = Institution.objects.get_or_create(
            code=code,
            defaults={
                "name": f"样本康复机构{code[-1]}",
                "kind": "rehabilitation",
                "county_code": township[:6],
                "township_code": township,
            },
        )
        return institution.pk

    return _cached(world, f"institution:{code}", make)


def _device_item_pk(world: World, role: str, inside: bool) -> Any:
    """A version of the device catalogue (the city's, not scoped), in force with no end."""
    from dpf.services.models import DeviceCatalogueItem

    def make() -> Any:
        return DeviceCatalogueItem.objects.create(
            code="WC-SAMPLE",
            name="样本轮椅",
            kind="wheelchair",
            standard_amount=900,
            replacement_years=5,
            valid_from=dt.date(2021, 1, 1),
        ).pk

    return _cached(world, "device_item", make)


def _child_referral_pk(world: World, role: str, inside: bool) -> Any:
    """A screening of the person (region-scoped), as the referral service stores it."""
    from dpf.services.models import ChildReferral

    person = world.person(role, inside) if role else world.persons["in"]

    def make() -> Any:
        return ChildReferral.objects.create(
            person=person,
            kind="screening",
            date=dt.date(2025, 5, 6),
            source="hospital",
            source_name="样本医院",
            finding="样本筛查结果",
            county_code=person.county_code,
            township_code=person.township_code,
            village_code=person.village_code,
        ).pk

    return _cached(world, f"child_referral:{person.pk}", make)


def _child_transition_pk(world: World, role: str, inside: bool) -> Any:
    """A hand-over at 8 of the person (region-scoped), as the transition job opens it, on
    an assistance period of its own."""
    from decimal import Decimal

    from dpf.benefits.models import BenefitItem, Entitlement
    from dpf.services.models import ChildTransition

    person = world.person(role, inside) if role else world.persons["in"]

    def make() -> Any:
        period = Entitlement.objects.create(
            person=person,
            benefit=BenefitItem.objects.get(code="child_rehab"),
            valid_from=dt.date(2024, 1, 1),
            valid_to=dt.date(2025, 6, 14),
            status="terminated",
            monthly_amount=Decimal("1500.00"),
        )
        return ChildTransition.objects.create(
            person=person,
            entitlement=period,
            turned_eight_on=dt.date(2025, 6, 15),
            county_code=person.county_code,
            township_code=person.township_code,
            village_code=person.village_code,
        ).pk

    return _cached(world, f"child_transition:{person.pk}", make)


def _survey_year(world: World, role: str, inside: bool) -> Any:
    """The year of the world's needs survey round (opened once)."""
    from dpf.registry.models import SurveyRound

    return _cached(
        world,
        "survey_round",
        lambda: (
            SurveyRound.objects.get_or_create(
                year=2025, defaults={"reference_date": dt.date(2025, 1, 1)}
            )[0].year
        ),
    )


def _employer_pk(world: World, role: str, inside: bool) -> Any:
    """An employer in the county of the role's inside (or nearest outside) person."""
    from dpf.core.creditcode import check_character
    from dpf.employment.models import Employer

    county = world.person(role, inside).county_code if role else "150402"
    first17 = f"91{county}MA000000{county[-1]}"

    def make() -> Any:
        return Employer.objects.get_or_create(
            credit_code=first17 + check_character(first17),
            defaults={"name": f"样本用人单位{county}", "kind": "enterprise", "county_code": county},
        )[0].pk

    return _cached(world, f"employer:{county}", make)


def _credit_flag_pk(world: World, role: str, inside: bool) -> Any:
    """A credit flag in force on that employer."""
    from dpf.employment.models import CreditFlag, Employer

    employer_id = _employer_pk(world, role, inside)

    def make() -> Any:
        employer = Employer.objects.get(pk=employer_id)
        return CreditFlag.objects.create(
            employer=employer,
            county_code=employer.county_code,
            reason="refused",
            detail="拒不申报",
            flagged_on=dt.date(2026, 6, 1),
            flagged_by=world.users["city_admin"],
        ).pk

    return _cached(world, f"credit_flag:{employer_id}", make)


def _declaration_pk(world: World, role: str, inside: bool) -> Any:
    """A submitted quota declaration of that employer (levy year 2026, no employees)."""
    from dpf.employment.models import QuotaDeclaration

    employer_id = _employer_pk(world, role, inside)

    def make() -> Any:
        return QuotaDeclaration.objects.create(
            employer_id=employer_id,
            county_code=world.person(role, inside).county_code if role else "150402",
            levy_year=2026,
            staff_count=100,
            wage_bill=6000000,
            avg_wage=60000,
            local_avg_social_wage=98000,
            required="1.5",
            counted=0,
            shortfall="1.5",
            wage_used=60000,
            gross=90000,
            relief=9000,
            levy_due=81000,
            reward=0,
            submitted_on=dt.date(2026, 5, 10),
            submitted_by=world.users["city_admin"],
        ).pk

    return _cached(world, f"declaration:{employer_id}", make)


def _graduate_file_pk(world: World, role: str, inside: bool) -> Any:
    """The graduate file (一人一档) of the role's inside (or nearest outside) person."""
    from dpf.employment.models import GraduateFile

    person = world.person(role, inside)

    def make() -> Any:
        return GraduateFile.objects.create(
            person=person,
            school="样本学院",
            major="样本专业",
            education="bachelor",
            graduation_year=2025,
            created_on=dt.date(2025, 6, 30),
            created_by=world.users["city_admin"],
        ).pk

    return _cached(world, f"graduate_file:{person.pk}", make)


def _payment_file_job(world: World, role: str, inside: bool) -> Any:
    """A signing PDF of that payment list, made for the role's own user (files are only
    ever offered to whoever started the job): inside, the role's county's list."""
    from django.utils import timezone

    from dpf.jobs import outputs
    from dpf.jobs.kinds import Output
    from dpf.jobs.models import Job

    list_id = _payment_list_pk(world, role, inside)
    user = world.users.get(role)

    def make() -> Any:
        job = Job.objects.create(
            kind="workflow.signing_pdf",
            key=f"sample-file:{list_id}:{role}",
            params={"list_id": list_id, "township_code": "", "volume": 1},
            status="done",
            started_by=user,
            created_at=timezone.now(),
        )
        outputs.store(job, Output("sample", "sample.pdf", "application/pdf", b"%PDF-1.4 sample"))
        return job.pk

    return _cached(world, f"payment_file:{list_id}:{role}", make)


def _report_file_job(world: World, role: str, inside: bool) -> Any:
    """An evaluation report file: inside, one the role's own user asked for; outside, one
    another user asked for (a file is only ever offered to whoever started its job)."""
    from django.utils import timezone

    from dpf.jobs import outputs
    from dpf.jobs.kinds import Output
    from dpf.jobs.models import Job

    other = "county_officer" if role == "city_admin" else "city_admin"
    owner = world.users.get(role if inside else other)
    label = f"{role if inside else other}"

    def make() -> Any:
        job = Job.objects.create(
            kind="indicators.report",
            key=f"sample-report:{label}",
            params={"plan": "P14", "as_of": "2025-12-31", "region": "150400", "format": "pdf"},
            status="done",
            started_by=owner,
            created_at=timezone.now(),
        )
        outputs.store(job, Output("sample", "sample.pdf", "application/pdf", b"%PDF-1.4 sample"))
        return job.pk

    return _cached(world, f"report_file:{label}", make)


def _job_pk(world: World, role: str, inside: bool) -> Any:
    """A finished background job (jobs hold no personal data: one sample for every role)."""
    from django.utils import timezone

    from dpf.jobs.models import Job

    def make() -> Any:
        return Job.objects.create(
            kind="benefits.scan", key="sample", status="done", created_at=timezone.now()
        ).pk

    return _cached(world, "job", make)


def _course_pk(world: World, role: str, inside: bool) -> Any:
    """A training course of the county of the role's inside (or nearest outside) person."""
    from dpf.employment.models import TrainingCourse

    county = world.person(role, inside).county_code if role else "150402"

    def make() -> Any:
        return TrainingCourse.objects.create(
            name=f"样本培训{county}",
            kind="vocational",
            provider="样本培训机构",
            county_code=county,
            start=dt.date(2025, 3, 1),
            end=dt.date(2025, 3, 31),
            created_by=world.users["city_admin"],
        ).pk

    return _cached(world, f"course:{county}", make)


def _training_base_pk(world: World, role: str, inside: bool) -> Any:
    """A training base of the county of the role's inside (or nearest outside) person."""
    from dpf.employment.models import TrainingBase

    county = world.person(role, inside).county_code if role else "150402"

    def make() -> Any:
        return TrainingBase.objects.create(
            kind="base",
            name=f"样本培训基地{county}",
            county_code=county,
            operator="样本职业学校",
            trades="盲人保健按摩",
            capacity=50,
            valid_from=dt.date(2020, 1, 1),
            created_by=world.users["city_admin"],
        ).pk

    return _cached(world, f"training_base:{county}", make)


def _risk_case_pk(world: World, role: str, inside: bool) -> Any:
    """A return-to-poverty alert for the household of the role's inside (or outside) person."""
    from dpf.social.models import RiskCase

    person = world.person(role, inside)
    household_id = person.household_id
    assert household_id is not None

    def make() -> Any:
        return RiskCase.objects.create(
            household_id=household_id,
            person=person,
            rule_code="income_below_line",
            rule_name="家庭人均收入低于监测线",
            county_code=person.county_code,
            township_code=person.township_code,
            village_code=person.village_code,
            detected_on=dt.date(2026, 5, 10),
        ).pk

    return _cached(world, f"risk_case:{person.pk}", make)


def _staff_account_pk(world: World, role: str, inside: bool) -> Any:
    """A village worker's account in the village of the role's inside (or nearest outside)
    person: inside, the city admin and the county officer administer it."""
    village = world.person(role, inside).village_code if role else "150402001001"

    def make() -> Any:
        return make_user("village_worker", village).pk

    return _cached(world, f"staff_account:{village}", make)


def _volunteer_event_pk(world: World, role: str, inside: bool) -> Any:
    """A volunteer event in the township of the role's inside (or outside) person."""
    from dpf.social.models import VolunteerEvent

    person = world.person(role, inside)

    def make() -> Any:
        return VolunteerEvent.objects.create(
            title="样本志愿活动",
            county_code=person.county_code,
            township_code=person.township_code,
            meeting_place="样本集合地点",
            starts_at=dt.datetime(2026, 5, 12, 1, 0, tzinfo=dt.UTC),
            ends_at=dt.datetime(2026, 5, 12, 4, 0, tzinfo=dt.UTC),
            capacity=5,
        ).pk

    return _cached(world, f"volunteer_event:{person.township_code}", make)


def _organisation_pk(world: World, role: str, inside: bool) -> Any:
    """A social organisation in the township of the role's inside (or outside) person."""
    from dpf.social.models import SocialOrganisation

    person = world.person(role, inside)

    def make() -> Any:
        return SocialOrganisation.objects.create(
            name=f"样本社会组织{person.township_code}",
            credit_code=f"52{person.township_code}{person.pk:07d}"[:18],
            kind="service",
            county_code=person.county_code,
            township_code=person.township_code,
            registered_on=dt.date(2024, 1, 2),
        ).pk

    return _cached(world, f"organisation:{person.township_code}", make)


def _service_project_pk(world: World, role: str, inside: bool) -> Any:
    from dpf.social.models import ServiceProject, SocialOrganisation

    organisation = SocialOrganisation.objects.get(pk=_organisation_pk(world, role, inside))

    def make() -> Any:
        return ServiceProject.objects.create(
            organisation=organisation,
            title="样本购买服务",
            purchaser="样本残联",
            county_code=organisation.county_code,
            township_code=organisation.township_code,
            budget="1000",
            start=dt.date(2025, 1, 1),
            end=dt.date(2025, 12, 31),
        ).pk

    return _cached(world, f"service_project:{organisation.pk}", make)


def _facility_pk(world: World, role: str, inside: bool) -> Any:
    """A service facility in the township of the role's inside (or outside) person."""
    from dpf.social.models import Facility

    person = world.person(role, inside)

    def make() -> Any:
        return Facility.objects.create(
            name=f"样本康复中心{person.township_code}",
            kind="rehabilitation",
            county_code=person.county_code,
            township_code=person.township_code,
            floor_area="800",
            state="open",
            opening_year=2020,
        ).pk

    return _cached(world, f"facility:{person.township_code}", make)


def _culture_activity_pk(world: World, role: str, inside: bool) -> Any:
    """A culture activity of the county of the role's inside (or outside) person, with
    that person taking part."""
    from dpf.social.models import ActivityParticipation, CultureActivity

    person = world.person(role, inside)

    def make() -> Any:
        activity = CultureActivity.objects.create(
            title="样本文艺汇演",
            kind="art",
            held_on=dt.date(2025, 5, 18),
            place="样本文化馆",
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

    return _cached(world, f"culture_activity:{person.pk}", make)


def _legal_aid_pk(world: World, role: str, inside: bool) -> Any:
    """A legal aid referral of the role's inside (or outside) person."""
    from dpf.social.models import LegalAidReferral

    person = world.person(role, inside)

    def make() -> Any:
        return LegalAidReferral.objects.create(
            person=person,
            county_code=person.county_code,
            township_code=person.township_code,
            village_code=person.village_code,
            matter="employment",
            description="样本劳动争议",
            channel="window",
            referred_on=dt.date(2025, 9, 1),
            referred_to="样本法律援助中心",
        ).pk

    return _cached(world, f"legal_aid:{person.pk}", make)


def _guardian_claim_pk(world: World, role: str, inside: bool) -> Any:
    """A pending guardianship request about the role's inside (or nearest outside) person,
    with a stored proof (the proof route serves it)."""
    from dpf.portal.models import GuardianClaim
    from dpf.workflow import documents

    dependant = world.person(role, inside) if role else world.persons["in"]
    guardian = world.persons["in" if dependant.pk != world.persons["in"].pk else "village2"]

    def make() -> Any:
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
        checked = documents.check("proof.png", png)
        return GuardianClaim.objects.create(
            claimant=make_user("citizen", None),  # not the world's citizen: their page
            guardian=guardian,
            dependant=dependant,
            relation="parent",
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

    return _cached(world, f"guardian_claim:{dependant.pk}", make)


# (route-name prefix, parameter) -> sample; the first match wins. Scoped samples differ
# inside and outside a role's region; the others are the same value both times.
SAMPLES: list[tuple[str, str, Sample, bool]] = [
    ("", "person_id", _person_pk, True),
    ("", "household_id", _household_pk, True),
    ("", "certificate_id", _certificate_pk, True),
    ("registry:person", "pk", _person_pk, True),
    ("registry:household", "pk", _household_pk, True),
    ("registry:certificate", "pk", _certificate_pk, True),
    ("registry:survey", "year", _survey_year, False),
    ("indicators:", "code", _indicator_code, False),
    ("indicators:report_file", "job_id", _report_file_job, True),
    ("exchange:", "batch_id", _import_batch, True),
    ("exchange:", "outcome", _outcome, False),
    ("exchange:resolve", "suspect_id", _suspect, True),
    ("exchange:template", "code", _roster_code, False),
    ("workflow:application", "pk", _application_pk, True),
    ("workflow:notice", "pk", _application_pk, True),
    ("workflow:upload", "pk", _application_pk, True),
    ("workflow:withdraw", "pk", _application_pk, True),
    ("workflow:proposal_confirm", "pk", _application_pk, True),
    ("workflow:proposal_decline", "pk", _application_pk, True),
    ("workflow:decide", "pk", _application_item_pk, True),
    ("workflow:appeal", "pk", _application_item_pk, True),
    ("workflow:document", "pk", _document_pk, True),
    ("workflow:entitlement", "pk", _entitlement_pk, True),
    ("workflow:payment_", "pk", _payment_list_pk, True),
    ("workflow:payment_file", "job_id", _payment_file_job, True),
    ("workflow:review", "item_id", _work_item("review"), True),
    ("workflow:proposal_start", "item_id", _work_item("proposal"), True),
    ("workflow:payee_account", "account_id", _payee_account_pk, True),
    ("benefits:item", "item_id", _work_item("proposal"), True),
    ("portal:", "application_id", _application_pk, True),
    ("portal:appeal", "item_id", _application_item_pk, True),
    ("portal:", "request_id", _citizen_request_pk, True),
    ("employment:", "declaration_id", _declaration_pk, True),
    ("employment:", "employer_id", _employer_pk, True),
    ("employment:", "flag_id", _credit_flag_pk, True),
    ("employment:", "course_id", _course_pk, True),
    ("employment:", "base_id", _training_base_pk, True),
    ("employment:", "file_id", _graduate_file_pk, True),
    ("services:", "plan_id", _rehab_plan_pk, True),
    ("services:renovation_photo", "renovation_id", _renovation_photo_pk, True),
    ("services:renovation_photo", "number", lambda world, role, inside: 1, False),
    ("services:", "renovation_id", _renovation_pk, True),
    ("services:", "placement_id", _care_pk, True),
    ("services:", "institution_id", _institution_pk, True),
    ("services:device_item", "item_id", _device_item_pk, False),
    ("services:child_referral", "referral_id", _child_referral_pk, True),
    ("services:child_transition", "transition_id", _child_transition_pk, True),
    ("social:", "case_id", _risk_case_pk, True),
    ("social:", "event_id", _volunteer_event_pk, True),
    ("social:", "organisation_id", _organisation_pk, True),
    ("social:", "project_id", _service_project_pk, True),
    ("social:", "facility_id", _facility_pk, True),
    ("social:", "activity_id", _culture_activity_pk, True),
    ("social:", "referral_id", _legal_aid_pk, True),
    ("accounts:staff_account", "user_id", _staff_account_pk, True),
    ("portal:staff_guardian", "claim_id", _guardian_claim_pk, True),
    ("jobs:", "job_id", _job_pk, False),
    ("jobs:", "kind", lambda world, role, inside: "benefits.scan", False),
]


def _village_of(world: World, role: str, inside: bool) -> Any:
    return world.person(role, inside).village_code


def _township_of(world: World, role: str, inside: bool) -> Any:
    """The township of the role's person; inside, a village worker (whose scope is narrower
    than any township) reads its village. Outside, its own township is just outside."""
    person = world.person(role, inside)
    if inside and role == Role.VILLAGE_WORKER:
        return person.village_code
    return person.township_code


# Routes that name their records by a region in a query or form parameter rather than in
# the path (``?region=`` of the emergency priority list, and the region of its export in
# full): (route name, parameter, sample region inside/just outside each role's scope, the
# form fields of the POST that hands the records out). The matrix
# (``test_region_parameters_as_every_role_inside_and_outside``) reads and exports each one
# as every role, inside and outside.
REGION_PARAMETERS: list[tuple[str, str, Sample, dict[str, str]]] = [
    (
        "social:emergency",
        "region",
        sample,
        {"action": "export", "purpose": "防汛转移演练", "fmt": "xlsx"},
    )
    for sample in (_village_of, _township_of)
]


def sample_for(route: Route, param: str) -> tuple[Sample, bool] | None:
    for prefix, name, sample, scoped in SAMPLES:
        if name == param and route.name.startswith(prefix):
            return sample, scoped
    return None


def is_scoped(route: Route) -> bool:
    """Does the route name a record that lies in a region (a person, a household …)?"""
    found = [sample_for(route, p) for p in route.params]
    return bool(route.params) and all(found) and any(s[1] for s in found if s)


def url_kwargs(route: Route, world: World, role: str, inside: bool) -> dict[str, Any]:
    kwargs = {}
    for param in route.params:
        found = sample_for(route, param)
        value = found[0](world, role, inside) if found else None
        kwargs[param] = MISSING_ID if value is None else value
    return kwargs


def make_samples(world: World) -> None:
    """Make every sample record now (for each role, inside and outside), so that a world
    shared by several tests holds them all before the first test starts."""
    from dpf.jobs.runner import beat

    beat()  # a worker alive, so /health/ answers 200 (tests/jobs/test_health.py: the 503s)
    for route in walk():
        if route.api:
            continue
        for role in ["", *(str(r) for r in Role)]:
            for inside in (True, False):
                url_kwargs(route, world, role, inside)


def unsampled() -> list[str]:
    return sorted(
        f"{r.name}({p})" for r in walk() for p in r.params if sample_for(r, p) is None and not r.api
    )


def url_for(route: Route, kwargs: dict[str, Any]) -> str:
    """The path of ``route`` with ``kwargs`` (works for unnamed patterns too)."""
    if ":" in route.name or route.name.isidentifier():
        try:
            return reverse(route.name, kwargs=kwargs or None)
        except NoReverseMatch:
            pass
    path = route.pattern
    for param, value in kwargs.items():
        for conv in ("int:", "str:", "slug:", "uuid:", "path:", ""):
            path = path.replace(f"<{conv}{param}>", str(value))
    return "/" + path.lstrip("^").rstrip("$")
