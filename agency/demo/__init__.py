"""The agency's demo step: each area adds its part (decisions, impact, firms, imports)."""

from __future__ import annotations

from typing import TextIO

from agency.demo.facilities import facilities_demo
from agency.demo.firms import firms_part
from agency.demo.impact import impact_part
from agency.demo.review import review_part
from symbiosis.demo import DemoReport

# Each entry: a function (*, stdout) -> tuple[str, ...] of report lines, run in order.
# The register import comes last: its rematch adds pairs, and the parts before it
# decide on pairs of the firms that signed up.
PARTS: list = [review_part, impact_part, firms_part, facilities_demo]


def demo_step(*, stdout: TextIO | None = None) -> DemoReport:
    lines: list[str] = []
    for part in PARTS:
        lines.extend(part(stdout=stdout))
    return DemoReport(app="agency", headline="Agency workspace ready.", lines=tuple(lines))
