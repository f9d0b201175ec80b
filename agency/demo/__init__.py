"""The agency's demo step: each area adds its part (decisions, impact, firms, imports)."""

from __future__ import annotations

from typing import TextIO

from agency.demo.review import review_part
from symbiosis.demo import DemoReport

# Each entry: a function (*, stdout) -> tuple[str, ...] of report lines, run in order.
PARTS: list = [review_part]

from agency.demo.impact import impact_part  # noqa: E402 - each area appends its part

PARTS.append(impact_part)


def demo_step(*, stdout: TextIO | None = None) -> DemoReport:
    lines: list[str] = []
    for part in PARTS:
        lines.extend(part(stdout=stdout))
    return DemoReport(app="agency", headline="Agency workspace ready.", lines=tuple(lines))

from agency.demo.firms import firms_part  # noqa: E402

PARTS.append(firms_part)
