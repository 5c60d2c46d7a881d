"""The synthetic Chifeng registry: one 600-person registry (fixed seed) checked many ways.

The registry is generated once for the module inside a transaction that is rolled back
at the end; each test runs in a savepoint inside it.

Tolerances: the generator stratifies the headline shares (category, severity, household
status), so they land within a point or two of the target even for 600 people; shares it
draws independently (ethnicity, age) get about four standard errors of a 600-sample.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Count, Q

from dpf.core.idnumber import parse_id_number
from dpf.core.models import Region, RegionLevel
from dpf.demo import population, services
from dpf.demo.places import COUNTIES, villages_by_county
from dpf.registry.models import (
    Certificate,
    GuardianLink,
    Household,
    HouseholdStatus,
    InsuranceEnrolment,
    NeedsSurvey,
    OutsidePayment,
    Person,
    Residence,
    SchoolEnrolment,
)
from dpf.registry.services import certificate_lookup_hash, id_lookup_hash

PERSONS = 600
SEED = 7
REF = dt.date(2025, 12, 31)

# Targets from DOMAIN.md and the plan, written out here rather than read from the code.
CATEGORY_TARGETS = {
    4: 0.2907,
    2: 0.2416,
    7: 0.1630,
    1: 0.1486,
    6: 0.0740,
    5: 0.0668,
    3: 0.0153,
}
SEVERE_TARGET = 69_000 / 200_000
DIBAO_TARGET = 87_000 / 200_000
MONGOLIAN_TARGET = 814_000 / 4_035_967
CHIFENG_COUNTIES = {
    "150402", "150403", "150404", "150421", "150422", "150423",
    "150424", "150425", "150426", "150428", "150429", "150430",
}  # fmt: skip
# (streets, towns, townships, sumu) per county, 2023 statistical code set (DOMAIN.md).
TOWNSHIP_UNITS = {
    "150402": 13, "150403": 12, "150404": 22, "150421": 16, "150422": 13, "150423": 11,
    "150424": 11, "150425": 16, "150426": 16, "150428": 11, "150429": 18, "150430": 18,
}  # fmt: skip
CENSUS = {"150404": 706_300, "150402": 469_100, "150430": 449_000, "150403": 285_000}
CITY_POPULATION = 4_035_967
OTHER_KNOWN = 187_000  # 林西


@pytest.fixture(scope="module")
def registry(django_db_setup: Any, django_db_blocker: Any) -> Iterator[services.GenerationResult]:
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield services.demo_generate(persons=PERSONS, seed=SEED)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


pytestmark = pytest.mark.usefixtures("registry", "db")


def disabled_people() -> Any:
    return Person.objects.filter(pk__in=Certificate.objects.values("person_id"))


def latest_certificates() -> Any:
    """Each certified person's latest certificate (no later row replaces it)."""
    return Certificate.objects.filter(replaced_by__isnull=True)


