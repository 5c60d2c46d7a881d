"""The audit page (审计日志): city admins filter by user, person, action and dates.

The log and its queries are the kernel's (``dpf.core.audit``, ``dpf.core.audit_selectors``);
the page lives here, above the permission table that decides who may read it."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from dpf.accounts.http import AuthedHttpRequest
from dpf.accounts.permissions import permission_required
from dpf.core import audit
from dpf.core.audit import ACTIONS
from dpf.core.audit_selectors import AuditFilter, audit_entries

PAGE_SIZE = 50

ACTION_LABELS = {
    "view": _("查看"),
    "create": _("新增"),
    "change": _("修改"),
    "export": _("导出"),
    "download": _("下载导出文件"),
    "reveal": _("显示完整信息"),
    "login": _("登录"),
    "login_failure": _("登录失败"),
    "logout": _("退出登录"),
    "permission_denied": _("拒绝访问"),
    "prune": _("清理过期日志"),
    "key_rotation": _("密钥轮换"),
    "approve": _("审批"),
    "import": _("导入"),
    "import_upload": _("上传名单"),
    "import_cancel": _("取消导入"),
    "merge": _("合并重复人员"),
    "token_create": _("签发接口令牌"),
    "token_revoke": _("吊销接口令牌"),
    "possible_probe": _("疑似试探（登记辖区外已有的身份证号码）"),
    "submit": _("提交"),
    "return": _("退回"),
    "complete": _("完成"),
    "enrol": _("报名登记"),
    "credit_flag": _("列入信用记录"),
    "credit_lift": _("撤销信用记录"),
}


class AuditFilterForm(forms.Form):
    username = forms.CharField(label=_("用户名"), required=False, max_length=150)
    person = forms.IntegerField(label=_("人员编号"), required=False, min_value=1)
    action = forms.ChoiceField(
        label=_("操作"),
        required=False,
        choices=[("", _("全部"))] + [(a, ACTION_LABELS.get(a, a)) for a in ACTIONS],
    )
    date_from = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("截止日期早于起始日期"))
        return data


def describe_changes(changes: object) -> list[tuple[str, str]]:
    """``[(field, "old → new")]`` for display; values are stored masked already."""
    if not isinstance(changes, dict):
        return []
    items = []
    for key, value in sorted(changes.items()):
        if isinstance(value, list) and len(value) == 2:
            shown = f"{value[0] if value[0] not in (None, '') else '∅'} → {value[1]}"
        elif isinstance(value, list):
            shown = ", ".join(str(v) for v in value)
        else:
            shown = str(value)
        items.append((str(key), shown))
    return items


@permission_required("view", "audit_log")
def audit_list(request: AuthedHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    page = None
    if form.is_bound and not form.is_valid():
        entries = None
    else:
        data = form.cleaned_data if form.is_bound else {}
        criteria = AuditFilter(
            username=(data.get("username") or "").strip(),
            person_id=data.get("person"),
            action=data.get("action") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
        entries = audit_entries(criteria)
        page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
        for entry in page.object_list:
            entry.change_items = describe_changes(entry.changes)
            entry.action_label = ACTION_LABELS.get(entry.action, entry.action)
        audit.record_view(
            request,
            "audit_log",
            changes={"filter": {k: str(v) for k, v in data.items() if v}} if data else None,
        )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
    }
    return render(request, "core/audit_list.html", context)
