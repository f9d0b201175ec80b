"""The environment readers fail loudly on bad values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from symbiosis.env import available_cpus, env_bool, env_float, env_int, env_list

ROOT = Path(__file__).resolve().parent.parent


def test_env_bool_reads_common_spellings(monkeypatch):
    monkeypatch.setenv("FLAG", "Yes")
    assert env_bool("FLAG") is True
    monkeypatch.setenv("FLAG", "0")
    assert env_bool("FLAG", default=True) is False


def test_env_bool_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG")


def test_env_int_checks_type_and_bound(monkeypatch):
    monkeypatch.setenv("N", "12")
    assert env_int("N", 1) == 12
    monkeypatch.setenv("N", "twelve")
    with pytest.raises(ImproperlyConfigured):
        env_int("N", 1)
    monkeypatch.setenv("N", "0")
    with pytest.raises(ImproperlyConfigured):
        env_int("N", 1, minimum=1)


def test_env_float_and_list(monkeypatch):
    monkeypatch.setenv("R", "12.5")
    assert env_float("R", 1.0) == 12.5
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]
    monkeypatch.delenv("HOSTS")
    assert env_list("HOSTS", ["x"]) == ["x"]


def test_available_cpus_reads_the_affinity_mask_where_there_is_one(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 2, 5}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert available_cpus() == 3


def test_available_cpus_falls_back_to_cpu_count_without_affinity(monkeypatch):
    # macOS and Windows have no sched_getaffinity.
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert available_cpus() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # undeterminable
    assert available_cpus() == 1


_NO_AFFINITY_PROBE = """
import os
if hasattr(os, "sched_getaffinity"):
    del os.sched_getaffinity
os.cpu_count = lambda: 3
from django.conf import settings
settings.MATCH_THREADS
print(settings.MATCH_THREADS, settings.MATCH_PROCESSES)
"""


def test_settings_load_where_sched_getaffinity_does_not_exist():
    env = {k: v for k, v in os.environ.items() if k not in ("MATCH_THREADS", "MATCH_PROCESSES")}
    env["DJANGO_SETTINGS_MODULE"] = "symbiosis.settings"
    result = subprocess.run(
        [sys.executable, "-c", _NO_AFFINITY_PROBE],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3", "3"]


def _readme_configuration_rows() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("|"))


def test_every_environment_variable_the_settings_read_is_in_the_readme_table():
    import ast

    tree = ast.parse((ROOT / "symbiosis" / "settings.py").read_text(encoding="utf-8"))
    names = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id.startswith("env_")
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    assert {"DATABASE_URL", "MATCH_THREADS", "TASK_THREADS"} <= names
    table = _readme_configuration_rows()
    missing = sorted(name for name in names if f"`{name}`" not in table)
    assert missing == []
