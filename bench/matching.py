"""Benchmark of the matcher against PostgreSQL: ``python -m bench.matching --listings N``.

1. Generates a region of N listings (``bench.generate``; or reads ``--from-csv FILE``)
   and loads it into the benchmark database (not timed).
2. Runs the full rematch through the production service (``match_rematch_full``) in a
   fresh process, so ``peak_rss_mb`` is that process's peak: reading the listings from
   PostgreSQL, fitting, candidates, scoring, building rows, writing (all in
   ``full_rematch_s``; each part reported). In the same process, times single-listing
   queries against the fitted model (engine only: ``single_p50_ms``/``single_p95_ms``)
   and runs the rematch a second time (nothing changed: ``rerun_s``, ``rerun_written``).
3. Runs the naive baseline (``bench.naive``) on the same listings and model, up to
   ``--naive-max`` listings, and compares it with the stored matches.
4. Starts a real ``celery worker`` on Redis and times API-like saves (the listing
   service in this process, committing) until the worker has stored the new listing's
   matches (``api_p50_ms``/``api_p95_ms``).

``--json`` prints one JSON object; ``--out FILE`` also writes it to a file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.report import write_result

ROOT = Path(__file__).resolve().parents[1]


def _percentiles(values_ms: list[float]) -> tuple[float | None, float | None]:
    if not values_ms:
        return None, None
    return (round(float(np.percentile(values_ms, 50)), 2),
            round(float(np.percentile(values_ms, 95)), 2))


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class _MemorySampler:
    """Peak memory of this process together with its forked helpers, sampled every 0.1 s:
    this process's resident memory plus what each child holds of its own (its private
    pages, read every 0.5 s; the pages it shares with this process are already counted
    here)."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        # A child's private pages are counted by walking its page tables: at 0.1 s that
        # took a tenth of a core from the run it measures; every 0.5 s it is a fiftieth
        # (a helper's private memory grows by a batch's token lists, not in bursts).
        private: dict[str, int] = {}
        tick = 0
        while not self._stop.wait(0.1):
            children = _children()
            if tick % 5 == 0 or set(children) - set(private):
                private = {child: _rollup_kb(child, ("Private_Clean:", "Private_Dirty:"))
                           for child in children}
            tick += 1
            total = _status_kb("self", "VmRSS:") + sum(private.get(c, 0) for c in children)
            self.peak_mb = max(self.peak_mb, total / 1024)


def _children() -> list[str]:
    found = []
    for task in Path("/proc/self/task").glob("*"):
        try:
            found += (task / "children").read_text().split()
        except OSError:
            pass
    return found


def _status_kb(pid: str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rollup_kb(pid: str, fields: tuple[str, ...]) -> int:
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return 0
    return sum(int(line.split()[1]) for line in lines if line.startswith(fields))


# --- phase run in a fresh process ------------------------------------------------------


def phase_rematch(args: argparse.Namespace) -> dict:
    """Full rematch, single-listing latency, rerun (in this fresh process)."""
    from bench.database import use_database

    use_database(args.database_url)
    from django.db import transaction

    from matching import services

    started = time.perf_counter()
    # The outer transaction lets the commit be timed on its own (before migration 0003,
    # PostgreSQL checked the deferred foreign keys of every written match there).
    with _MemorySampler() as memory, transaction.atomic():
        report = services.match_rematch_full(k=args.k)
        committing = time.perf_counter()
    full_s = time.perf_counter() - started
    commit_s = time.perf_counter() - committing
    out = {
        "full_rematch_s": round(full_s, 3),
        "peak_rss_mb": _peak_rss_mb(),
        # With the helpers that inferred profiles beside this process (never below the
        # process's own peak, which sampling could miss).
        "peak_total_mb": round(max(memory.peak_mb, _peak_rss_mb()), 1),
        **report.fit,
        "version": report.version,
        "matches": report.matches,
        "candidates": report.candidates,
        "written": report.written,
        "deleted": report.deleted,
        **{name: round(value, 3) for name, value in report.seconds.items()},
        "commit_s": round(commit_s, 3),
    }
    out["db_write_s"] = out.get("write_s")
    if out["db_write_s"]:
        out["rows_written_per_s"] = round(report.written / out["db_write_s"])
    out.update(_single_latency(args.single))
    if args.rerun:
        started = time.perf_counter()
        again = services.match_rematch_full(k=args.k)
        out["rerun_s"] = round(time.perf_counter() - started, 3)
        out["rerun_written"] = again.written
        out["rerun_deleted"] = again.deleted
    return out


def _single_latency(n: int) -> dict:
    """Engine only: a new listing (unseen id) queried against the current model."""
    from django.conf import settings

    from matching import modelstore

    model = modelstore.current()
    if model is None or not n:
        return {}
    index = model.index
    picks = random.Random(7).sample(list(index.records), min(n, len(index.records)))
    timings = []
    for i, record in enumerate(picks):
        new = replace(record, id=-(i + 1), title=record.title + " (new)")
        started = time.perf_counter()
        index.query(new, k=settings.MATCH_TOP_K)
        timings.append((time.perf_counter() - started) * 1000)
    p50, p95 = _percentiles(timings)
    return {"single_p50_ms": p50, "single_p95_ms": p95, "single_n": len(timings)}


# --- phases run in the orchestrating process -------------------------------------------


def phase_naive(k: int) -> dict:
    """The baseline on the model's listings, compared with the stored matches."""
    from bench.naive import compare, naive_matches
    from matching import modelstore
    from matching.models import Match
    from matching.services.rematch import material_fit_floor

    model = modelstore.current()
    index = model.index
    started = time.perf_counter()
    slow = naive_matches(index.records, index.knowledge, index.text_model, k,
                         floor=material_fit_floor())
    naive_s = time.perf_counter() - started
    stored = list(
        Match.objects.all().only("offer_id", "want_id", "score", "distance_km", "components")
    )
    problems = compare(stored, slow)
    return {"naive_s": round(naive_s, 3), "identical_to_naive": not problems,
            "naive_matches": len(slow), "naive_problems": problems[:5]}


def phase_api(n_saves: int, *, timeout_s: float = 60.0) -> dict:
    """API save → matches stored by a real worker, one worker running."""
    from bench.celery_worker import celery_workers
    from matching import services
    from matching.models import Listing, Match

    with celery_workers(1) as worker:
        sources = list(
            Listing.objects.filter(status=Listing.Status.ACTIVE, matches_as_offer__isnull=False)
            .select_related("site", "company").distinct().order_by("id")[:5000]
        )
        rng = random.Random(11)
        timings: list[float] = []
        cold_ms = None
        for i in range(n_saves + 3):
            source = rng.choice(sources)
            data = {field: getattr(source, field) for field in (
                "kind", "site", "description", "category", "ewc_code", "quantity", "unit",
                "frequency", "density_t_per_m3", "available_from", "available_until",
                "hazardous", "accepts_hazardous", "physical_state", "temperature_c",
                "max_distance_km")}
            data["title"] = f"{source.title} (batch {i})"
            started = time.perf_counter()
            listing = services.listing_create(company=source.company, user=None, data=data)
            while not Match.objects.filter(offer_id=listing.id).exists():
                if time.perf_counter() - started > timeout_s:
                    raise RuntimeError(f"no matches stored within {timeout_s} s; see "
                                       f"{worker.log_paths[0]}")
                worker.check_running()
                time.sleep(0.002)
            elapsed = (time.perf_counter() - started) * 1000
            # The first saves load the model into the worker; they are reported apart.
            if i == 0:
                cold_ms = round(elapsed, 1)
            if i >= 3:
                timings.append(elapsed)
        p50, p95 = _percentiles(timings)
        return {"api_p50_ms": p50, "api_p95_ms": p95, "api_n": len(timings),
                "api_cold_ms": cold_ms}


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": mem_gb,
            "python": platform.python_version()}


