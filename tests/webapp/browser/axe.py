"""axe-core in a page: its violations, with target-size (WCAG 2.2 AA, 2.5.8) switched on.

axe-core (MPL-2.0, Deque Systems) comes from the ``axe-playwright-python`` package of the
dev extra, which ships ``axe.min.js``; only that file is used, injected into the page.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any


@cache
def axe_source() -> str:
    return (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def axe_results(page) -> dict[str, Any]:
    """axe's whole answer for the page as it is now."""
    # Evaluated through the DevTools protocol: the page's CSP (rightly) refuses inline tags.
    page.evaluate(f"() => {{ {axe_source()}\n }}")
    page.evaluate("() => { if (!window.axe) { throw new Error('axe did not load'); } }")
    return page.evaluate(
        "async () => await axe.run(document, {rules: {'target-size': {enabled: true}}})"
    )


def axe_violations(page) -> list[dict[str, Any]]:
    """Each violated rule with up to five of its nodes; [] when axe finds none."""
    return violations_in(axe_results(page))


def violations_in(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The violations of one axe answer, each rule with up to five of its nodes."""
    assert len(results["passes"]) > 20  # axe really ran its rules
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results["violations"]
    ]
