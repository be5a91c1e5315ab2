"""An accessibility scan of a page state with axe-core (the npm package, from node_modules).

The script is added with Playwright's ``add_script_tag``; pages forbid inline scripts (Content-Security-
Policy), so the contexts scanned are made with ``bypass_csp=True``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


async def axe_scan(page, state: str) -> list[dict]:
    """Run axe over the page as it is now; fails the test on any serious or critical violation."""
    if not AXE.exists():
        pytest.fail("needs axe-core: npm ci (make install)")
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + n.failureSummary)})); }"
    )
    blocking = [v for v in result if v["impact"] in BLOCKING]
    assert not blocking, f"axe in state {state!r}: " + "; ".join(
        f"{v['impact']} {v['id']} ({v['help']}): {v['nodes']}" for v in blocking
    )
    return result