def assert_no_overlap(rows: Iterable[tuple[Any, dt.date, dt.date | None]], what: str) -> int:
    """Rows are (key, valid_from, valid_to); no two rows of one key may share a day."""
    by_key: dict[Any, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for key, start, end in rows:
        by_key[key].append((start, end or dt.date.max))
    for key, spans in by_key.items():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start > end, f"overlapping {what} for {key}"
    return sum(len(v) for v in by_key.values())


def test_the_run_reports_what_it_wrote(registry: services.GenerationResult) -> None:
    assert registry.persons == PERSONS
    assert disabled_people().count() == PERSONS
    assert Person.objects.count() == PERSONS + registry.relatives
    assert registry.rows["registry_person"] == Person.objects.count()
    assert Person.objects.filter(synthetic=False).count() == 0
    assert Household.objects.filter(synthetic=False).count() == 0
    assert Household.objects.count() == PERSONS


def test_invented_township_tree_under_the_real_counties() -> None:
    counties = Region.objects.filter(code__in=CHIFENG_COUNTIES, level=RegionLevel.COUNTY)
    assert counties.count() == 12
    assert not counties.filter(synthetic=True).exists()  # the shipped rows are untouched
    assert counties.get(code="150402").name == "红山区"
    townships = Region.objects.filter(level=RegionLevel.TOWNSHIP, code__startswith="1504")
    assert townships.count() == 177
    per_county = Counter(code[:6] for code in townships.values_list("code", flat=True))
    assert per_county == TOWNSHIP_UNITS
    assert not townships.filter(synthetic=False).exists()
    for code, parent in townships.values_list("code", "parent_id"):
        assert len(code) == 9
        assert code.startswith(parent)
        assert code[6:] >= "001"
    villages = Region.objects.filter(level=RegionLevel.VILLAGE, code__startswith="1504")
    per_township = Counter(code[:9] for code in villages.values_list("code", flat=True))
    assert set(per_township) == set(townships.values_list("code", flat=True))
    assert all(2 <= n <= 10 for n in per_township.values())
    assert not villages.filter(synthetic=False).exists()  # invented names are marked
    names = list(townships.values_list("name", flat=True))
    assert all(n.endswith(("街道", "镇", "乡", "苏木")) for n in names)
    assert sum(n.endswith("苏木") for n in names) == 19  # the sumu of the table


def test_every_id_number_is_valid_with_a_real_address_code() -> None:
    rows = list(Person.objects.values_list("id_number", "id_number_hash", "sex", "birth_date"))
    codes: Counter[str] = Counter()
    for number, digest, sex, birth in rows:
        parsed = parse_id_number(number, today=REF)
        assert parsed.normalized == number
        assert parsed.sex == sex
        assert parsed.birth_date == birth
        assert digest == id_lookup_hash(number)
        codes[number[:6]] += 1
    chifeng = sum(n for code, n in codes.items() if code in CHIFENG_COUNTIES)
    elsewhere = set(codes) - CHIFENG_COUNTIES
    # Most people carry a Chifeng county code; a few came from elsewhere, with real codes.
    assert chifeng / len(rows) > 0.9
    assert elsewhere <= {
        "150102", "150203", "150502", "150602", "150702", "150902", "152502",
        "130828", "211302", "211381", "210902", "110105", "220102",
    }  # fmt: skip
    assert len({r[1] for r in rows}) == len(rows)


def test_personal_data_is_stored_encrypted_and_masked() -> None:
    person = Person.objects.exclude(phone="").first()
    assert person is not None
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone FROM registry_person WHERE id = %s", [person.pk])
        stored_id, stored_phone = cur.fetchone()
    assert person.id_number not in stored_id
    assert person.phone not in stored_phone
    assert person.id_number_masked == person.id_number[:6] + "********" + person.id_number[-4:]
    assert person.phone.startswith("100")
    assert len(person.phone) == 11


def test_certificate_numbers_embed_id_category_and_level() -> None:
    for cert in Certificate.objects.select_related("person")[:200]:
        assert cert.number == f"{cert.person.id_number}{cert.category}{cert.level}"
        assert cert.number_hash == certificate_lookup_hash(cert.number)
        assert cert.expires_on >= cert.valid_from
        assert cert.valid_to is not None
        assert cert.valid_to <= cert.expires_on


def test_category_shares_match_the_national_survey() -> None:
    latest = latest_certificates()
    assert latest.count() == PERSONS  # one latest certificate per person
    counts = Counter(latest.values_list("category", flat=True))
    for category, target in CATEGORY_TARGETS.items():
        assert abs(counts[category] / PERSONS - target) < 0.015, category


def test_severe_share_is_the_plans_69000_of_200000() -> None:
    severe = latest_certificates().filter(level__lte=2).count() / PERSONS
    assert abs(severe - SEVERE_TARGET) < 0.015


def test_dibao_share_is_the_plans_87000_of_200000() -> None:
    on_ref = HouseholdStatus.objects.filter(valid_from__lte=REF).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=REF)
    )
    assert on_ref.count() == PERSONS  # every household has a status on the reference date
    dibao = on_ref.filter(status="dibao").count() / PERSONS
    assert abs(dibao - DIBAO_TARGET) < 0.015
    statuses = set(on_ref.values_list("status", flat=True))
    assert {"dibao", "tekun", "dibao_edge", "monitored", "lifted", "none"} <= statuses


