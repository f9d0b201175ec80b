"""The demo loader behind ``manage.py load_demo``: each app's demo step, lowest app first.

An app takes part with a ``demo`` package that exposes ``demo_step(*, stdout) ->
DemoReport``: it creates or refreshes the app's demo rows (idempotent: a second run
writes nothing) and says what is there. The steps run in the order of
``symbiosis.layers.APPS`` inside one transaction, so a step finds what the steps below
it wrote, and a step that fails leaves nothing of the whole load behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec
from typing import TextIO

from django.db import transaction

from symbiosis.layers import APPS


class DemoDataError(ValueError):
    """An app's demo data is inconsistent; nothing has been written."""


@dataclass(frozen=True)
class DemoReport:
    """What one app's demo step leaves in place, for ``load_demo`` to print."""

    app: str
    headline: str  # one line, printed as a success
    lines: tuple[str, ...] = ()  # the details under it
    created: int = 0  # rows this run created
    updated: int = 0  # rows this run changed


DemoStep = Callable[..., DemoReport]


def demo_steps(apps: Iterable[str] | None = None) -> list[tuple[str, DemoStep]]:
    """(app, its ``demo.demo_step``) for each app (default: all) that has one, in order."""
    steps = []
    for app in APPS if apps is None else apps:
        if find_spec(f"{app}.demo") is None:
            continue
        step = getattr(import_module(f"{app}.demo"), "demo_step", None)
        if step is not None:
            steps.append((app, step))
    return steps


def demo_load(
    *, stdout: TextIO | None = None, apps: Iterable[str] | None = None
) -> list[DemoReport]:
    """Run every app's demo step, lowest first, in one transaction; progress to ``stdout``."""
    with transaction.atomic():
        return [step(stdout=stdout) for _app, step in demo_steps(apps)]
