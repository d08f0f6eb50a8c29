"""Every kind of page passes axe-core's accessibility audit (tests/axe_audit.py) in a real browser
(Debian's Chromium, headless), on a laptop and on a phone, in English and in Arabic (right to
left): no serious or critical violation anywhere; each moderate one fixed or explained below.

The pages and the people who look at them are tests/page_kinds.py's PAGE_KINDS: a new page kind
is one more entry there.
"""
from __future__ import annotations

import pytest

from tests.axe_audit import BLOCKING, audit, audit_as_shown_without_javascript, report, skip_module_without_axe
from tests.chromium import skip_module_without_chromium

skip_module_without_chromium()
skip_module_without_axe()

from tests import page_kinds  # noqa: E402
from tests.page_kinds import NO_JAVASCRIPT, PAGE_KINDS  # noqa: E402

site, people, wheel_packages = page_kinds.site, page_kinds.people, page_kinds.wheel_packages   # pytest's fixtures

pytestmark = pytest.mark.browser

# Moderate violations that stay, each with the reason. (None at the moment.)
EXPLAINED_MODERATE: dict[str, str] = {}


@pytest.mark.parametrize("locale", ["en", "ar"])
@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_kind_has_no_serious_or_critical_accessibility_violation(people, capsys, width, locale):
    someone = people(width, locale)
    violations = []
    for page_kind in PAGE_KINDS:
        page = someone.visit(page_kind)
        assert page.evaluate("document.documentElement.lang") == locale
        name = f"{page_kind.kind} ({width}px, {locale})"
        if page_kind.who == NO_JAVASCRIPT:
            violations += audit_as_shown_without_javascript(page, someone.page_of("auditor"), name)
        else:
            violations += audit(page, name)
    with capsys.disabled():
        print(f"\n{report(violations)}")
    blocking = [v.line() for v in violations if v.impact in BLOCKING]
    assert blocking == [], "serious or critical accessibility violations:\n" + "\n".join(blocking)
    unexplained = [v.line() for v in violations if v.impact == "moderate" and v.rule not in EXPLAINED_MODERATE]
    assert unexplained == [], "moderate violations to fix or explain (EXPLAINED_MODERATE):\n" + "\n".join(unexplained)
