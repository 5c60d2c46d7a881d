"""The rule language (a CEL subset): parser, type checker, SQL compiler, explaining
evaluator. See docs/rules.md.

The names below are loaded on first use, because Django imports this package before the
registry's models are ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dpf.rules.errors import RuleError
    from dpf.rules.evaluate import Clause, Explanation
    from dpf.rules.facts import CertificateFacts, Facts, facts_for_person, facts_from_json
    from dpf.rules.rule import Rule, compile_rule

_EXPORTS = {
    "RuleError": "dpf.rules.errors",
    "Clause": "dpf.rules.evaluate",
    "Explanation": "dpf.rules.evaluate",
    "CertificateFacts": "dpf.rules.facts",
    "Facts": "dpf.rules.facts",
    "facts_for_person": "dpf.rules.facts",
    "facts_from_json": "dpf.rules.facts",
    "Rule": "dpf.rules.rule",
    "compile_rule": "dpf.rules.rule",
}

__all__ = [
    "CertificateFacts",
    "Clause",
    "Explanation",
    "Facts",
    "Rule",
    "RuleError",
    "compile_rule",
    "facts_for_person",
    "facts_from_json",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dpf.rules' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
