"""The engine over the registry: one query for the whole registry, the two allowances for
real persons with their explanations, combining rules, the receiving hook, facts of one
person."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Exists, OuterRef

from dpf.registry import services
from dpf.registry.models import (
    Certificate,
    Employment,
    HouseholdStatus,
    InsuranceEnrolment,
    MedicalSettlement,
    NeedsSurvey,
    OutsidePayment,
    Person,
    Residence,
    SchoolEnrolment,
)
from dpf.registry.person_facts import person_status_set
from dpf.rules import compile_rule, facts_for_person
from dpf.rules.catalogue import (
    ATTRIBUTES,
    attribute_sources,
    receiving_sources,
    register_receiving_source,
    unregister_receiving_source,
)
from dpf.rules.facts import FACT_RELATIONS
from tests.factories import ensure_test_regions, make_person

pytestmark = pytest.mark.django_db

D = dt.date(2025, 12, 31)
LIVING = (
    'alive && certificate.valid && household.status == "dibao" && !in_destitute_care'
    ' && !receiving("work_injury_care") && !receiving("orphan_support")'
)
NURSING = (
    "alive && certificate.valid && certificate.level in [1, 2] && long_term_care_need"
    ' && !in_destitute_care && !receiving("work_injury_care")'
)
EVERYTHING = " && ".join(
    [
        '(age >= 0 || sex == "F" || birth_date < as_of)',
        "(certificate.valid || certificate.severe || certificate.level + certificate.category > 9)",
        '(household.status != "none" || in_destitute_care || in_region("150402"))',
        "(household.members > 0 || household.dibao_ended_days > 30"
        " || household.earner_lost_days > 30 || allowance_suspended_days > 1"
        " || household.medical_out_of_pocket_year > 1000 || alive)",
        "(long_term_care_need || in_school || survey.rehab_need || survey.device_need"
        " || survey.home_renovation_need || survey.care_need || survey.employment_wish)",
        '(survey.device_kind == "wheelchair" || survey.employment_status == "employed"'
        ' || survey.school_status == "enrolled" || survey.income_per_capita / 12 > 100'
        " || certificate.valid)",
        '(insured("pension") || receiving("orphan_support") || alive)',
    ]
)


def _person(village: str = "150402001001", birth: dt.date = dt.date(1980, 5, 17)) -> Person:
    household = services.household_create(actor=None, village_code=village)
    return make_person(village_code=village, birth=birth, household=household)


def _certify(person: Person, level: int, category: int = 4, since: dt.date = D) -> Certificate:
    return services.certificate_issue(
        actor=None,
        person=person,
        category=category,
        level=level,
        issue_date=since - dt.timedelta(days=400),
        valid_from=since - dt.timedelta(days=400),
        expires_on=since + dt.timedelta(days=3000),
    )


def _status(person: Person, status: str) -> None:
    assert person.household is not None
    services.household_status_set(
        actor=None, household=person.household, status=status, valid_from=dt.date(2020, 1, 1)
    )


def _survey(person: Person, **answers: object) -> None:
    NeedsSurvey.objects.create(person=person, year=2025, survey_date=dt.date(2025, 6, 1), **answers)


def _eligible(text: str) -> set[int]:
    return set(compile_rule(text).filter(Person.objects.all(), D).values_list("pk", flat=True))


@pytest.fixture
def people(regions: None) -> dict[str, Person]:
    """Persons each testing one part of the two allowances."""
    p: dict[str, Person] = {}
    p["dibao_level3"] = _person()
    _certify(p["dibao_level3"], 3)
    _status(p["dibao_level3"], "dibao")

    p["severe_care"] = _person()
    _certify(p["severe_care"], 1)
    _status(p["severe_care"], "low_income")
    _survey(p["severe_care"], long_term_care_need=True)

    p["severe_no_care"] = _person()
    _certify(p["severe_no_care"], 2)
    _survey(p["severe_no_care"], long_term_care_need=False)

    p["tekun"] = _person()
    _certify(p["tekun"], 1)
    _status(p["tekun"], "dibao")  # 特困 is the person's status, not the household's
    person_status_set(actor=None, person=p["tekun"], status="tekun", valid_from=dt.date(2020, 1, 1))
    _survey(p["tekun"], long_term_care_need=True)

    p["orphan"] = _person(birth=dt.date(2012, 3, 1))
    _certify(p["orphan"], 2)
    _status(p["orphan"], "dibao")
    _survey(p["orphan"], long_term_care_need=True)
    OutsidePayment.objects.create(
        person=p["orphan"], kind="orphan_support", valid_from=dt.date(2020, 1, 1)
    )

    p["work_injury"] = _person()
    _certify(p["work_injury"], 1)
    _status(p["work_injury"], "dibao")
    _survey(p["work_injury"], long_term_care_need=True)
    OutsidePayment.objects.create(
        person=p["work_injury"], kind="work_injury_care", valid_from=dt.date(2024, 1, 1)
    )

    p["expired"] = _person()
    cert = _certify(p["expired"], 1)
    Certificate.objects.filter(pk=cert.pk).update(valid_to=D - dt.timedelta(days=1))
    _status(p["expired"], "dibao")

    p["cancelled"] = _person()
    cert = _certify(p["cancelled"], 1)
    services.certificate_end(
        actor=None, certificate=cert, on=D, status="cancelled"
    )  # valid until the day before D
    _status(p["cancelled"], "dibao")

    p["dead"] = _person()
    _certify(p["dead"], 1)
    _status(p["dead"], "dibao")
    Person.objects.filter(pk=p["dead"].pk).update(death_date=D)

    p["no_certificate"] = _person()
    _status(p["no_certificate"], "dibao")
    return p


def test_living_allowance(people: dict[str, Person]) -> None:
    want = {people[k].pk for k in ("dibao_level3",)}
    assert _eligible(LIVING) == want


def test_a_cancelled_certificate_counts_until_its_cancellation(
    people: dict[str, Person],
) -> None:
    """History does not change afterwards: on the day before the cancellation the holder
    was certified, in the set-based query and in the one-person evaluation alike."""
    person = people["cancelled"]
    rule = compile_rule(LIVING)
    before, on = D - dt.timedelta(days=1), D
    by_sql = {
        day: set(rule.filter(Person.objects.all(), day).values_list("pk", flat=True))
        for day in (before, on)
    }
    assert person.pk in by_sql[before]
    assert person.pk not in by_sql[on]
    assert rule.evaluate(facts_for_person(person, before)).value is True
    assert rule.evaluate(facts_for_person(person, on)).value is False


def test_nursing_allowance(people: dict[str, Person]) -> None:
    want = {people[k].pk for k in ("severe_care", "orphan")}
    assert _eligible(NURSING) == want


def test_whole_registry_in_one_query(people: dict[str, Person], django_assert_num_queries) -> None:
    register_receiving_source(
        "test",
        sql=lambda code, d: Exists(InsuranceEnrolment.objects.filter(person_id=OuterRef("pk"))),
        python=lambda pid, code, d: InsuranceEnrolment.objects.filter(person_id=pid).exists(),
        codes=lambda: {"hooked"},
    )
    try:
        rule = compile_rule(EVERYTHING + ' && (receiving("hooked") || true)')
        assert rule.attributes >= set(ATTRIBUTES) - {"as_of"}
        with django_assert_num_queries(1):
            found = list(rule.filter(Person.objects.all(), D).values_list("pk", flat=True))
        expected = {
            p.pk for p in Person.objects.all() if rule.evaluate(facts_for_person(p, D)).value
        }
        assert set(found) == expected
        assert expected
        with django_assert_num_queries(1):
            list(Person.objects.filter(rule.q(D)).values_list("pk", flat=True))
    finally:
        unregister_receiving_source("test")


def test_explanation_of_the_nursing_allowance(people: dict[str, Person]) -> None:
    rule = compile_rule(NURSING)
    result = rule.evaluate(facts_for_person(people["severe_care"], D))
    assert result.value is True
    assert [c.text for c in result.clauses] == [
        "alive",
        "certificate.valid",
        "certificate.level in [1, 2]",
        "long_term_care_need",
        "!in_destitute_care",
        '!receiving("work_injury_care")',
    ]
    assert all(c.value for c in result.clauses)
    labels = [c.label_zh for c in result.clauses]
    assert "符合：残疾等级为一级或二级" in labels
    assert "符合：持有效残疾人证" in labels
    assert "符合：未领取工伤保险生活护理费" in labels
    assert "met: disability level is 1 or 2" in [c.label_en for c in result.clauses]

    tekun = rule.evaluate(facts_for_person(people["tekun"], D))
    assert tekun.value is False
    refused = [c for c in tekun.clauses if not c.value]
    assert [c.label_zh for c in refused] == ["不符合：特困供养人员"]


def test_explanation_of_the_living_allowance(people: dict[str, Person]) -> None:
    rule = compile_rule(LIVING)
    result = rule.evaluate(facts_for_person(people["severe_care"], D))
    assert result.value is False
    by_text = {c.text: c for c in result.clauses}
    assert by_text['household.status == "dibao"'].label_zh == "不符合：家庭非低保"
    assert by_text['household.status == "dibao"'].label_en.startswith("not met: household")
    orphan = rule.evaluate(facts_for_person(people["orphan"], D))
    assert [c.label_zh for c in orphan.clauses if not c.value] == ["不符合：领取孤儿基本生活保障"]


def test_rules_combine_with_or_and_filter_twice(people: dict[str, Person]) -> None:
    living, nursing = compile_rule(LIVING), compile_rule(NURSING)
    either = set(Person.objects.filter(living.q(D) | nursing.q(D)).values_list("pk", flat=True))
    assert either == _eligible(LIVING) | _eligible(NURSING)
    both = nursing.filter(living.filter(Person.objects.all(), D), D)
    assert set(both.values_list("pk", flat=True)) == _eligible(LIVING) & _eligible(NURSING)
    # the same rule on two dates in one query: aliases are named per date
    earlier = dt.date(2016, 1, 1)
    twice = living.filter(living.filter(Person.objects.all(), D), earlier)
    assert set(twice.values_list("pk", flat=True)) == set()


def test_dates_change_the_answer(people: dict[str, Person]) -> None:
    expired = people["expired"]
    rule = compile_rule("certificate.valid")
    assert expired.pk in set(
        rule.filter(Person.objects.all(), D - dt.timedelta(days=1)).values_list("pk", flat=True)
    )
    assert expired.pk not in _eligible("certificate.valid")
    assert rule.evaluate(facts_for_person(expired, D - dt.timedelta(days=1))).value
    assert not rule.evaluate(facts_for_person(expired, D)).value


def test_facts_of_one_person(
    people: dict[str, Person], django_assert_max_num_queries, django_assert_num_queries
) -> None:
    person = people["orphan"]
    Residence.objects.filter(person=person).update(valid_to=dt.date(2024, 12, 31))
    Residence.objects.create(
        person=person,
        county_code="150404",
        township_code="150404002",
        village_code="150404002001",
        valid_from=dt.date(2025, 1, 1),
    )
    InsuranceEnrolment.objects.create(person=person, kind="medical", valid_from=dt.date(2024, 1, 1))
    SchoolEnrolment.objects.create(person=person, school="一中", valid_from=dt.date(2024, 9, 1))
    NeedsSurvey.objects.filter(person=person).update(
        device_need="wheelchair", income_per_capita=Decimal("3000.50")
    )
    person = Person.objects.get(pk=person.pk)
    with django_assert_max_num_queries(9):
        facts = facts_for_person(person, D)
    # the household's members and the suspensions are read when a rule names them, once
    with django_assert_num_queries(2):
        assert (facts.household_members, facts.deferred["allowance_suspended_days"]) == (1, -1)
    with django_assert_num_queries(0):
        assert facts.household_members == 1
    with django_assert_num_queries(1):  # the household members' employment
        assert facts.household_earner_lost_days == -1
    with django_assert_num_queries(1):  # the household members' medical settlements
        assert facts.household_medical_out_of_pocket_year == 0
    assert facts.dibao_ended_days == -1
    assert facts.residence_region == "150404002001"
    assert facts.insured == frozenset({"medical"})
    assert facts.in_school
    assert facts.receiving == frozenset({"orphan_support"})
    assert facts.household_status == "dibao"
    assert not facts.in_destitute_care
    assert facts.certificate is not None
    assert facts.certificate.level == 2
    assert facts.survey["device_need"] == "wheelchair"
    assert facts.alive
    assert facts.long_term_care_need
    for text in (
        'in_region("150404") && !in_region("150402") && in_region("150404002001")',
        'survey.device_need && survey.device_kind == "wheelchair"',
        "survey.income_per_capita > 3000 && survey.income_per_capita / 2 == 1500.25",
        "age == 13",
    ):
        assert compile_rule(text).evaluate(facts).value, text
        assert person.pk in _eligible(text), text
    # prefetched relations cost no further query; each registered source of receiving()
    # costs one, and of an attribute (the benefits app's suspensions) one when it is read,
    # as the household's employment and medical settlements do (read here for ``again``,
    # already for ``facts``)
    prefetched = Person.objects.select_related("household").prefetch_related(*FACT_RELATIONS)
    one = prefetched.get(pk=person.pk)
    with django_assert_max_num_queries(len(receiving_sources())):
        again = facts_for_person(one, D)
    with django_assert_max_num_queries(len(attribute_sources()) + 2):
        assert again == facts


def test_unknown_facts_take_the_documented_defaults(regions: None) -> None:
    person = make_person()  # no household, certificate or survey
    facts = facts_for_person(person, D)
    defaults = {
        "certificate.level": 0,
        "certificate.category": 0,
        'household.status == "none"': True,
        "survey.income_per_capita": Decimal(-1),
        'survey.employment_status == ""': True,
        'survey.device_kind == ""': True,
    }
    for text, expected in defaults.items():
        if isinstance(expected, bool):
            assert compile_rule(text).evaluate(facts).value is expected
            assert (person.pk in _eligible(text)) is expected
        else:
            assert compile_rule(text, kind="number").evaluate_number(facts) == expected
            annotated = Person.objects.annotate(v=compile_rule(text, kind="number").expression(D))
            assert Decimal(annotated.get(pk=person.pk).v) == expected
    for text in ("!certificate.valid", "!survey.rehab_need", "!in_school", "!long_term_care_need"):
        assert compile_rule(text).evaluate(facts).value
        assert person.pk in _eligible(text)


def test_household_status_history(people: dict[str, Person]) -> None:
    person = people["dibao_level3"]
    assert person.household is not None
    services.household_status_set(
        actor=None, household=person.household, status="lifted", valid_from=D
    )
    rule = compile_rule('household.status == "dibao"')
    day_before = D - dt.timedelta(days=1)
    assert person.pk in set(
        rule.filter(Person.objects.all(), day_before).values_list("pk", flat=True)
    )
    assert person.pk not in _eligible('household.status == "dibao"')
    assert HouseholdStatus.objects.filter(household=person.household).count() == 2


def test_labels_do_not_depend_on_the_active_language(people: dict[str, Person]) -> None:
    from django.utils import translation

    rule = compile_rule(LIVING)
    facts = facts_for_person(people["severe_care"], D)
    with translation.override("en"):
        english_active = rule.evaluate(facts)
    assert english_active == rule.evaluate(facts)
    assert "不符合：家庭非低保" in [c.label_zh for c in english_active.clauses]


def test_a_long_rule_compiles_to_sql(people: dict[str, Person]) -> None:
    clauses = [f"age != {n}" for n in range(100, 400)] + ["certificate.valid"]
    rule = compile_rule(" && ".join(clauses))
    found = set(rule.filter(Person.objects.all(), D).values_list("pk", flat=True))
    expected = {p.pk for p in Person.objects.all() if rule.evaluate(facts_for_person(p, D)).value}
    assert found == expected
    assert found == _eligible("certificate.valid")  # nobody here is 100 or older


def test_household_members_and_dibao_ended_days_at_their_edges(db: None) -> None:
    """Living alone is one living member on the date (the day of a death the dead member no
    longer counts); 低保 ended counts the days from its last day, -1 while it lasts."""
    ensure_test_regions()
    alone = _person()
    household = alone.household
    assert household is not None
    partner = make_person(name="伴侣", household=household, village_code=alone.village_code)
    services.household_status_set(
        actor=None,
        household=household,
        status="dibao",
        valid_from=dt.date(2020, 1, 1),
        valid_to=D - dt.timedelta(days=30),
    )
    services.household_status_set(
        actor=None, household=household, status="none", valid_from=D - dt.timedelta(days=29)
    )
    Person.objects.filter(pk=partner.pk).update(death_date=D)
    rule = compile_rule(
        "alive && household.members == 1 && household.dibao_ended_days >= 1"
        " && household.dibao_ended_days <= 30"
    )
    day_before = D - dt.timedelta(days=1)
    assert set(rule.filter(Person.objects.all(), D).values_list("pk", flat=True)) == {alone.pk}
    assert not rule.filter(Person.objects.all(), day_before).exists()  # two alive then
    assert not rule.filter(Person.objects.all(), D + dt.timedelta(days=1)).exists()  # 31 days
    person = Person.objects.get(pk=alone.pk)
    facts = facts_for_person(person, D)
    assert (facts.household_members, facts.dibao_ended_days) == (1, 30)
    on_last_day = facts_for_person(person, D - dt.timedelta(days=30))
    assert (on_last_day.household_members, on_last_day.dibao_ended_days) == (2, -1)
    without = make_person(name="无户")
    Person.objects.filter(pk=without.pk).update(household=None)
    without = Person.objects.get(pk=without.pk)
    assert facts_for_person(without, D).household_members == 0
    assert not rule.filter(Person.objects.filter(pk=without.pk), D).exists()


def test_household_earner_lost_days_at_its_edges(db: None) -> None:
    """The days since the household's last earner stopped working: -1 on the last day of the
    employment, 1 the day after; a member employed on the date (a job starting on it
    included) makes it -1, a member dead on the date does not: the job left open at the
    death ended the day before it; a job starting later does not count before it starts;
    -1 without a household or when no employment ever ended."""
    ensure_test_regions()
    person = _person()
    household = person.household
    assert household is not None
    earner = make_person(name="挣钱", household=household, village_code=person.village_code)
    late = make_person(name="去世", household=household, village_code=person.village_code)
    lost = D - dt.timedelta(days=30)
    Employment.objects.create(
        person=earner, kind="flexible", valid_from=dt.date(2020, 1, 1), valid_to=lost
    )
    Employment.objects.create(  # a new job five days after D
        person=earner, kind="concentrated", valid_from=D + dt.timedelta(days=5)
    )
    Employment.objects.create(  # left open by a member who died on D
        person=late, kind="agricultural", valid_from=D - dt.timedelta(days=10)
    )
    Person.objects.filter(pk=late.pk).update(death_date=D)
    alone = make_person(name="无户", village_code=person.village_code)
    Person.objects.filter(pk=alone.pk).update(household=None)
    Employment.objects.create(
        person=alone, kind="flexible", valid_from=dt.date(2020, 1, 1), valid_to=lost
    )
    never = _person()  # a member whose only job starts after D: none ended
    Employment.objects.create(person=never, kind="flexible", valid_from=D + dt.timedelta(days=1))
    number = compile_rule("household.earner_lost_days", kind="number")

    def days(as_of: dt.date) -> dict[int, int]:
        rows = Person.objects.annotate(n=number.expression(as_of)).values_list("pk", "n")
        in_sql = dict(rows)
        in_python = {
            p.pk: facts_for_person(p, as_of).household_earner_lost_days
            for p in Person.objects.all()
        }
        assert in_sql == in_python, as_of
        return {pk: in_sql[pk] for pk in (person.pk, earner.pk, alone.pk, never.pk)}

    day = dt.timedelta(days=1)
    # the member who died on D worked until D - 1: the death day is the first without
    assert days(D) == {person.pk: 1, earner.pk: 1, alone.pk: -1, never.pk: -1}
    assert days(D - day)[person.pk] == -1  # the member who died on D still worked
    assert days(lost - day)[person.pk] == -1
    assert days(lost)[person.pk] == -1  # the employment's last day
    assert days(lost + day)[person.pk] == 1
    assert days(D + 4 * day)[person.pk] == 5
    assert days(D + 5 * day)[person.pk] == -1  # the new job's first day
    rule = compile_rule("household.earner_lost_days >= 1 && household.earner_lost_days <= 4")
    found = set(rule.filter(Person.objects.all(), D + 3 * day).values_list("pk", flat=True))
    assert found == {person.pk, earner.pk, late.pk}  # the household's members, the dead too
    assert not rule.filter(Person.objects.all(), D + 4 * day).exists()  # 5 days


def test_household_earner_lost_days_when_the_only_earner_dies(db: None) -> None:
    """The only earner dies with the job still open: the job ends the day before the death,
    so the count is 1 on the day of death; a job that ended before the death keeps its end,
    a job starting on or after the death day never ran (it counts neither as work nor as an
    end)."""
    ensure_test_regions()
    person = _person()
    household = person.household
    assert household is not None
    earner = make_person(name="挣钱", household=household, village_code=person.village_code)
    died = D - dt.timedelta(days=10)
    Employment.objects.create(person=earner, kind="flexible", valid_from=dt.date(2020, 1, 1))
    Employment.objects.create(  # registered after the death by mistake: never ran
        person=earner, kind="agricultural", valid_from=died
    )
    Person.objects.filter(pk=earner.pk).update(death_date=died)
    other = _person()  # ended a week before the death: keeps its end
    other_earner = make_person(
        name="早停", household=other.household, village_code=other.village_code
    )
    Employment.objects.create(
        person=other_earner,
        kind="flexible",
        valid_from=dt.date(2020, 1, 1),
        valid_to=died - dt.timedelta(days=7),
    )
    Person.objects.filter(pk=other_earner.pk).update(death_date=died)
    number = compile_rule("household.earner_lost_days", kind="number")

    def days(as_of: dt.date) -> tuple[int, int]:
        in_sql = dict(Person.objects.annotate(n=number.expression(as_of)).values_list("pk", "n"))
        in_python = {
            p.pk: facts_for_person(p, as_of).household_earner_lost_days
            for p in Person.objects.all()
        }
        assert in_sql == in_python, as_of
        return in_sql[person.pk], in_sql[other.pk]

    day = dt.timedelta(days=1)
    assert days(died - day) == (-1, 6)
    assert days(died) == (1, 7)
    assert days(D) == (11, 17)
    assert days(died - dt.timedelta(days=400)) == (-1, -1)


def test_household_medical_out_of_pocket_year_at_its_edges(db: None) -> None:
    """The out-of-pocket amounts of the household's settlements dated D - 364 ... D: the
    year's first and last day count, the day before it and the day after D do not; a dead
    member's bills count; a person without a household has their own; what the insurance
    and the assistance paid never counts."""
    ensure_test_regions()
    person = _person()
    household = person.household
    assert household is not None
    member = make_person(name="病人", household=household, village_code=person.village_code)
    alone = make_person(name="无户", village_code=person.village_code)
    Person.objects.filter(pk=alone.pk).update(household=None)
    first = D - dt.timedelta(days=364)

    def settle(who: Person, number: str, on: dt.date, own: str, paid: str = "0") -> None:
        MedicalSettlement.objects.create(
            person=who,
            settlement_no=number,
            settled_on=on,
            total=Decimal(own) + Decimal(paid),
            reimbursed=Decimal(paid),
            assistance=Decimal(0),
            out_of_pocket=Decimal(own),
        )

    settle(person, "1", first, "100.10", paid="900")
    settle(member, "2", D, "2000.25")
    settle(member, "3", first - dt.timedelta(days=1), "5000")
    settle(member, "4", D + dt.timedelta(days=1), "7000")
    settle(alone, "5", D, "0.01")
    Person.objects.filter(pk=member.pk).update(death_date=D - dt.timedelta(days=100))
    number = compile_rule("household.medical_out_of_pocket_year", kind="number")

    def amounts(as_of: dt.date) -> dict[int, Decimal]:
        rows = Person.objects.annotate(n=number.expression(as_of)).values_list("pk", "n")
        in_sql = dict(rows)
        in_python = {
            p.pk: facts_for_person(p, as_of).household_medical_out_of_pocket_year
            for p in Person.objects.all()
        }
        assert in_sql == in_python, as_of
        return {pk: in_sql[pk] for pk in (person.pk, member.pk, alone.pk)}

    day = dt.timedelta(days=1)
    assert amounts(D) == {
        person.pk: Decimal("2100.35"),
        member.pk: Decimal("2100.35"),
        alone.pk: Decimal("0.01"),
    }
    assert amounts(D - day)[person.pk] == Decimal("5100.10")  # settlement 3's last day
    assert amounts(D + day)[person.pk] == Decimal("9000.25")  # settlement 1 left the year
    assert amounts(first - day)[person.pk] == Decimal("5000")
    rule = compile_rule("household.medical_out_of_pocket_year >= 2100.35")
    found = set(rule.filter(Person.objects.all(), D).values_list("pk", flat=True))
    assert found == {person.pk, member.pk}
    assert (
        not compile_rule("household.medical_out_of_pocket_year > 2100.35")
        .filter(Person.objects.all(), D)
        .exists()
    )
