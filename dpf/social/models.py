"""Social assistance records: what the emergency priority lists need beyond the registry
(a person bedridden, a device that needs power)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dpf.registry.models import Person


class PoweredDevice(models.TextChoices):
    NONE = "", _("无")
    OXYGEN = "oxygen", _("制氧机")
    VENTILATOR = "ventilator", _("呼吸机")
    DIALYSIS = "dialysis", _("家庭透析设备")
    SUCTION = "suction", _("吸痰器")
    POWERED_WHEELCHAIR = "powered_wheelchair", _("电动轮椅")
    OTHER = "other", _("其他用电设备")


class EmergencyNeed(models.Model):
    """What responders must know about one person in a disaster or an epidemic (应急需求):
    bedridden, a device that needs power. Kept by the village worker; one row per person."""

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="emergency_need", verbose_name=_("人员")
    )
    bedridden = models.BooleanField(_("卧床"), default=False)
    powered_device = models.CharField(
        _("需用电的设备"), max_length=20, choices=PoweredDevice.choices, blank=True, default=""
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    recorded_on = models.DateField(_("登记日期"))

    def __str__(self) -> str:
        return f"{self.person_id}"
