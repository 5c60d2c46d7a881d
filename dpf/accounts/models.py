"""Users, each with one role and one scope (a region or an institution)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from dpf.core.models import Region
from dpf.core.roles import Role


class User(AbstractUser):
    """A platform user. Staff roles are bound to a region; the scope follows from it.
    Institution staff and employers are bound to their institution (``institution_code``)."""

    role = models.CharField(_("角色"), max_length=30, choices=Role.choices, default=Role.VIEWER)
    region = models.ForeignKey(
        Region,
        verbose_name=_("所属地区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    institution_code = models.CharField(_("所属机构"), max_length=40, blank=True)
    demo = models.BooleanField(_("演示账号"), default=False)
    # Set when an administrator resets the password (a one-time password): every page but
    # the password change answers a redirect to it until the user sets their own
    # (``dpf.accounts.middleware.PasswordChangeRequiredMiddleware``).
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(
                    role__in=["city_admin", "county_officer", "township_officer", "village_worker"]
                )
                | models.Q(region__isnull=False),
                name="user_region_staff_has_region",
            ),
            # Institution staff and employers act for one institution or firm.
            models.CheckConstraint(
                condition=~models.Q(role__in=["institution_staff", "employer"])
                | ~models.Q(institution_code=""),
                name="user_institution_roles_have_institution",
            ),
        ]

    def __str__(self) -> str:
        return self.username


class RoleSecurityPolicy(models.Model):
    """Per-role login policy a city admin sets (安全策略): is a TOTP second factor required?

    A role without a row follows the default: required for ``city_admin`` except in the
    demo (``DPF_DEMO=1``), not required for the others (``dpf.accounts.otp``).
    """

    role = models.CharField(_("角色"), max_length=30, choices=Role.choices, unique=True)
    require_otp = models.BooleanField(_("要求动态口令（第二因素）"), default=False)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("角色安全策略")

    def __str__(self) -> str:
        return f"{self.role}: otp={self.require_otp}"
