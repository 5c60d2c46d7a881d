"""Child rehabilitation assistance (残疾儿童康复救助, T0303) records around the workflow's
approval: a child's screening or referral before the application (筛查/转介), and the
hand-over to the adult services when the assistance ends at 8 (转衔).

Region codes are the child's when the record is written (the scope of region staff)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dpf.registry.models import Person


class ReferralKind(models.TextChoices):
    SCREENING = "screening", _("筛查发现")
    REFERRAL = "referral", _("转介")


class ReferralSource(models.TextChoices):
    HOSPITAL = "hospital", _("医院")
    MATERNAL_CHILD = "maternal_child", _("妇幼保健机构")
    KINDERGARTEN = "kindergarten", _("幼儿园")
    TOWNSHIP_WORKER = "township_worker", _("乡镇（街道）、村（社区）工作人员")
    PARENT = "parent", _("家长（监护人）")
    OTHER = "other", _("其他")


# Who may screen (0-6 screening, 0-6岁儿童残疾筛查): health institutions only.
SCREENING_SOURCES = (ReferralSource.HOSPITAL, ReferralSource.MATERNAL_CHILD)


class ChildReferral(models.Model):
    """A child under 8 screened (by a hospital or a maternal and child health institution,
    the 0-6 screening) or referred (by a hospital, a kindergarten, a township or village
    worker, a parent) for rehabilitation assistance, with what was found. The county follows
    it until an application for the assistance is made (or the assistance is already in
    force), or closes it with a reason (``closed_on``)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="child_referrals")
    kind = models.CharField(_("来源方式"), max_length=10, choices=ReferralKind.choices)
    date = models.DateField(_("筛查（转介）日期"))
    source = models.CharField(_("筛查（转介）方"), max_length=20, choices=ReferralSource.choices)
    source_name = models.CharField(_("机构或人员名称"), max_length=100)
    finding = models.CharField(_("筛查结果或转介原因"), max_length=300)
    closed_on = models.DateField(_("结束跟进日期"), null=True, blank=True)
    close_reason = models.CharField(_("结束跟进原因"), max_length=300, blank=True)
    county_code = models.CharField(max_length=6)
    township_code = models.CharField(max_length=9)
    village_code = models.CharField(max_length=12)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("残疾儿童筛查转介")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "date", "source"], name="child_referral_once"
            ),
            models.CheckConstraint(
                condition=models.Q(closed_on__isnull=True)
                | models.Q(closed_on__gte=models.F("date")),
                name="child_referral_interval",
            ),
            models.CheckConstraint(
                condition=models.Q(closed_on__isnull=True, close_reason="")
                | (models.Q(closed_on__isnull=False) & ~models.Q(close_reason="")),
                name="child_referral_closed_with_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["county_code", "closed_on"], name="child_referral_region"),
            models.Index(fields=["person", "date"], name="child_referral_person"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


class ChildTransition(models.Model):
    """A child's hand-over at 8 (转衔): the rehabilitation assistance (``child_rehab``) was in
    force on the day before the 8th birthday and ended then (the daily job
    ``services.child_rehab_transition``). The county's list until an adult rehabilitation
    plan is made for the child (``plan``, handed over on its start) or the hand-over is
    closed with a note (no adult need, the family declined, moved away)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="child_transitions")
    entitlement = models.ForeignKey(
        "benefits.Entitlement", on_delete=models.PROTECT, related_name="+"
    )
    turned_eight_on = models.DateField(_("年满8周岁日期"))
    handed_over_on = models.DateField(_("转衔日期"), null=True, blank=True)
    plan = models.ForeignKey(
        "services.RehabPlan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("转衔情况"), max_length=300, blank=True)
    county_code = models.CharField(max_length=6)
    township_code = models.CharField(max_length=9)
    village_code = models.CharField(max_length=12)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("残疾儿童康复转衔")
        constraints = [
            models.UniqueConstraint(fields=["person"], name="child_transition_once"),
            models.CheckConstraint(
                condition=models.Q(handed_over_on__isnull=True)
                | models.Q(handed_over_on__gte=models.F("turned_eight_on")),
                name="child_transition_after_birthday",
            ),
            models.CheckConstraint(
                condition=models.Q(handed_over_on__isnull=True, plan__isnull=True, note="")
                | models.Q(handed_over_on__isnull=False, plan__isnull=False)
                | (models.Q(handed_over_on__isnull=False) & ~models.Q(note="")),
                name="child_transition_handed_over_with_plan_or_note",
            ),
        ]
        indexes = [
            models.Index(fields=["county_code", "handed_over_on"], name="child_transition_region"),
        ]

    def __str__(self) -> str:
        return f"{self.turned_eight_on}"