def run(args: argparse.Namespace) -> dict:
    from bench.database import use_database

    if args.api:
        # Saves in this process queue their matching on Redis, for the worker to run.
        os.environ["REDIS_URL"] = args.redis_url
        os.environ["CELERY_BROKER_URL"] = args.redis_url
    database_url = use_database(args.database_url)
    from django.db import connection

    from bench.database import load_region, server_version, settle
    from bench.generate import describe, generate_region, region_from_csv

    started = time.perf_counter()
    if args.from_csv:
        region = region_from_csv(args.from_csv)
    else:
        region = generate_region(args.listings, seed=args.seed)
    load_region(region)
    settle()
    result = {"listings": len(region.listings), **describe(region),
              "load_s": round(time.perf_counter() - started, 1)}
    result["postgresql"] = server_version()
    connection.close()

    command = [sys.executable, "-m", "bench.matching", "--phase", "rematch",
               "--single", str(args.single), "--k", str(args.k),
               "--database-url", database_url] + ([] if args.rerun else ["--no-rerun"])
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"the rematch phase failed:\n{done.stderr[-4000:]}")
    result.update(json.loads(done.stdout.strip().splitlines()[-1]))

    if len(region.listings) <= args.naive_max:
        result.update(phase_naive(args.k))
        result["speedup"] = round(result["naive_s"] / result["full_rematch_s"], 1)
    else:
        result.update({"naive_s": None, "speedup": None, "identical_to_naive": None})
    if args.api:
        result.update(phase_api(args.api))
    result["machine"] = machine()
    result["command"] = "python -m bench.matching " + " ".join(sys.argv[1:])
    return result


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.matching", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listings", type=int, default=1000, help="listings to generate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--from-csv", help="read listings from this CSV instead "
                        "(columns id, kind, title, description, ewc_code, quantity, unit, "
                        "lat, lon, max_km)")
    parser.add_argument("--k", type=int, default=20, help="matches kept per listing")
    parser.add_argument("--naive-max", type=int, default=2000,
                        help="run the naive baseline up to this many listings")
    parser.add_argument("--single", type=int, default=200,
                        help="single-listing queries to time (engine only)")
    parser.add_argument("--api", type=int, default=50,
                        help="saves to time through a real worker (0: skip)")
    parser.add_argument("--no-rerun", dest="rerun", action="store_false",
                        help="skip the second (unchanged) rematch")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url",
                        default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--out", help="also write the JSON to this file")
    parser.add_argument("--save", action="store_true",
                        help="also write the JSON to bench/results/matching-<size>.json "
                        "(read by python -m bench.report)")
    parser.add_argument("--phase", choices=["rematch"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    if args.phase == "rematch":
        print(json.dumps(phase_rematch(args)))
        return
    result = run(args)
    text = json.dumps(result, indent=None if args.json else 2)
    write_result(result, kind="matching", out=args.out, save=args.save)
    print(text)


if __name__ == "__main__":
    main()
