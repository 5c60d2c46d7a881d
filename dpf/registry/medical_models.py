"""Medical expenses settled for a person (医疗费用结算), as the medical insurance bureau
(医保) and civil affairs' medical assistance (医疗救助) report them through the exchange's
roster ``medical_settlement``: what the treatment cost, what the insurance and the medical
assistance paid, and what was left to the person (个人自付). Return-to-poverty monitoring
sums the last part over a household and a year (``household.medical_out_of_pocket_year``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MedicalSettlement(models.Model):
    """One settlement of a person's medical expenses (一次结算), dated by its settlement day.

    A settlement is an event on a day, not a state over a period, so it is dated
    (``settled_on``) rather than effective-dated: "as of D" reads the settlements dated on
    or before D. The bureau's settlement number identifies it for the person: the same
    number sent again is the same settlement. ``out_of_pocket`` is
    ``total − reimbursed − assistance``, checked when the roster is validated (the
    department's own column, when it sends one, must agree).
    """

    person = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="medical_settlements"
    )
    settlement_no = models.CharField(_("结算单号"), max_length=40)
    settled_on = models.DateField(_("结算日期"))
    total = models.DecimalField(_("医疗总费用（元）"), max_digits=12, decimal_places=2)
    reimbursed = models.DecimalField(_("医保报销（元）"), max_digits=12, decimal_places=2)
    assistance = models.DecimalField(_("医疗救助（元）"), max_digits=12, decimal_places=2)
    out_of_pocket = models.DecimalField(_("个人自付（元）"), max_digits=12, decimal_places=2)
    source = models.CharField(_("来源"), max_length=100, default="manual")
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("医疗费用结算")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "settlement_no"], name="medicalsettlement_person_number"
            ),
            models.CheckConstraint(
                condition=models.Q(total__gte=0)
                & models.Q(reimbursed__gte=0)
                & models.Q(assistance__gte=0)
                & models.Q(out_of_pocket__gte=0),
                name="medicalsettlement_amounts_not_negative",
            ),
        ]
        indexes = [
            models.Index(
                fields=["person", "settled_on"],
                include=["out_of_pocket"],
                name="medicalsettle_person_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.settlement_no} {self.settled_on}"