def test_counties_are_sized_by_census_population() -> None:
    per_county = Counter(disabled_people().values_list("county_code", flat=True))
    assert set(per_county) == CHIFENG_COUNTIES
    for code, residents in CENSUS.items():
        assert abs(per_county[code] - PERSONS * residents / CITY_POPULATION) <= 1, code
    rest = (CITY_POPULATION - sum(CENSUS.values()) - OTHER_KNOWN) / 7
    assert abs(per_county["150421"] - PERSONS * rest / CITY_POPULATION) <= 1
    assert per_county["150404"] > per_county["150402"] > per_county["150424"]


def test_people_look_like_chifengs_disabled_population() -> None:
    people = disabled_people()
    ethnic = Counter(people.values_list("ethnicity", flat=True))
    assert set(ethnic) <= {"汉族", "蒙古族", "满族", "回族"}
    assert abs(ethnic["蒙古族"] / PERSONS - MONGOLIAN_TARGET) < 0.065
    ages = [
        REF.year - b.year - ((REF.month, REF.day) < (b.month, b.day))
        for b in people.values_list("birth_date", flat=True)
    ]
    assert 0.45 < sum(a >= 60 for a in ages) / PERSONS < 0.60  # older-skewed
    assert any(a < 16 for a in ages)
    assert max(ages) <= 100
    assert min(ages) >= 1
    names = list(Person.objects.values_list("name", flat=True))
    surnames = Counter(n[0] for n in names)
    assert {s for s, _ in surnames.most_common(6)} & {"王", "李", "张", "刘"} == {
        "王", "李", "张", "刘"
    }  # fmt: skip
    assert any(n in ("巴特尔", "其其格", "乌兰", "额尔敦", "苏和", "乌云", "斯琴") for n in names)
    sexes = Counter(people.values_list("sex", flat=True))
    assert 0.45 < sexes["M"] / PERSONS < 0.58


def test_households_have_a_head_who_lives_there() -> None:
    households = Household.objects.annotate(n=Count("members"))
    assert not households.filter(head__isnull=True).exists()
    assert all(1 <= n <= 5 for n in households.values_list("n", flat=True))
    for hh in Household.objects.select_related("head")[:100]:
        assert hh.head is not None
        assert hh.head.household_id == hh.pk
        assert hh.head.relation_to_head == "head"
        assert hh.head.village_code == hh.village_code
    assert Person.objects.exclude(relation_to_head="head").exists()


def test_no_fact_overlaps_another_of_its_kind() -> None:
    assert_no_overlap(
        Certificate.objects.values_list("person_id", "valid_from", "valid_to"), "certificates"
    )
    assert_no_overlap(
        HouseholdStatus.objects.values_list("household_id", "valid_from", "valid_to"),
        "statuses",
    )
    assert_no_overlap(
        Residence.objects.values_list("person_id", "valid_from", "valid_to"), "residences"
    )
    assert_no_overlap(
        (
            ((p, k), f, t)
            for p, k, f, t in InsuranceEnrolment.objects.values_list(
                "person_id", "kind", "valid_from", "valid_to"
            )
        ),
        "insurance",
    )
    assert_no_overlap(
        SchoolEnrolment.objects.values_list("person_id", "valid_from", "valid_to"), "schools"
    )
    assert_no_overlap(
        (
            ((g, d), f, t)
            for g, d, f, t in GuardianLink.objects.values_list(
                "guardian_id", "dependant_id", "valid_from", "valid_to"
            )
        ),
        "guardians",
    )
    # Every person has a residence from birth or a move, and lives now where Person says.
    current = dict(
        Residence.objects.filter(valid_to__isnull=True).values_list("person_id", "village_code")
    )
    for pk, village, death in Person.objects.values_list("pk", "village_code", "death_date"):
        if death is None:
            assert current[pk] == village


