"""The record of changes made to a person's registry entry from the staff pages (issue 17
part 1): what changed, from which date, why and who said so. The facts themselves live in
their own effective-dated tables; this keeps the reason and the effective date of changes
that have no history table of their own (name, phone, ethnic group, household membership)
and of the lifecycle steps (move, death, renewal, re-assessment, cancellation)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeKind(models.TextChoices):
    DETAILS = "details", _("修改基本信息")
    GUARDIAN = "guardian", _("变更监护人")
    MOVE = "move", _("迁移")
    DEATH = "death", _("登记死亡")
    HOUSEHOLD = "household", _("家庭成员变更")
    HOUSEHOLD_STATUS = "household_status", _("家庭经济状况变更")
    RENEWAL = "renewal", _("换证")
    REASSESSMENT = "reassessment", _("重新评定")
    CANCELLATION = "cancellation", _("注销残疾人证")


class RecordChange(models.Model):
    """One change of a person's record, made by a member of staff with a reason.

    ``summary`` is already masked (no full phone or name in clear): it is shown on the
    timeline to everyone who may open the person.
    """

    person = models.ForeignKey(
        "registry.Person", on_delete=models.CASCADE, related_name="record_changes"
    )
    kind = models.CharField(_("事项"), max_length=20, choices=ChangeKind.choices)
    effective_on = models.DateField(_("生效日期"))
    reason = models.CharField(_("原因"), max_length=300)
    summary = models.CharField(_("内容"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("档案变更记录")
        indexes = [
            models.Index(fields=["person", "effective_on", "id"], name="recordchange_person_on")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.effective_on}"
