"""axe-core scans: serious and critical violations fail, moderate and minor go to a report.

axe-core comes from the npm package pinned in ``package.json`` (``npm ci`` during
``./run setup``), read from ``node_modules/axe-core/axe.min.js``. The platform's
Content-Security-Policy forbids inline scripts, so the file is not added as a ``<script>``:
it is evaluated through the DevTools protocol (``page.evaluate``), which CSP does not
govern. No context needs ``bypass_csp``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests import lanes
from tests.e2e.support import AXE_JS, AXE_REPORTS, write_json

FAILING_IMPACTS = frozenset({"serious", "critical"})

# WCAG 2.0/2.1/2.2 A and AA (GB/T 37668-2019 aims at these) plus axe's best practices;
# ``color-contrast`` is among the wcag2aa rules and runs in every display mode.
AXE_OPTIONS: dict[str, Any] = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}

# In the large-text and high-contrast modes the HTML is the same and only the style sheet
# differs (a class on <body>), so only the rules that read rendered styles and boxes can
# give another answer there; running just those keeps the three-mode scan affordable.
VISUAL_RULES = [
    "color-contrast",
    "link-in-text-block",
    "target-size",
    "scrollable-region-focusable",
    "css-orientation-lock",
    "avoid-inline-spacing",
]
AXE_VISUAL_OPTIONS: dict[str, Any] = {
    "runOnly": {"type": "rule", "values": VISUAL_RULES},
    "resultTypes": ["violations"],
}

_RUN_JS = """
async (options) => {
  const result = await window.axe.run(document, options);
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.join(' '),
      html: n.html.slice(0, 200),
      summary: (n.failureSummary || '').replace(/\\s+/g, ' ').trim(),
    })),
  }));
}
"""


def axe_source() -> str:
    """The axe-core script, or a failure saying how to install it."""
    if not AXE_JS.exists():
        raise FileNotFoundError(
            f"{AXE_JS} is missing: run `npm ci --ignore-scripts` in the repository root "
            "(./run setup does it) to install axe-core from package-lock.json"
        )
    return AXE_JS.read_text(encoding="utf-8")


def run_axe(page: Page, source: str, *, visual_only: bool = False) -> list[dict[str, Any]]:
    """Every violation axe-core finds on the page as it is now (``visual_only``: only the
    rules that depend on rendered styles, for the second and third display mode)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    options = AXE_VISUAL_OPTIONS if visual_only else AXE_OPTIONS
    violations: list[dict[str, Any]] = page.evaluate(_RUN_JS, options)
    return violations


def readable(violations: list[dict[str, Any]], *, where: str) -> str:
    """One paragraph per violation: rule, impact, what to do, where on the page."""
    lines: list[str] = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({where})")
        for node in v["nodes"][:5]:
            lines.append(f"    at {node['target']}: {node['html']}")
            if node["summary"]:
                lines.append(f"       {node['summary'][:300]}")
        if len(v["nodes"]) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more elements")
    return "\n".join(lines)


@dataclass
class AxeReport:
    """Collects the scans of a session; writes the moderate and minor findings to a file."""

    database: str
    scans: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def skip(self, page: str, reason: str) -> None:
        self.skipped[page] = reason

    def add(self, *, page: str, mode: str, who: str, violations: list[dict[str, Any]]) -> None:
        self.scans.append({"page": page, "mode": mode, "who": who, "violations": violations})

    def write(self, folder: Path = AXE_REPORTS) -> Path | None:
        if not self.scans and not self.skipped:
            return None
        # one file per process of a database (an xdist worker, or a lane of tests/lanes.py)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "") or lanes.lane() or ""
        stem = f"report-{self.database}" + (f"-{worker}" if worker else "")
        write_json(folder / f"{stem}.json", {"scans": self.scans, "skipped": self.skipped})
        lines = [
            f"# axe-core report ({self.database}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)",
            "",
            f"{len(self.scans)} scans. Serious and critical violations fail the tests; "
            "the moderate and minor ones are listed here to be fixed.",
            "",
        ]
        for scan in self.scans:
            if not scan["violations"]:
                continue
            lines.append(f"## {scan['page']} ({scan['mode']}, {scan['who']})")
            lines.append("")
            lines.append("```")
            lines.append(readable(scan["violations"], where=scan["page"]))
            lines.append("```")
            lines.append("")
        if not any(scan["violations"] for scan in self.scans):
            lines.append("No moderate or minor findings.")
        if self.skipped:
            lines += ["", "## Not scanned", ""]
            lines += [f"- `{page}`: {reason}" for page, reason in sorted(self.skipped.items())]
        path = folder / f"{stem}.md"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


def split_by_impact(
    violations: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(serious or critical, moderate or minor)."""
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    other = [v for v in violations if v["impact"] not in FAILING_IMPACTS]
    return failing, other