def test_certificate_histories_exist() -> None:
    statuses = Counter(Certificate.objects.values_list("status", "end_reason"))
    regrades = Certificate.objects.filter(status="replaced", end_reason="重新评定")
    assert regrades.exists()
    for old in regrades[:20]:
        new = Certificate.objects.get(replaces=old)
        assert old.valid_to is not None
        assert new.valid_from == old.valid_to + dt.timedelta(days=1)
        assert (new.category, new.level) != (old.category, old.level)
    renewed = Certificate.objects.filter(replaces__isnull=False).exclude(
        replaces__end_reason="重新评定"
    )
    assert renewed.exists()
    for new in renewed.select_related("replaces")[:20]:
        assert new.replaces is not None
        assert new.valid_from > new.replaces.expires_on
        assert (new.category, new.level) == (new.replaces.category, new.replaces.level)
    expired_for_good = latest_certificates().filter(status="expired", valid_to__lt=REF)
    assert expired_for_good.exists()
    assert statuses[("cancelled", "持证人死亡")] > 0
    assert any(s == "cancelled" and r != "持证人死亡" for s, r in statuses)
    # Ten years' validity from the day of issue.
    for cert in Certificate.objects.all()[:50]:
        assert cert.expires_on == population.add_years(cert.valid_from, 10) - dt.timedelta(days=1)
    assert not Certificate.objects.filter(valid_from__lt=dt.date(2012, 1, 1)).exists()
    assert not Certificate.objects.filter(valid_from__gt=REF).exists()


def test_deaths_end_the_certificate_and_the_facts() -> None:
    dead = Person.objects.filter(death_date__isnull=False)
    assert 0.03 < dead.count() / PERSONS < 0.2
    for person in dead.prefetch_related("certificates", "insurances", "surveys"):
        died = person.death_date
        assert died is not None
        assert died <= REF
        last = max(person.certificates.all(), key=lambda c: c.valid_from)
        assert last.valid_to is not None
        assert last.valid_to <= died
        for row in person.insurances.all():
            assert row.valid_to is not None
            assert row.valid_to <= died
        assert all(s.survey_date < died for s in person.surveys.all())


def test_household_status_changes_over_time() -> None:
    changed = HouseholdStatus.objects.values("household").annotate(n=Count("id")).filter(n__gt=1)
    assert changed.count() > PERSONS * 0.1
    assert not HouseholdStatus.objects.filter(valid_from__lt=dt.date(2016, 1, 1)).exists()
    lifted = HouseholdStatus.objects.filter(status="lifted").values_list("valid_from", flat=True)
    assert all(d <= dt.date(2020, 12, 31) for d in lifted)


def test_insurance_payments_school_and_guardians() -> None:
    people = PERSONS
    medical = InsuranceEnrolment.objects.filter(kind="medical").values("person").distinct()
    assert medical.count() / people > 0.93
    pension = InsuranceEnrolment.objects.filter(kind="pension").select_related("person")
    assert pension.exists()
    assert all(row.valid_from >= population.add_years(row.person.birth_date, 16) for row in pension)
    assert pension.filter(government_paid=True).exists()
    assert OutsidePayment.objects.exists()
    # Children of compulsory-school age: nearly all enrolled, some taught at home.
    children = [
        p
        for p in disabled_people().filter(death_date__isnull=True)
        if 7 <= population.age_on(p.birth_date, REF) <= 15
    ]
    enrolled = SchoolEnrolment.objects.filter(
        person__in=children, valid_to__isnull=True
    ).values_list("person_id", flat=True)
    assert len(set(enrolled)) >= 0.85 * len(children)
    # Minors have a guardian, who is a member of their household.
    for child in disabled_people().filter(birth_date__gt=dt.date(2008, 1, 1))[:30]:
        link = GuardianLink.objects.filter(dependant=child).select_related("guardian").first()
        assert link is not None
        assert link.guardian.household_id == child.household_id
    assert GuardianLink.objects.filter(
        dependant__certificates__category__in=[5, 6],
        dependant__birth_date__lt=dt.date(2000, 1, 1),
    ).exists()


