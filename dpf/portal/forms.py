"""Forms of the portal: field parsing and presentation (the services decide)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dpf.portal.models import (
    ContactPreference,
    RequestCategory,
    RequestChannel,
    RequestKind,
    Satisfaction,
)
from dpf.workflow.forms import UploadForm

NO_AUTOFILL = {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}


class RegisterForm(forms.Form):
    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=18,
        help_text=_("18位，最后一位可能是 X"),
        widget=forms.TextInput(attrs=NO_AUTOFILL),
    )
    certificate_number = forms.CharField(
        label=_("残疾人证号"),
        max_length=20,
        help_text=_("残疾人证上的20位证号"),
        widget=forms.TextInput(attrs=NO_AUTOFILL),
    )


class RegisterConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("验证码（6位数字）"),
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    username = forms.CharField(
        label=_("用户名"),
        max_length=30,
        help_text=_("登录时使用，4至30位字母或数字，不要用手机号或身份证号"),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("密码"),
        help_text=_("至少8位，不要太简单"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("再输入一次密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致"))
        return data


class WorkerAccountForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=30)
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=14,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    send_to_phone = forms.BooleanField(
        label=_("把初始密码发到手机（不勾选则在本页显示一次，请打印或抄给本人）"), required=False
    )


class ApplyForm(forms.Form):
    benefits = forms.MultipleChoiceField(
        label=_("要申请的事项（可以多选，一次办好）"), widget=forms.CheckboxSelectMultiple
    )
    bank_name = forms.CharField(label=_("开户银行"), max_length=100, required=False)
    account_holder = forms.CharField(label=_("户名"), max_length=50, required=False)
    account_number = forms.CharField(
        label=_("银行账号"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    note = forms.CharField(
        label=_("想说明的情况（可不填）"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["benefits"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        bank = [data.get("bank_name"), data.get("account_holder"), data.get("account_number")]
        if any(bank) and not all(bank):
            raise forms.ValidationError(_("开户银行、户名和银行账号要一起填写，或者都不填"))
        return data


class PhoneUploadForm(UploadForm):
    """The workflow's upload form, opening the phone's camera."""

    file = forms.FileField(
        label=_("拍照或选择文件（照片或PDF，不超过10MB）"),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/*,application/pdf", "capture": "environment"}
        ),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("申诉理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class RequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("您要"), choices=RequestKind.choices, widget=forms.RadioSelect)
    category = forms.ChoiceField(
        label=_("是关于什么的（可不选）"),
        choices=[("", _("不确定")), *RequestCategory.choices],
        required=False,
    )
    text = forms.CharField(
        label=_("请写下具体情况"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    contact_preference = forms.ChoiceField(
        label=_("怎么联系您"), choices=ContactPreference.choices, widget=forms.RadioSelect
    )


class RequestActionForm(forms.Form):
    action = forms.ChoiceField(
        label=_("操作"),
        choices=[("take", _("开始处理")), ("answer", _("答复")), ("close", _("办结"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("答复或说明"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    satisfaction = forms.ChoiceField(
        label=_("回访满意度（办结时填写）"),
        choices=[("", _("（办结时选择）")), *Satisfaction.choices],
        required=False,
    )
    expected_status = forms.CharField(widget=forms.HiddenInput)


class RequestAssignForm(forms.Form):
    """Assign a request to a region or a named staff member below the officer's region
    (the choices come from ``selectors.assignment_targets``; the service checks again)."""

    target = forms.CharField(label=_("分派给"), widget=forms.Select)
    note = forms.CharField(
        label=_("分派说明"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    expected_assignment = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, targets: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widget = self.fields["target"].widget
        assert isinstance(widget, forms.Select)
        widget.choices = [("", _("（请选择）")), *targets]

    def clean_target(self) -> tuple[str, int | None]:
        """(region code, None) or ("", user id) from "region:<code>" / "user:<id>"."""
        kind, _sep, value = self.cleaned_data["target"].partition(":")
        digits = value.isascii() and value.isdigit()
        if kind == "region" and digits and len(value) <= 12:
            return value, None
        if kind == "user" and digits and len(value) <= 18:
            return "", int(value)
        raise forms.ValidationError(_("请选择承办地区或承办人"))


class IntakeForm(forms.Form):
    """A request made at the window or on the 12385 hotline, recorded by an officer."""

    channel = forms.ChoiceField(
        label=_("渠道"),
        choices=[(RequestChannel.HOTLINE, _("12385热线")), (RequestChannel.WINDOW, _("窗口"))],
        widget=forms.RadioSelect,
        initial=RequestChannel.HOTLINE,
    )
    id_number = forms.CharField(
        label=_("来电人或办事人的身份证号码"),
        max_length=18,
        help_text=_("本辖区已登记的人员；18位，最后一位可能是 X"),
        widget=forms.TextInput(attrs=NO_AUTOFILL),
    )
    kind = forms.ChoiceField(label=_("类型"), choices=RequestKind.choices, widget=forms.RadioSelect)
    category = forms.ChoiceField(label=_("事项分类"), choices=RequestCategory.choices)
    text = forms.CharField(
        label=_("诉求内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )
    contact_preference = forms.ChoiceField(
        label=_("怎么联系"),
        choices=ContactPreference.choices,
        widget=forms.RadioSelect,
        initial=ContactPreference.PHONE,
    )


class PasswordResetForm(forms.Form):
    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=18,
        help_text=_("开通账号的本人的身份证号码，18位，最后一位可能是 X"),
        widget=forms.TextInput(attrs=NO_AUTOFILL),
    )


class PasswordResetConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("验证码（6位数字）"),
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    new_password = forms.CharField(
        label=_("新密码"),
        strip=False,
        help_text=_("至少8位，不要太简单"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("再输入一次密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的密码不一致"))
        return data


class GuardianClaimForm(forms.Form):
    """A guardian asks to act for a dependant (监护关系登记), with a proof."""

    dependant_id_number = forms.CharField(
        label=_("被监护人的身份证号码"),
        max_length=18,
        widget=forms.TextInput(attrs=NO_AUTOFILL),
    )
    dependant_certificate_number = forms.CharField(
        label=_("被监护人的残疾人证号"),
        max_length=20,
        help_text=_("残疾人证上的20位证号"),
        widget=forms.TextInput(attrs=NO_AUTOFILL),
    )
    relation = forms.ChoiceField(label=_("您是被监护人的"))
    proof = forms.FileField(
        label=_("证明材料（户口簿、监护证明或法院文书的照片或PDF，不超过10MB）"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )

    def __init__(self, *args: Any, relations: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["relation"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("请选择")), *relations]


class ClaimDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结果"),
        choices=[("approve", _("通过")), ("reject", _("不通过"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("审核意见（不通过时必填，申请人会看到）"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class VolunteerSignupForm(forms.Form):
    """Registering oneself as a volunteer: where and how one can help, and the consent."""

    village_code = forms.ChoiceField(
        label=_("服务的嘎查村社区"),
        choices=(),
        help_text=_("您所在旗县区的嘎查村社区；由该地区的工作人员审核"),
    )
    team_id = forms.TypedChoiceField(
        label=_("志愿服务队"), choices=(), coerce=int, empty_value=None, required=False
    )
    skills = forms.CharField(
        label=_("特长技能"),
        max_length=200,
        required=False,
        help_text=_("例如：手语、护理、驾驶、维修、陪同就医"),
    )
    availability = forms.CharField(
        label=_("可服务时间"),
        max_length=200,
        required=False,
        help_text=_("例如：周末上午、工作日晚上"),
    )
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        required=False,
        help_text=_("工作人员联系您时使用；可以不填"),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    consent = forms.BooleanField(
        label=_("我已阅读上面的说明，同意登记为助残志愿者"),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        villages: list[tuple[str, list[tuple[str, str]]]],
        teams: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village_code"].choices = villages  # type: ignore[attr-defined]
        self.fields["team_id"].choices = [  # type: ignore[attr-defined]
            ("", _("（不加入队伍）")),
            *teams,
        ]
