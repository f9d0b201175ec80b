"""A distributed full rematch on one Celery worker against two: ``python -m bench.workers``.

Loads a generated region into the benchmark database, then runs the full rematch three
ways, each from an empty match table:

1. in one process (``match_rematch_full``, the reference);
2. spread over geographic cells (``match_rematch_distributed``) with one worker process;
3. the same with two worker processes.

Each worker is a ``--pool=solo`` process of its own (``bench.celery_worker``), so "two
workers" are two processes, each running one cell at a time; each run reports how many
cells every process ran. A distributed run is timed from the start of the coordinator
(reading and fitting), once the workers are ready, until the last cell's matches are
written; every run's stored matches are compared with the reference, row by row, through
a digest of all their values. ``--save`` writes ``bench/results/workers-<size>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.report import write_result

ROOT = Path(__file__).resolve().parents[1]

DIGEST_SQL = """
SELECT count(*), md5(coalesce(string_agg(
    offer_id || ':' || want_id || ':' || score::text || ':' || distance_km::text || ':'
    || components::text || ':' || explanation, '|' ORDER BY offer_id, want_id), ''))
FROM matching_match
"""


def digest() -> tuple[int, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(DIGEST_SQL)
        count, value = cursor.fetchone()
    return int(count), value


def clear_matches() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE matching_match")


def run_distributed(n_workers: int, *, cells: int, timeout_s: float) -> dict:
    """One distributed rematch with ``n_workers`` worker processes; wall time and checks.

    The clock starts once every worker is ready, so worker start-up is not counted;
    loading the new version into each worker is (every rematch makes a new version).
    """
    from bench.celery_worker import celery_workers
    from matching import services

    with celery_workers(n_workers) as workers:
        clear_matches()
        started = time.perf_counter()
        started_rematch = services.match_rematch_distributed(cells=cells)
        plan, version = started_rematch.plan, started_rematch.version
        fitted = time.perf_counter() - started
        while True:
            selected, written, total = services.match_rematch_progress(version=version)
            if written == total:
                break
            if time.perf_counter() - started > timeout_s:
                raise RuntimeError(f"not done after {timeout_s} s ({selected}/{written}/{total})")
            workers.check_running()
            time.sleep(0.05)
        wall = time.perf_counter() - started
    count, value = digest()
    # Read once the workers have stopped, so every finished task is in the logs.
    return {"workers": n_workers, "cells": len(plan), "wall_s": round(wall, 2),
            "coordinator_s": round(fitted, 2), "matches": count, "digest": value,
            "cells_per_worker": workers.succeeded("matching.tasks.rematch_cell"),
            "writes_per_worker": workers.succeeded("matching.tasks.rematch_write")}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.workers", description=__doc__)
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cells", type=int, default=8)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url",
                        default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--out", help="also write the JSON to this file")
    parser.add_argument("--save", action="store_true",
                        help="also write the JSON to bench/results/workers-<size>.json "
                        "(read by python -m bench.report)")
    args = parser.parse_args(argv)

    os.environ["REDIS_URL"] = args.redis_url
    os.environ["CELERY_BROKER_URL"] = args.redis_url
    from bench.database import load_region, server_version, settle, use_database
    from bench.generate import describe, generate_region
    from bench.matching import machine

    database_url = use_database(args.database_url)
    region = generate_region(args.listings, seed=args.seed)
    load_region(region)
    settle()
    result = {"listings": len(region.listings), **describe(region)}

    # The reference: the in-process rematch, in a fresh process like a worker.
    clear_matches()
    done = subprocess.run(
        [sys.executable, "-c",
         "import time; from bench.database import use_database; use_database(); "
         "from matching import services; t = time.perf_counter(); "
         "services.match_rematch_full(); print(time.perf_counter() - t)"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url}, check=True,
        capture_output=True, text=True,
    )
    result["single_process_s"] = round(float(done.stdout.split()[-1]), 2)
    reference = digest()
    result["single_process_matches"] = reference[0]

    runs = [run_distributed(n, cells=args.cells, timeout_s=args.timeout) for n in (1, 2)]
    for run in runs:
        run["identical_to_single_process"] = (run["matches"], run["digest"]) == reference
        del run["digest"]
    result["runs"] = runs
    result["speedup_2_vs_1"] = round(runs[0]["wall_s"] / runs[1]["wall_s"], 2)
    result["postgresql"] = server_version()
    result["machine"] = machine()
    result["command"] = "python -m bench.workers " + " ".join(sys.argv[1:])
    text = json.dumps(result, indent=2)
    write_result(result, kind="workers", out=args.out, save=args.save)
    print(text)


if __name__ == "__main__":
    main()