def test_needs_surveys_2021_to_2025() -> None:
    surveys = NeedsSurvey.objects.all()
    years = Counter(surveys.values_list("year", flat=True))
    assert set(years) == {2021, 2022, 2023, 2024, 2025}
    assert years[2025] > 0.75 * PERSONS  # most people, every year
    for s in surveys.select_related("person")[:300]:
        assert s.survey_date.year == s.year
        assert s.income_per_capita is not None
        assert s.income_per_capita >= 0
        assert s.income_per_capita == s.income_per_capita.quantize(s.income_per_capita)
        age = population.age_on(s.person.birth_date, s.survey_date)
        if age < 16:
            assert s.employment_status == "na"
        if not 6 <= age <= 15:
            assert s.school_status == "na"
    severe_2025 = surveys.filter(
        year=2025, person__certificates__level__lte=2, person__certificates__valid_to__gte=REF
    )
    share = severe_2025.filter(long_term_care_need=True).count() / max(1, severe_2025.count())
    assert share > 0.6  # long-term care need for most of the severely disabled
    assert surveys.filter(rehab_need=True).exists()
    assert surveys.exclude(device_need="").exists()
    assert surveys.filter(employment_status="employed").exists()

    # 低保 households report lower incomes than households with no status.
    def incomes(status: str) -> list[Decimal]:
        rows = surveys.filter(
            year=2025,
            person__household__statuses__status=status,
            person__household__statuses__valid_to__isnull=True,
        ).values_list("income_per_capita", flat=True)
        return [x for x in rows if x is not None]

    dibao, none = incomes("dibao"), incomes("none")
    assert dibao
    assert none
    assert sum(dibao) / len(dibao) < sum(none) / len(none)


def test_same_seed_gives_the_same_people() -> None:
    first = list(Person.objects.order_by("pk").values_list("name", "birth_date", "village_code"))
    Person.objects.all().delete()
    Household.objects.all().delete()
    again = services.demo_generate(persons=PERSONS, seed=SEED)
    assert again.regions_created == 0  # the invented tree is reused, not duplicated
    second = list(Person.objects.order_by("pk").values_list("name", "birth_date", "village_code"))
    assert second == first


def test_another_seed_gives_other_people() -> None:
    villages = villages_by_county()["150402"]
    ctx = population.ChunkContext("150402", "红山区", villages, villages, 0.2)
    one = population.draw_chunk(seed=1, start=0, count=50, context=ctx, strata=population.Strata(1))
    two = population.draw_chunk(seed=2, start=0, count=50, context=ctx, strata=population.Strata(2))
    assert [p.person.name for p in one] != [p.person.name for p in two]


# The registry this module's seed and size gave with the ``bulk_create`` writer (computed
# with ``registry_digest`` at commit c9af1d7, before ``dpf.core.bulk.insert_rows``; the same on
# SQLite and PostgreSQL, and independent of the keys). A change to the drawing
# (population.py) changes it on purpose: recompute it then from the commit before the
# change, never from the changed code.
REGISTRY_DIGEST = "2a3d069f63f8b10165f2fad6ab2ac7890af2e39e621770690fa43a2b323bc329"
REGISTRY_TABLES: tuple[Any, ...] = (
    Household,
    Person,
    Residence,
    Certificate,
    HouseholdStatus,
    InsuranceEnrolment,
    OutsidePayment,
    SchoolEnrolment,
    GuardianLink,
    NeedsSurvey,
)
# Set at insert time, not drawn: a run's clock, not its data.
CLOCK_COLUMNS = {"created_at", "updated_at", "recorded_at", "changed_at"}
HASHED = {
    "id_number_hash": ("id_number", id_lookup_hash),
    "number_hash": ("number", certificate_lookup_hash),
}


