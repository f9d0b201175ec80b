"""The agency's demo step: each area adds its part (decisions, impact, firms, imports)."""

from __future__ import annotations

from typing import TextIO

from symbiosis.demo import DemoReport

# Each entry: a function (*, stdout) -> tuple[str, ...] of report lines, run in order.
PARTS: list = []


def demo_step(*, stdout: TextIO | None = None) -> DemoReport:
    lines: list[str] = []
    for part in PARTS:
        lines.extend(part(stdout=stdout))
    return DemoReport(app="agency", headline="Agency workspace ready.", lines=tuple(lines))

from agency.demo.facilities import facilities_demo  # noqa: E402

PARTS.append(facilities_demo)
