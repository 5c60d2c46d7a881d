"""Forms of the account pages: the administrator's account form and filters, the user's own
password change. They only parse; ``dpf.accounts.administration`` decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dpf.core.errors import ValidationFailed


def attach_refusal(form: forms.Form, refusal: ValidationFailed) -> None:
    """Show a service's refusal next to the field it names (or above the form)."""
    name = refusal.field or ""
    form.add_error(name if name in form.fields else None, refusal.message)


def _set_choices(form: forms.Form, name: str, choices: list[tuple[str, Any]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class AccountForm(forms.Form):
    """Create (with a user name) or change an account. The choices are what the
    administrator may grant; the service checks them again."""

    username = forms.CharField(
        label=_("用户名"),
        max_length=30,
        help_text=_("4至30位字母、数字或 @.+-_，登录时使用"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    role = forms.ChoiceField(label=_("角色"))
    region = forms.ChoiceField(
        label=_("所属地区"),
        required=False,
        help_text=_("市级、旗县区、苏木乡镇（街道）或嘎查村（社区），应与角色的层级一致"),
    )
    institution_code = forms.ChoiceField(
        label=_("所属机构、单位或部门"),
        required=False,
        help_text=_(
            "服务机构工作人员、用人单位和部门数据交换账号必填；机构和单位的账号属于其所在旗县区"
        ),
    )
    reason = forms.CharField(
        label=_("修改原因"), max_length=300, required=False, widget=forms.TextInput()
    )

    def __init__(
        self,
        *args: Any,
        roles: list[tuple[str, str]],
        regions: list[tuple[str, Any]],
        organisations: list[tuple[str, str]],
        creating: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "role", [("", _("请选择")), *roles])
        _set_choices(self, "region", [("", _("（按所属机构）")), *regions])
        _set_choices(self, "institution_code", [("", _("（无）")), *organisations])
        if creating:
            del self.fields["reason"]
        else:
            del self.fields["username"]


class AccountFilterForm(forms.Form):
    q = forms.CharField(label=_("用户名或姓名"), max_length=50, required=False)
    role = forms.ChoiceField(label=_("角色"), required=False)
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), ("active", _("在用")), ("disabled", _("已停用"))],
    )

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "role", [("", _("全部")), *roles])


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=300, required=False)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("当前密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("新密码"),
        strip=False,
        help_text=_("至少8位，不能全是数字，不能是常见密码或与用户名相似"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("再次输入新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("new_password")
            and data.get("new_password_again")
            and data["new_password"] != data["new_password_again"]
        ):
            self.add_error("new_password_again", _("两次输入的新密码不一致"))
        return data
