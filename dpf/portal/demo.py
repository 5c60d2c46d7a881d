"""Demo citizen accounts (demo databases only): ``demo_citizen`` for a synthetic person of
红山区 with a valid certificate, ``demo_guardian`` for a synthetic guardian with a current
dependant. Called by ``dpf demo accounts`` after it has created the users."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from dpf.accounts.models import User
from dpf.core.models import EffectiveDated
from dpf.core.roles import Role
from dpf.portal.models import CitizenAccount
from dpf.registry.models import Certificate, CertificateStatus, GuardianLink, Person

DEMO_CITIZEN = "demo_citizen"
DEMO_GUARDIAN = "demo_guardian"


def _free_persons() -> object:
    today = timezone.localdate()
    valid = Certificate.objects.filter(
        EffectiveDated.as_of_q(today), person=OuterRef("pk"), status=CertificateStatus.VALID
    )
    return (
        Person.objects.filter(synthetic=True, death_date__isnull=True, county_code="150402")
        .filter(Exists(valid))
        .exclude(citizen_account__isnull=False)
        .order_by("pk")
    )


@transaction.atomic
def demo_citizens_link(password: str) -> list[tuple[str, str]]:
    """Link the demo citizen users to synthetic persons; returns (username, person's
    masked ID number). Nothing happens when the demo registry holds no such person."""
    linked = []
    today = timezone.localdate()
    citizen = User.objects.filter(username=DEMO_CITIZEN, demo=True).first()
    if citizen is not None and not CitizenAccount.objects.filter(user=citizen).exists():
        person = _free_persons().first()  # type: ignore[attr-defined]
        if person is not None:
            CitizenAccount.objects.create(user=citizen, person=person)
    link = (
        GuardianLink.objects.filter(
            EffectiveDated.as_of_q(today),
            guardian__synthetic=True,
            guardian__death_date__isnull=True,
            guardian__county_code="150402",
            dependant__death_date__isnull=True,
            guardian__citizen_account__isnull=True,
        )
        .order_by("pk")
        .first()
    )
    guardian_user = User.objects.filter(username=DEMO_GUARDIAN).first()
    if guardian_user is None and link is not None:
        guardian_user = User.objects.create(
            username=DEMO_GUARDIAN,
            role=Role.CITIZEN,
            password=make_password(password),
            demo=True,
        )
        CitizenAccount.objects.create(user=guardian_user, person_id=link.guardian_id)
    for account in CitizenAccount.objects.filter(
        user__username__in=[DEMO_CITIZEN, DEMO_GUARDIAN]
    ).select_related("user", "person"):
        linked.append((account.user.username, account.person.id_number_masked))
    return sorted(linked)
