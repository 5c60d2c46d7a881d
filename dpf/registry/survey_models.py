"""The yearly needs survey's work records: rounds, drafts and visits without contact.

A submitted survey is a ``NeedsSurvey`` row (``models.py``) and nothing else: drafts and
"no contact" outcomes live in their own tables, so no reader of the answers (the rules,
the indicators, the person page) can ever take a draft for an answer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SurveyRound(models.Model):
    """A year's needs survey round (年度残疾人基本服务状况和需求信息动态更新).

    The persons to survey are those holding a valid certificate on ``reference_date``,
    each in the village they live in now; a person certified later in the year may be
    surveyed too and then joins the list.
    """

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    reference_date = models.DateField(_("名单基准日"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("需求调查轮次")

    def __str__(self) -> str:
        return f"{self.year}"


class NoContactReason(models.TextChoices):
    MOVED = "moved", _("已迁出")
    DIED = "died", _("已死亡")
    REFUSED = "refused", _("拒绝调查")
    NOT_FOUND = "not_found", _("查无此人")


class SurveyDraft(models.Model):
    """A survey begun and not yet submitted: every answer may still be missing (NULL)."""

    person = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="survey_drafts"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    survey_date = models.DateField(_("调查日期"), null=True, blank=True)
    method = models.CharField(_("调查方式"), max_length=15, blank=True)
    rehab_need = models.BooleanField(_("康复需求"), null=True)
    # NULL: not answered yet; "": no device needed (DeviceKind.NONE), as in NeedsSurvey.
    device_need = models.CharField(_("辅具需求"), max_length=15, null=True)  # noqa: DJ001
    home_renovation_need = models.BooleanField(_("无障碍改造需求"), null=True)
    care_need = models.BooleanField(_("托养需求"), null=True)
    long_term_care_need = models.BooleanField(_("长期照护需求"), null=True)
    employment_status = models.CharField(_("就业状况"), max_length=12, blank=True)
    employment_wish = models.BooleanField(_("就业意愿"), null=True)
    school_status = models.CharField(_("就学状况"), max_length=15, blank=True)
    income_per_capita = models.DecimalField(
        _("家庭人均年收入（元）"), max_digits=10, decimal_places=2, null=True
    )
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "year"], name="survey_draft_one_per_year"),
            models.CheckConstraint(
                condition=models.Q(income_per_capita__isnull=True)
                | models.Q(income_per_capita__gte=0),
                name="survey_draft_income_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["year", "person"], name="survey_draft_year_person")]

    def __str__(self) -> str:
        return f"{self.year}"


class SurveyNoContact(models.Model):
    """The round's outcome for a person the worker could not survey, and why."""

    person = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="survey_no_contacts"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    reason = models.CharField(_("未调查原因"), max_length=12, choices=NoContactReason.choices)
    contact_date = models.DateField(_("走访日期"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "year"], name="survey_no_contact_one_per_year"
            ),
            models.CheckConstraint(
                condition=models.Q(reason__in=["moved", "died", "refused", "not_found"]),
                name="survey_no_contact_reason_known",
            ),
        ]
        indexes = [models.Index(fields=["year", "person"], name="survey_nocontact_year_person")]

    def __str__(self) -> str:
        return f"{self.year} {self.reason}"
