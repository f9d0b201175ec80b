"""``manage.py load_demo`` runs each app's demo step in arrow order, in one transaction."""

from __future__ import annotations

import sys
import types
from io import StringIO

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError

from accounts.models import Region
from symbiosis import demo, layers


@pytest.fixture
def fake_apps(monkeypatch):
    """Three apps with demo steps (the middle one without), recording the order they ran in."""
    ran: list[str] = []

    def add(app: str, step=None) -> None:
        package = types.ModuleType(app)
        package.__path__ = []  # a package, so that find_spec looks for app.demo
        monkeypatch.setitem(sys.modules, app, package)
        if step is not None:
            module = types.ModuleType(f"{app}.demo")
            module.__spec__ = types.SimpleNamespace(name=f"{app}.demo")
            module.demo_step = step
            monkeypatch.setitem(sys.modules, f"{app}.demo", module)

    def recording(app: str):
        def step(*, stdout=None):
            ran.append(app)
            return demo.DemoReport(app=app, headline=f"{app} ready", lines=(f"  {app} line",))

        return step

    add("fake_low", recording("fake_low"))
    add("fake_mid")
    add("fake_high", recording("fake_high"))
    return ran, add


def test_load_demo_is_the_projects_command():
    assert get_commands()["load_demo"] == "symbiosis"


def test_matching_exchanges_and_agency_contribute_demo_steps_in_arrow_order():
    assert [app for app, _step in demo.demo_steps()] == ["matching", "exchanges", "agency"]
    assert layers.APPS.index("accounts") < layers.APPS.index("matching")


@pytest.mark.django_db
def test_steps_run_lowest_app_first_and_skip_apps_without_one(fake_apps):
    ran, _add = fake_apps
    reports = demo.demo_load(apps=("fake_low", "fake_mid", "fake_high"))
    assert ran == ["fake_low", "fake_high"]
    assert [report.app for report in reports] == ["fake_low", "fake_high"]


@pytest.mark.django_db
def test_command_prints_each_steps_report_in_order(fake_apps, monkeypatch):
    monkeypatch.setattr(demo, "APPS", ("fake_high", "fake_low"))
    out = StringIO()
    call_command("load_demo", stdout=out)
    text = out.getvalue()
    assert text.index("fake_high ready") < text.index("  fake_high line") < text.index(
        "fake_low ready"
    )


@pytest.mark.django_db
def test_a_failing_step_leaves_nothing_of_the_load_behind(fake_apps, monkeypatch):
    ran, add = fake_apps

    def writes(*, stdout=None):
        Region.objects.create(name="Written by a lower step", slug="lower-step", country="FI",
                              min_lat=61.0, max_lat=62.0, min_lon=21.0, max_lon=22.0)
        return demo.DemoReport(app="fake_writer", headline="written")

    def fails(*, stdout=None):
        raise demo.DemoDataError("listing x: unknown unit")

    add("fake_writer", writes)
    add("fake_broken", fails)
    monkeypatch.setattr(demo, "APPS", ("fake_writer", "fake_broken"))
    with pytest.raises(CommandError, match="nothing was loaded: listing x: unknown unit"):
        call_command("load_demo", stdout=StringIO())
    assert not Region.objects.filter(slug="lower-step").exists()
