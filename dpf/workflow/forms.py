"""Forms of the workflow pages: parsing and presentation only (the services decide)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dpf.benefits.models import BenefitItem
from dpf.core.errors import DomainError, ValidationFailed
from dpf.core.i18n import localised
from dpf.workflow.models import ApplicantKind, Channel, EntitlementEvent
from dpf.workflow.procedures import document_types
from dpf.workflow.services.entitlements import SUSPEND_REASONS, TERMINATE_REASONS
from dpf.workflow.services.proposals import CONSENT_METHODS


def attach_refusal(form: forms.Form, refusal: DomainError) -> None:
    """Show a service's refusal next to the field a refused input names, else above the
    form (a refusal of the action itself, whatever field it names)."""
    name = (refusal.field or "") if isinstance(refusal, ValidationFailed) else ""
    form.add_error(name if name in form.fields else None, refusal.message)


def benefit_choices() -> list[tuple[str, str]]:
    """Active benefits, named in the request's language."""
    rows = (
        BenefitItem.objects.filter(active=True)
        .order_by("order", "code")
        .values_list("code", "name_zh", "name_en")
    )
    return [(code, localised(zh, en)) for code, zh, en in rows]


class ApplicationForm(forms.Form):
    """The one form for a bundle of benefits (一件事一次办)."""

    id_number = forms.CharField(
        label=_("申请人身份证号码"),
        max_length=18,
        help_text=_("已登记人员的18位身份证号码"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    benefits = forms.MultipleChoiceField(
        label=_("申请事项（可多选，一次办理）"), widget=forms.CheckboxSelectMultiple
    )
    applicant_kind = forms.ChoiceField(
        label=_("申请方式"),
        choices=[
            (ApplicantKind.SELF, ApplicantKind.SELF.label),
            (ApplicantKind.GUARDIAN, ApplicantKind.GUARDIAN.label),
            (ApplicantKind.WORKER, ApplicantKind.WORKER.label),
        ],
    )
    channel = forms.ChoiceField(
        label=_("受理渠道"),
        choices=[(c.value, c.label) for c in Channel if c != Channel.PROACTIVE],
    )
    applicant_name = forms.CharField(label=_("代办人（监护人）姓名"), max_length=50, required=False)
    applicant_relation = forms.CharField(label=_("与本人关系"), max_length=20, required=False)
    bank_name = forms.CharField(label=_("开户银行"), max_length=100, required=False)
    account_holder = forms.CharField(label=_("户名"), max_length=50, required=False)
    account_number = forms.CharField(
        label=_("银行账号"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    note = forms.CharField(
        label=_("备注"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, person_known: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["benefits"].choices = benefit_choices()  # type: ignore[attr-defined]
        if person_known:  # started from the person page: no retyping of the ID number
            self.fields["id_number"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        bank = [data.get("bank_name"), data.get("account_holder"), data.get("account_number")]
        if any(bank) and not all(bank):
            raise forms.ValidationError(_("开户银行、户名和银行账号须一并填写"))
        return data


class DecisionForm(forms.Form):
    expected_step = forms.CharField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("办理意见"),
        choices=[
            ("advance", _("通过")),
            ("reject", _("不予批准")),
            ("overturn", _("撤销原决定，继续办理")),
            ("uphold", _("维持不予批准")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("理由（不予批准时必填，将告知申请人）"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    waiver_reason = forms.CharField(
        label=_("免交材料的理由"),
        help_text=_("缺少必需材料时，批准须说明为何免交（记入办理记录和审计日志）"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class UploadForm(forms.Form):
    doc_type = forms.ChoiceField(label=_("材料类型"))
    file = forms.FileField(
        label=_("文件（PDF、JPEG或PNG，不超过10MB）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["doc_type"].choices = [  # type: ignore[attr-defined]
            (code, localised(t.name_zh, t.name_en)) for code, t in document_types().items()
        ]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ProposalConfirmForm(forms.Form):
    identity_confirmed = forms.BooleanField(label=_("已当面（或入户）核实本人身份"), required=False)
    consent = forms.BooleanField(label=_("本人（或监护人）同意办理"), required=False)
    consent_method = forms.ChoiceField(
        label=_("同意方式"), choices=[("", "—"), *CONSENT_METHODS.items()]
    )
    consent_note = forms.CharField(
        label=_("情况说明"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    bank_name = forms.CharField(label=_("开户银行"), max_length=100)
    account_holder = forms.CharField(label=_("户名"), max_length=50)
    account_number = forms.CharField(
        label=_("银行账号"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class EntitlementActionForm(forms.Form):
    action = forms.ChoiceField(
        label=_("操作"),
        choices=[("suspend", _("暂停")), ("resume", _("恢复")), ("terminate", _("终止"))],
        widget=forms.RadioSelect,
    )
    on = forms.DateField(
        label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}), initial=dt.date.today
    )
    reason_code = forms.ChoiceField(
        label=_("原因"),
        required=False,
        choices=[
            ("", "—"),
            *[
                (r.value, r.label)
                for r in EntitlementEvent.Reason
                if r in SUSPEND_REASONS or r in TERMINATE_REASONS
            ],
        ],
    )
    reason = forms.CharField(
        label=_("说明"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewForm(forms.Form):
    action = forms.ChoiceField(
        label=_("处理"),
        choices=[
            ("suspend", _("暂停待遇")),
            ("terminate", _("终止待遇")),
            ("dismiss", _("经核实仍符合，不予处理")),
        ],
        widget=forms.RadioSelect,
    )
    on = forms.DateField(
        label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    reason_code = forms.ChoiceField(
        label=_("原因"),
        required=False,
        choices=[
            ("", "—"),
            *[
                (r.value, r.label)
                for r in EntitlementEvent.Reason
                if r in SUSPEND_REASONS or r in TERMINATE_REASONS
            ],
        ],
    )
    reason = forms.CharField(
        label=_("说明"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MonthField(forms.Field):
    """``YYYY-MM`` → the first day of that month."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> Any:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            return dt.date.fromisoformat(f"{text[:7]}-01")
        except ValueError:
            raise forms.ValidationError(_("月份格式应为 年-月，如 2025-11")) from None


class GenerateForm(forms.Form):
    county_code = forms.ChoiceField(label=_("旗县区"))
    benefit = forms.ChoiceField(label=_("惠残事项"))
    month = MonthField(
        label=_("发放月份"),
        help_text=_("格式：年-月，如 2025-11"),
        widget=forms.TextInput(attrs={"type": "month", "maxlength": 7}),
    )

    def __init__(self, *args: Any, counties: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county_code"].choices = counties  # type: ignore[attr-defined]
        self.fields["benefit"].choices = [  # type: ignore[attr-defined]
            (c, localised(zh, en))
            for c, zh, en in BenefitItem.objects.filter(active=True, standards__isnull=False)
            .distinct()
            .order_by("order")
            .values_list("code", "name_zh", "name_en")
        ]


class ExportForm(forms.Form):
    purpose = forms.CharField(
        label=_("导出用途"),
        max_length=200,
        help_text=_("导出含个人信息的名册须说明用途，将记入审计日志"),
    )


class ApproveListForm(forms.Form):
    """Approving freezes the list for good: the officer confirms having checked it."""

    confirm = forms.BooleanField(
        label=_("我已核对名册：审核通过后名册冻结，不能再修改或删除"),
        error_messages={
            "required": _("请勾选确认：审核通过后名册冻结，不能再修改或删除"),
        },
    )


class ResultFileForm(forms.Form):
    file = forms.FileField(
        label=_("银行回盘文件（.xlsx 或 .csv）"),
        help_text=_("列：明细编号（或身份证号）、金额、结果（成功/失败）、原因"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


class PayeeDecisionForm(forms.Form):
    """An officer's decision on a requested bank account (the service checks the rest)."""

    decision = forms.ChoiceField(
        label=_("核实结果"),
        choices=[
            ("verify", _("核实无误，改为发放到该账户")),
            ("reject", _("核实未通过，不予变更")),
        ],
        widget=forms.RadioSelect,
    )
    checked_in_person = forms.BooleanField(
        label=_("已当面（或入户）核对本人（或监护人）的身份证件和该银行卡（或存折）"),
        required=False,
    )
    note = forms.CharField(
        label=_("说明（不通过时必填）"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
