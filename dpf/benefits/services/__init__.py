"""Every write of the benefits app, one function per use case, transactional and audited.

- ``versions``: rule versions, the rule-change preview, amount standards (city admins);
- ``entitlements``: entitlements and closing queue items;
- the proactive scan lives in ``dpf.benefits.scanning`` and is re-exported here.

Other apps call ``dpf.benefits.services.<function>``.
"""

from dpf.benefits.scanning import scan
from dpf.benefits.services.common import RuleRefused
from dpf.benefits.services.entitlements import (
    entitlement_create,
    entitlement_suspend,
    entitlement_terminate,
    work_item_close,
)
from dpf.benefits.services.versions import (
    PreviewRow,
    amount_for,
    check_rule_text,
    rule_change_preview,
    rule_version_publish,
    standard_set,
)

__all__ = [
    "PreviewRow",
    "RuleRefused",
    "amount_for",
    "check_rule_text",
    "entitlement_create",
    "entitlement_suspend",
    "entitlement_terminate",
    "rule_change_preview",
    "rule_version_publish",
    "scan",
    "standard_set",
    "work_item_close",
]
