"""``{% load audit_words %}``: the audit log in words (issue 17 part 10).

The log stores codes (a role, an object type, field names and masked values); the page shows
their labels: ``role|role_label``, ``object_type|object_label`` and ``changes|change_words``
(``[(label, text)]``: nested values written out, an empty value as "—", never a Python
``dict`` or ``None``).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from dpf.accounts.permissions import ObjectType
from dpf.core.roles import Role

register = template.Library()

# Field names the services write into an entry's changes, with their labels.
FIELD_LABELS = {
    "status": _("状态"),
    "status_before": _("原状态"),
    "person": _("人员"),
    "person_id": _("人员编号"),
    "before": _("变更前"),
    "after": _("变更后"),
    "valid_from": _("起始日期"),
    "valid_to": _("截止日期"),
    "kind": _("类型"),
    "year": _("年度"),
    "on": _("生效日期"),
    "date": _("日期"),
    "rows": _("行数"),
    "reason": _("原因"),
    "page": _("页"),
    "format": _("格式"),
    "code": _("代码"),
    "roster_type": _("名单类型"),
    "phone": _("联系电话"),
    "masked": _("脱敏值"),
    "item": _("事项"),
    "application": _("申请"),
    "county_code": _("旗县区"),
    "township_code": _("苏木乡镇"),
    "village_code": _("嘎查村社区"),
    "as_of": _("截至日期"),
    "filter": _("筛选条件"),
    "username": _("用户名"),
    "user": _("用户"),
    "total": _("合计"),
    "name": _("姓名"),
    "level": _("残疾等级"),
    "category": _("残疾类别"),
    "monthly_amount": _("月金额（元）"),
    "amount": _("金额"),
    "benefit": _("惠残事项"),
    "purpose": _("用途"),
    "note": _("说明"),
    "role": _("角色"),
    "region": _("地区"),
    "password": _("密码"),
    "school": _("毕业院校"),
    "major": _("所学专业"),
    "education": _("学历层次"),
    "graduation_year": _("毕业年份"),
    "wish": _("就业意向"),
    "employer": _("用人单位"),
}
# Object types written by the services that are not rows of the permission table.
OBJECT_LABELS = {
    "work_item_list": _("主动发现待办"),
    "application_list": _("待办列表"),
    "amount_standard": _("补贴标准"),
    "import_batch": _("名单导入批次"),
    "document": _("申请材料"),
    "user": _("账号"),
    "session": _("登录会话"),
    "benefit": _("惠残事项"),
}


@register.filter
def role_label(code: Any) -> str:
    value = str(code or "")
    return str(Role(value).label) if value in Role.values else (value or "—")


@register.filter
def object_label(code: Any) -> str:
    value = str(code or "")
    if value in ObjectType.values:
        return str(ObjectType(value).label)
    return str(OBJECT_LABELS.get(value, value or "—"))


def _words(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if isinstance(value, dict):
        return "；".join(f"{_field(k)}：{_words(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(_words(v) for v in value) if value else "—"
    if str(value) in Role.values:
        return role_label(value)
    return str(value)


def _field(key: Any) -> str:
    return str(FIELD_LABELS.get(str(key), str(key)))


@register.filter
def change_words(changes: Any) -> list[tuple[str, str]]:
    """``[(label, text)]`` of an entry's changes; ``[old, new]`` reads "old → new"."""
    if not isinstance(changes, dict):
        return []
    items = []
    for key, value in sorted(changes.items()):
        if (
            isinstance(value, list)
            and len(value) == 2
            and not any(isinstance(v, dict | list) for v in value)
        ):
            text = f"{_words(value[0])} → {_words(value[1])}"
        else:
            text = _words(value)
        items.append((_field(key), text))
    return items
