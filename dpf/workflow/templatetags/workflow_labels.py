"""``{% load workflow_labels %}``: the workflow's codes in words on its pages.

``{{ document.doc_type|doc_type_label }}`` is the document type's name (身份证, ID card)
from the shipped procedures, never its code; an unknown code reads as 其他材料.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from dpf.core.i18n import localised
from dpf.workflow.procedures import document_types

register = template.Library()


@register.filter
def doc_type_label(code: Any) -> str:
    known = document_types().get(str(code or ""))
    if known is None:
        return _("其他材料")
    return localised(known.name_zh, known.name_en)
