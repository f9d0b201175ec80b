"""``python -m bench.matching`` and ``python -m bench.workers`` end to end on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.celery_worker import current_database_url

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "listings", "full_rematch_s", "db_write_s", "naive_s", "speedup", "single_p50_ms",
    "single_p95_ms", "peak_rss_mb", "identical_to_naive", "read_s", "fit_s", "candidates_s",
    "score_s", "write_s",
}

pytestmark = pytest.mark.postgres


@pytest.fixture
def bench_database_url():
    """A database of the benchmark's own beside the test database, dropped afterwards."""
    import psycopg
    from django.conf import settings
    from psycopg import sql

    url = current_database_url() + "_bench"
    yield url
    db = settings.DATABASES["default"]
    with psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
                         user=db["USER"] or "postgres", password=db.get("PASSWORD") or None,
                         dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(f"{db['NAME']}_bench")))


def _run(module: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
        timeout=600, env={**os.environ, "MATCH_MODEL_DIR": str(tmp_path / "models")},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_bench_cli_prints_the_figures_and_agrees_with_the_baseline(tmp_path, bench_database_url):
    done = _run("bench.matching", "--listings", "300", "--json", "--api", "0", "--single", "20",
                "--database-url", bench_database_url, tmp_path=tmp_path)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert KEYS <= set(result)
    assert result["listings"] == 300
    assert result["identical_to_naive"] is True
    assert result["matches"] > 0 and result["rerun_written"] == 0
    # How much faster is the benchmarks' business (docs/performance.md): here only that the
    # figure is the one its timings give.
    assert result["naive_s"] > 0 and result["full_rematch_s"] > 0
    assert result["speedup"] == round(result["naive_s"] / result["full_rematch_s"], 1)
    assert 0 < result["single_p50_ms"] <= result["single_p95_ms"]
    # The region was vacuumed and analysed after loading, before anything was timed.
    import psycopg

    with psycopg.connect(bench_database_url) as conn:
        vacuumed, analysed = conn.execute(
            "SELECT last_vacuum, last_analyze FROM pg_stat_user_tables "
            "WHERE relname = 'matching_listing'").fetchone()
    assert vacuumed is not None and analysed is not None


@pytest.mark.redis
def test_workers_cli_runs_one_then_two_worker_processes_and_agrees_with_one_process(
        tmp_path, bench_database_url):
    out = tmp_path / "workers.json"
    _run("bench.workers", "--listings", "300", "--cells", "4", "--database-url",
         bench_database_url, "--out", str(out), tmp_path=tmp_path)
    result = json.loads(out.read_text())
    one, two = result["runs"]
    assert result["listings"] == 300 and result["single_process_matches"] > 0
    for run, processes in ((one, 1), (two, 2)):
        assert run["workers"] == processes
        assert run["identical_to_single_process"] is True
        assert run["matches"] == result["single_process_matches"]
        assert run["wall_s"] > 0
        # Each worker process's own log: with two, both scored cells.
        assert len(run["cells_per_worker"]) == processes
        assert sum(run["cells_per_worker"]) == run["cells"] == 4
        assert min(run["cells_per_worker"]) >= 1
    assert result["speedup_2_vs_1"] == round(one["wall_s"] / two["wall_s"], 2)
