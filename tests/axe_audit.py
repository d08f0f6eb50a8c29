"""axe-core's accessibility audit of a page in the browser tests' Chromium.

The audit is Deque's axe-core, through the PyPI package `axe-playwright-python`, which ships
axe's script inside the package (axe.min.js, injected into the page by Playwright): nothing is
fetched at run time. Like Chromium itself (tests/chromium.py), a missing package skips the
audit on a developer's machine and fails it in CI (tests/required.py).

Impacts, from axe: minor < moderate < serious < critical. The kit's target is no serious or
critical violation on any page; each moderate one is either fixed or explained where the audit
is run (tests/test_browser_a11y.py), and every one is printed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from tests.required import missing

BLOCKING = ("serious", "critical")


def skip_module_without_axe() -> None:
    """Call at the top of a browser test module that audits, after skip_module_without_chromium."""
    try:
        import axe_playwright_python  # noqa: F401
    except ImportError:
        missing("the Python package axe-playwright-python is not installed (pip install -e '.[test]'); "
                "it carries axe-core for the accessibility audit", module=True)


@dataclass(frozen=True)
class Violation:
    page: str           # what the audit calls the page: kind, width and language
    rule: str           # axe's rule id, e.g. "landmark-unique"
    impact: str
    help: str
    targets: tuple[str, ...]    # CSS selectors of the elements, as axe names them

    def line(self) -> str:
        shown = ", ".join(self.targets[:4]) + (f" (+{len(self.targets) - 4})" if len(self.targets) > 4 else "")
        return f"{self.impact:9} {self.rule:28} {self.page}: {self.help} — {shown}"


def audit(page, name: str) -> list[Violation]:
    """axe-core's violations on the page as it is now (after any clicks a test made)."""
    from axe_playwright_python.sync_playwright import Axe
    results = Axe().run(page)
    return [Violation(name, v["id"], v["impact"] or "minor", v["help"],
                      tuple(" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                            for node in v["nodes"]))
            for v in results.response["violations"]]


def audit_as_shown_without_javascript(page, auditor, name: str) -> list[Violation]:
    """axe needs JavaScript (its audit waits on timers), which a page opened with JavaScript off
    never runs: the page's HTML, its scripts taken out, is audited in `auditor` (a page with
    JavaScript, the same size and language) at the same address, so its styles load as they did."""
    html = re.sub(r"<script\b.*?</script>", "", page.content(), flags=re.S | re.I)
    url = page.url
    auditor.route(url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html))
    try:
        auditor.goto(url)
    finally:
        auditor.unroute(url)
    assert auditor.evaluate("document.scripts.length") == 0
    return audit(auditor, name)


def report(violations: list[Violation]) -> str:
    """One line per rule and page, worst first, and a count by rule and impact."""
    order = {"critical": 0, "serious": 1, "moderate": 2, "minor": 3}
    lines = [v.line() for v in sorted(violations, key=lambda v: (order.get(v.impact, 4), v.rule, v.page))]
    counts: dict[tuple[str, str], int] = {}
    for v in violations:
        counts[(v.impact, v.rule)] = counts.get((v.impact, v.rule), 0) + len(v.targets)
    summary = [f"  {impact} {rule}: {n} element(s)" for (impact, rule), n in
               sorted(counts.items(), key=lambda item: (order.get(item[0][0], 4), item[0][1]))]
    return "\n".join(["axe-core violations:", *lines, "by rule (elements, all pages):", *summary]
                     if violations else ["axe-core: no violations"])
