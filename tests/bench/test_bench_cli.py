"""``python -m bench.matching`` end to end on PostgreSQL (a database of its own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "listings", "full_rematch_s", "db_write_s", "naive_s", "speedup", "single_p50_ms",
    "single_p95_ms", "peak_rss_mb", "identical_to_naive", "read_s", "fit_s", "candidates_s",
    "score_s", "write_s",
}

pytestmark = pytest.mark.postgres


def test_bench_cli_prints_the_figures_and_agrees_with_the_baseline(tmp_path):
    db = settings.DATABASES["default"]
    url = (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
           f"{db['NAME']}_benchcli")
    done = subprocess.run(
        [sys.executable, "-m", "bench.matching", "--listings", "300", "--json", "--api", "0",
         "--single", "20", "--database-url", url],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "MATCH_MODEL_DIR": str(tmp_path / "models")},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert KEYS <= set(result)
    assert result["listings"] == 300
    assert result["identical_to_naive"] is True
    assert result["matches"] > 0 and result["rerun_written"] == 0
    assert result["speedup"] > 1
    assert 0 < result["single_p50_ms"] <= result["single_p95_ms"]
