"""Staff account administration (issue 17 part 3): the services.

Each refusal is the attack itself, performed through the service: it must be refused with
its own code, in both languages, and leave nothing written (no account, no change, no
audit entry of a change).
"""

from __future__ import annotations

import json

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from dpf.accounts import administration as admin
from dpf.accounts.backends import AccountBackend
from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import DomainError, NotFound, ValidationFailed
from dpf.core.models import AuditEntry
from dpf.services.models import Institution
from tests.factories import make_user

pytestmark = pytest.mark.django_db

HONGSHAN, SONGSHAN = "150402", "150404"
HONGSHAN_TOWNSHIP, SONGSHAN_TOWNSHIP = "150402001", "150404002"


def authenticate(*, username: str, password: str) -> User | None:
    """The password backend alone (the lock-out backend in front of it wants a request)."""
    return AccountBackend().authenticate(None, username=username, password=password)


def _user_entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type="user", action__in=["create", "change"]))


def _bilingual(exc: DomainError) -> None:
    assert exc.message_zh
    assert exc.message_en
    assert exc.message_zh != exc.message_en


@pytest.fixture
def city_admin() -> User:
    return make_user("city_admin", "150400")


@pytest.fixture
def county() -> User:
    return make_user("county_officer", HONGSHAN)


# --- creating accounts ----------------------------------------------------------------------


def test_city_admin_creates_a_township_officer_with_a_one_time_password(city_admin) -> None:
    issued = admin.account_create(
        actor=city_admin,
        username="tw-officer-1",
        name="王丽",
        role="township_officer",
        region_code=HONGSHAN_TOWNSHIP,
    )
    account = User.objects.get(username="tw-officer-1")
    assert account.role == "township_officer"
    assert account.region_id == HONGSHAN_TOWNSHIP
    assert account.must_change_password is True
    assert authenticate(username="tw-officer-1", password=issued.one_time_password) == account
    entry = AuditEntry.objects.get(object_type="user", action="create", object_id=str(account.pk))
    assert entry.actor_id == city_admin.pk
    assert entry.changes["role"] == "township_officer"
    assert issued.one_time_password not in json.dumps(entry.changes, ensure_ascii=False)


def test_county_officer_creates_accounts_in_its_county(county) -> None:
    admin.account_create(
        actor=county,
        username="village-w-1",
        name="",
        role="village_worker",
        region_code="150402001001",
    )
    assert User.objects.get(username="village-w-1").region_id == "150402001001"


def test_a_role_above_the_granter_is_refused(county) -> None:
    # A viewer reads the whole city's figures: beyond a county officer's reach. Only the
    # grant check stands between this request and the account.
    with pytest.raises(ValidationFailed) as caught:
        admin.account_create(
            actor=county, username="sneaky-viewer", name="", role="viewer", region_code=HONGSHAN
        )
    assert caught.value.code == "role_above_granter"
    assert caught.value.field == "role"
    _bilingual(caught.value)
    assert not User.objects.filter(username="sneaky-viewer").exists()
    assert _user_entries() == []


@pytest.mark.parametrize("region", ["150400", HONGSHAN])
def test_a_county_officer_cannot_make_a_city_admin(county, region) -> None:
    with pytest.raises(ValidationFailed):
        admin.account_create(
            actor=county, username="sneaky-admin", name="", role="city_admin", region_code=region
        )
    assert not User.objects.filter(username="sneaky-admin").exists()
    assert _user_entries() == []


def test_a_region_outside_the_granter_is_refused(county) -> None:
    with pytest.raises(ValidationFailed) as caught:
        admin.account_create(
            actor=county,
            username="other-county-tw",
            name="",
            role="township_officer",
            region_code=SONGSHAN_TOWNSHIP,
        )
    assert caught.value.code == "region_outside"
    assert caught.value.field == "region"
    _bilingual(caught.value)
    assert not User.objects.filter(username="other-county-tw").exists()
    assert _user_entries() == []


def test_the_region_must_fit_the_role(city_admin) -> None:
    with pytest.raises(ValidationFailed) as caught:
        admin.account_create(
            actor=city_admin,
            username="tw-at-village",
            name="",
            role="township_officer",
            region_code="150402001001",
        )
    assert caught.value.code == "region_level"
    assert not User.objects.filter(username="tw-at-village").exists()


def test_roles_without_the_permission_administer_nothing() -> None:
    township = make_user("township_officer", HONGSHAN_TOWNSHIP)
    with pytest.raises(PermissionRefused):
        admin.account_create(
            actor=township,
            username="village-by-tw",
            name="",
            role="village_worker",
            region_code="150402001001",
        )
    assert not User.objects.filter(username="village-by-tw").exists()
    assert not admin.managed_accounts(township).exists()