def registry_digest() -> str:
    """SHA-256 over every registry table's rows in id order: personal data decrypted, ids
    and foreign keys replaced by the row's position in its table (the sequences of a rolled
    back run move on on PostgreSQL), each look-up hash checked against its value."""
    import hashlib

    position = {
        model: {
            pk: n for n, pk in enumerate(model.objects.order_by("pk").values_list("pk", flat=True))
        }
        for model in REGISTRY_TABLES
    }
    digest = hashlib.sha256()
    for model in REGISTRY_TABLES:
        fields = [
            f
            for f in model._meta.concrete_fields
            if not f.primary_key and f.name not in CLOCK_COLUMNS
        ]
        names = [f.attname for f in fields]
        digest.update(f"{model._meta.db_table}:{','.join(names)}\n".encode())
        for row in model.objects.order_by("pk").values_list(*names):
            values = dict(zip(names, row, strict=True))
            for column, (plain, lookup) in HASHED.items():
                if column in values:
                    assert values[column] == lookup(values[plain]), (model, column)
                    values[column] = "hash checked"  # the value depends on the hash key
            for f in fields:
                if f.is_relation and values[f.attname] is not None and f.related_model in position:
                    values[f.attname] = position[f.related_model][values[f.attname]]
            digest.update(
                repr([str(v) if v is not None else None for v in values.values()]).encode()
            )
            digest.update(b"\n")
    return digest.hexdigest()


def test_the_registry_is_the_one_the_seed_gave_before() -> None:
    """Every row of every registry table, as the ``bulk_create`` writer wrote this seed."""
    assert registry_digest() == REGISTRY_DIGEST


def test_inserts_are_one_write_per_table_and_chunk() -> None:
    """Rows go in with one write per table and chunk (``dpf.core.bulk``), never one
    statement per person: on SQLite one ``executemany`` INSERT, on PostgreSQL a ``COPY``
    (on the driver's cursor, which Django's query log does not see: no INSERT at all)."""
    from django.test.utils import CaptureQueriesContext

    persons = 240  # one chunk per county
    with CaptureQueriesContext(connection) as run:
        result = services.demo_generate(persons=persons, seed=11)
    inserts: Counter[str] = Counter()
    for query in run.captured_queries:
        written = re.match(r'(?:\d+ times: )?INSERT INTO "?(\w+)"?', query["sql"].lstrip(), re.I)
        if written:
            inserts[written[1].lower()] += 1
    for table in (
        "registry_person",
        "registry_household",
        "registry_certificate",
        "registry_residence",
        "registry_householdstatus",
        "registry_needssurvey",
    ):
        assert result.rows[table] >= persons / 2, table
        chunks = len(COUNTIES) if connection.vendor == "sqlite" else 0
        assert inserts[table] == chunks, (table, inserts)
    assert len(run) < persons  # nothing runs once per person


def test_a_demo_person_is_found_by_id_name_and_pinyin() -> None:
    """Issue 2's "done": on the demo data, the staff search finds a person three ways."""
    from dpf.registry.search_selectors import search_persons
    from tests.factories import make_user

    person = disabled_people().filter(death_date__isnull=True).order_by("pk").first()
    assert person is not None
    officer = make_user("county_officer", person.county_code)
    for query in (person.id_number, person.id_number.lower(), person.name, person.name_initials):
        page = search_persons(officer, query=query, per_page=100)
        assert person.pk in {row.pk for row in page.rows}, query
    by_id = search_persons(officer, query=person.id_number)
    assert [row.pk for row in by_id.rows] == [person.pk]