def test_a_taken_user_name_is_refused_case_blind(city_admin) -> None:
    User.objects.create_user(username="TakenName", role="viewer")
    with pytest.raises(ValidationFailed) as caught:
        admin.account_create(
            actor=city_admin,
            username="takenname",
            name="",
            role="village_worker",
            region_code="150402001001",
        )
    assert caught.value.code == "username_taken"


# --- organisations --------------------------------------------------------------------------


def _institution(code: str, county_code: str) -> Institution:
    return Institution.objects.create(
        code=code,
        name=f"康复中心{code}",
        kind="rehabilitation",
        county_code=county_code,
        township_code=county_code + "001",
    )


def test_an_institution_account_belongs_to_the_institution_and_its_county(county) -> None:
    _institution("REHAB-HS", HONGSHAN)
    admin.account_create(
        actor=county,
        username="rehab-staff",
        name="",
        role="institution_staff",
        institution_code="REHAB-HS",
    )
    account = User.objects.get(username="rehab-staff")
    assert (account.institution_code, account.region_id) == ("REHAB-HS", HONGSHAN)
    assert ("REHAB-HS", "康复中心REHAB-HS（服务机构工作人员）") in admin.organisation_choices(
        county
    )


def test_an_institution_of_another_county_is_refused(county) -> None:
    _institution("REHAB-SS", SONGSHAN)
    with pytest.raises(ValidationFailed) as caught:
        admin.account_create(
            actor=county,
            username="rehab-elsewhere",
            name="",
            role="institution_staff",
            institution_code="REHAB-SS",
        )
    assert caught.value.code == "region_outside"
    assert caught.value.field == "institution_code"
    assert not User.objects.filter(username="rehab-elsewhere").exists()
    assert "REHAB-SS" not in dict(admin.organisation_choices(county))


def test_an_unknown_organisation_is_refused(city_admin) -> None:
    with pytest.raises(ValidationFailed) as caught:
        admin.account_create(
            actor=city_admin,
            username="rehab-nowhere",
            name="",
            role="institution_staff",
            institution_code="NO-SUCH",
        )
    assert caught.value.code == "organisation_unknown"


def test_a_partner_department_account(city_admin) -> None:
    admin.account_create(
        actor=city_admin,
        username="civil-affairs",
        name="",
        role="department_exchange",
        region_code="150400",
        institution_code="civil_affairs",
    )
    assert User.objects.get(username="civil-affairs").institution_code == "civil_affairs"


# --- changing accounts ----------------------------------------------------------------------


def test_change_role_and_region_within_the_county(county) -> None:
    target = make_user("village_worker", "150402001001")
    admin.account_change(
        actor=county,
        user_id=target.pk,
        name="李强",
        role="township_officer",
        region_code=HONGSHAN_TOWNSHIP,
    )
    target.refresh_from_db()
    assert (target.role, target.region_id, target.first_name) == (
        "township_officer",
        HONGSHAN_TOWNSHIP,
        "李强",
    )
    entry = AuditEntry.objects.get(object_type="user", action="change")
    assert entry.changes["role"] == ["village_worker", "township_officer"]


def test_raising_an_account_above_the_granter_is_refused(county) -> None:
    target = make_user("township_officer", HONGSHAN_TOWNSHIP)
    with pytest.raises(ValidationFailed) as caught:
        admin.account_change(
            actor=county, user_id=target.pk, name="", role="viewer", region_code=HONGSHAN
        )
    assert caught.value.code == "role_above_granter"
    target.refresh_from_db()
    assert target.role == "township_officer"
    assert _user_entries() == []


def test_moving_an_account_out_of_the_region_is_refused(county) -> None:
    target = make_user("township_officer", HONGSHAN_TOWNSHIP)
    with pytest.raises(ValidationFailed) as caught:
        admin.account_change(
            actor=county,
            user_id=target.pk,
            name="",
            role="township_officer",
            region_code=SONGSHAN_TOWNSHIP,
        )
    assert caught.value.code == "region_outside"
    target.refresh_from_db()
    assert target.region_id == HONGSHAN_TOWNSHIP


@pytest.mark.parametrize(
    ("role", "region"),
    [
        ("township_officer", SONGSHAN_TOWNSHIP),  # another county's
        ("city_admin", "150400"),  # above
        ("viewer", "150400"),  # outside the county
    ],
)
def test_accounts_outside_the_scope_are_not_found(county, role, region) -> None:
    target = make_user(role, region)
    with pytest.raises(NotFound):
        admin.account_get(county, target.pk)
    with pytest.raises(NotFound):
        admin.account_change(
            actor=county, user_id=target.pk, name="x", role="village_worker", region_code=""
        )
    assert target not in admin.managed_accounts(county)


def test_a_citizen_or_a_superuser_is_never_administered_here(city_admin) -> None:
    citizen = make_user("citizen", None)
    root = make_user("city_admin", "150400", is_superuser=True)
    assert not admin.managed_accounts(city_admin).filter(pk__in=[citizen.pk, root.pk]).exists()
    with pytest.raises(NotFound):
        admin.password_reset(actor=city_admin, user_id=root.pk)


def test_disable_and_enable(county) -> None:
    target = make_user("township_officer", HONGSHAN_TOWNSHIP)
    admin.account_set_active(actor=county, user_id=target.pk, active=False, reason="调离")
    assert authenticate(username=target.username, password="Correct-Horse-Battery-9") is None
    admin.account_set_active(actor=county, user_id=target.pk, active=True)
    assert authenticate(username=target.username, password="Correct-Horse-Battery-9") == target
    changes = [e.changes["is_active"] for e in AuditEntry.objects.filter(object_type="user")]
    assert changes == [[True, False], [False, True]]


def test_disabling_another_county_s_account_is_refused(county) -> None:
    target = make_user("township_officer", SONGSHAN_TOWNSHIP)
    with pytest.raises(NotFound):
        admin.account_set_active(actor=county, user_id=target.pk, active=False)
    target.refresh_from_db()
    assert target.is_active


def test_nobody_administers_their_own_account(county) -> None:
    with pytest.raises(NotFound):
        admin.account_set_active(actor=county, user_id=county.pk, active=False)
    with pytest.raises(NotFound):
        admin.password_reset(actor=county, user_id=county.pk)


# --- passwords and second factors ------------------------------------------------------------


def test_password_reset_issues_a_one_time_password(county) -> None:
    target = make_user("township_officer", HONGSHAN_TOWNSHIP)
    issued = admin.password_reset(actor=county, user_id=target.pk, reason="忘记密码")
    assert authenticate(username=target.username, password="Correct-Horse-Battery-9") is None
    assert authenticate(username=target.username, password=issued.one_time_password) == target
    target.refresh_from_db()
    assert target.must_change_password
    entry = AuditEntry.objects.get(object_type="user", action="change")
    assert entry.changes == {"password": "reset", "must_change_password": True}
    assert entry.reason == "忘记密码"


def test_password_reset_outside_the_region_is_refused(county) -> None:
    target = make_user("township_officer", SONGSHAN_TOWNSHIP)
    with pytest.raises(NotFound) as caught:
        admin.password_reset(actor=county, user_id=target.pk)
    _bilingual(caught.value)
    target.refresh_from_db()
    assert target.check_password("Correct-Horse-Battery-9")
    assert not target.must_change_password
    assert _user_entries() == []


def test_otp_reset_removes_the_devices(city_admin) -> None:
    target = make_user("county_officer", HONGSHAN)
    TOTPDevice.objects.create(user=target, name="default", confirmed=True)
    assert admin.otp_reset(actor=city_admin, user_id=target.pk) == 1
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert AuditEntry.objects.get(object_type="user").changes["otp"] == "reset"


def test_otp_reset_outside_the_region_is_refused(county) -> None:
    target = make_user("county_officer", SONGSHAN)
    TOTPDevice.objects.create(user=target, name="default", confirmed=True)
    with pytest.raises(NotFound):
        admin.otp_reset(actor=county, user_id=target.pk)
    assert TOTPDevice.objects.filter(user=target).exists()


def test_password_change_clears_the_requirement(city_admin) -> None:
    issued = admin.account_create(
        actor=city_admin,
        username="new-county",
        name="",
        role="county_officer",
        region_code=HONGSHAN,
    )
    user = issued.account
    with pytest.raises(ValidationFailed) as wrong:
        admin.password_change(actor=user, old_password="nope", new_password="Fresh-Pass-2026!")
    assert wrong.value.code == "password_wrong"
    with pytest.raises(ValidationFailed) as same:
        admin.password_change(
            actor=user,
            old_password=issued.one_time_password,
            new_password=issued.one_time_password,
        )
    assert same.value.code == "password_same"
    with pytest.raises(ValidationFailed) as weak:
        admin.password_change(
            actor=user, old_password=issued.one_time_password, new_password="12345678"
        )
    assert weak.value.code == "password_weak"
    user.refresh_from_db()
    assert user.must_change_password
    admin.password_change(
        actor=user, old_password=issued.one_time_password, new_password="Fresh-Pass-2026!"
    )
    user.refresh_from_db()
    assert not user.must_change_password
    assert authenticate(username="new-county", password="Fresh-Pass-2026!") == user
