"""Bulk submission through the API, end to end: ``python -m bench.api``.

Generates a region (``bench.generate``), loads its sites into the benchmark database under
a few client firms (one per ``--batch`` listings: firms that push their streams from an
ERP), gives each firm an owner and a company API key, and starts

- a real gunicorn server on loopback (``--gunicorn-workers`` sync workers, ``DEBUG=0``);
- a real Celery worker on Redis (``bench.celery_worker``, one ``--pool=solo`` process on a
  queue of its own), which runs the one ``match_listings`` task each batch queues.

Then ``--clients`` threads post the region's listings to ``POST /api/v1/listings/bulk/``
in batches of ``--batch`` (each firm its own listings, with its key) and the clock runs
from the first request until the last answer: *accepted per second* counts the items the
answers report ``created`` (the view answers after its transaction committed). *Matched
after the last batch* is the time from the last answer until the worker has finished
the matching task of every batch. ``--save`` writes ``bench/results/api-<size>.json``;
``python -m bench.report`` puts it into ``docs/performance.md``.

The machine may be shared: the load average before and after the run is recorded with
the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bench.report import write_result

ROOT = Path(__file__).resolve().parents[1]
MATCH_TASK = "matching.tasks.match_listings"


def listing_payload(item) -> dict:
    """One synthetic listing as a client's system sends it (its key as external id)."""
    def iso(value):
        return value.isoformat() if value is not None else None

    data = {
        "external_id": f"bench-{item.key}", "kind": item.kind, "site": item.site,
        "title": item.title[:200], "description": item.description,
        "category": item.category, "ewc_code": item.ewc_code,
        "quantity": None if item.quantity is None else repr(item.quantity),
        "unit": item.unit, "frequency": item.frequency,
        "density_t_per_m3": item.density_t_per_m3,
        "available_from": iso(item.available_from), "available_until": iso(item.available_until),
        "hazardous": item.hazardous, "accepts_hazardous": item.accepts_hazardous,
        "physical_state": item.physical_state, "temperature_c": item.temperature_c,
        "max_distance_km": item.max_distance_km,
    }
    return {name: value for name, value in data.items() if value is not None}


def prepare(region, *, batch: int) -> list[tuple[str, list[dict]]]:
    """Load the region's sites under client firms, one owner and key each; returns the
    batches to post as (key text, items), each batch one firm's."""
    from accounts.models import Company, Membership, User
    from bench.database import load_region
    from bench.generate import SyntheticCompany, SyntheticRegion
    from integrations import services as integration_services
    from integrations.models import ApiKey

    firms = max(2, -(-len(region.listings) // batch))
    nace = [c.nace for c in region.companies] or ["38.32"]
    companies = [SyntheticCompany(key=i + 1, name=f"Bench client {i + 1}", nace=nace[i % len(nace)])
                 for i in range(firms)]
    sites = [replace(site, company=companies[i % firms].key)
             for i, site in enumerate(region.sites)]
    load_region(SyntheticRegion(companies=companies, sites=sites, listings=[]))
    User.objects.filter(email__endswith="@bench.example").delete()
    keys = {}
    for company in companies:
        user = User.objects.create_user(email=f"client{company.key}@bench.example")
        Membership.objects.create(user=user, company_id=company.key,
                                  role=Membership.Role.OWNER)
        _key, text = integration_services.api_key_create(
            company=Company.objects.get(pk=company.key), user=user, name="bench",
            scopes=[ApiKey.Scope.READ, ApiKey.Scope.LISTINGS])
        keys[company.key] = text
    firm_of_site = {site.key: site.company for site in sites}
    per_firm: dict[int, list[dict]] = {company.key: [] for company in companies}
    for item in region.listings:
        per_firm[firm_of_site[item.site]].append(listing_payload(item))
    batches = []
    for firm, items in per_firm.items():
        for start in range(0, len(items), batch):
            batches.append((keys[firm], items[start:start + batch]))
    return batches


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(*, env: dict, workers: int, log_path: Path) -> tuple[subprocess.Popen, str]:
    """A gunicorn on a free loopback port; returns once it answers."""
    port = _free_port()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "symbiosis.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", "300",
             "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn stopped:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5):
                break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within 120 s") from None
            time.sleep(0.2)
    return proc, base


def post_batch(base: str, key: str, items: Sequence[dict]) -> tuple[float, dict]:
    body = json.dumps({"listings": list(items)}).encode()
    request = urllib.request.Request(
        f"{base}/api/v1/listings/bulk/", data=body, method="POST",
        headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
        answer = json.loads(response.read())
    return time.perf_counter() - started, answer


def post_all(base: str, batches: list[tuple[str, list[dict]]], *, clients: int) -> dict:
    """Post every batch from ``clients`` threads; timings and what the answers said."""
    pending = list(enumerate(batches))
    lock = threading.Lock()
    timings: list[float] = []
    results: dict[str, int] = {}
    errors: list[str] = []
    refused: list[dict] = []

    def client() -> None:
        while True:
            with lock:
                if not pending or errors:
                    return
                _index, (key, items) = pending.pop(0)
            try:
                elapsed, answer = post_batch(base, key, items)
            except Exception as exc:  # noqa: BLE001 - reported, stops the run
                with lock:
                    errors.append(repr(exc))
                return
            print(f"batch of {len(items)}: {elapsed:.2f} s", file=sys.stderr, flush=True)
            with lock:
                timings.append(elapsed)
                for row in answer["results"]:
                    results[row["result"]] = results.get(row["result"], 0) + 1
                    if row["result"] == "error":
                        refused.append(row)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"a batch failed: {errors[0]}")
    return {"wall_s": wall, "timings": timings, "results": results, "refused": refused[:3]}


def wait_matched(workers, *, tasks: int, timeout_s: float) -> float:
    """Seconds until the worker finished ``tasks`` matching tasks (from now)."""
    started = time.perf_counter()
    while sum(workers.succeeded(MATCH_TASK)) < tasks:
        workers.check_running()
        if time.perf_counter() - started > timeout_s:
            raise RuntimeError(f"matching not done after {timeout_s} s; see "
                               f"{workers.log_paths[0]}")
        time.sleep(0.1)
    return time.perf_counter() - started


def run(args: argparse.Namespace) -> dict:
    from django.conf import settings

    from bench.celery_worker import celery_workers
    from bench.database import server_version, settle
    from bench.generate import describe, generate_region
    from bench.matching import machine
    from matching.models import Listing, Match

    region = generate_region(args.listings, seed=args.seed)
    batches = prepare(region, batch=args.batch)
    settle()
    load_before = os.getloadavg()
    log_dir = Path(tempfile.mkdtemp(prefix="bench-api-"))
    with celery_workers(1, prefix="bench-api") as workers:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "symbiosis.settings",
               "DATABASE_URL": os.environ["DATABASE_URL"], "DEBUG": "0",
               "SECRET_KEY": "bench-api-not-secret", "ALLOWED_HOSTS": "127.0.0.1",
               "CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"],
               "CELERY_TASK_DEFAULT_QUEUE": workers.queue,
               "MATCH_MODEL_DIR": str(settings.MATCH_MODEL_DIR),
               "SECURE_SSL_REDIRECT": "0", "SESSION_COOKIE_SECURE": "0",
               "CSRF_COOKIE_SECURE": "0"}
        server, base = start_gunicorn(env=env, workers=args.gunicorn_workers,
                                      log_path=log_dir / "gunicorn.log")
        try:
            posted = post_all(base, batches, clients=args.clients)
            matched_s = wait_matched(workers, tasks=len(batches), timeout_s=args.timeout)
        finally:
            server.terminate()
            server.wait(timeout=30)
    load_after = os.getloadavg()
    created = posted["results"].get("created", 0)
    timings_ms = sorted(t * 1000 for t in posted["timings"])
    active = Listing.objects.filter(status=Listing.Status.ACTIVE)
    matched_ids = set(Match.objects.values_list("offer_id", flat=True)) | set(
        Match.objects.values_list("want_id", flat=True))
    return {
        "listings": len(region.listings), **describe(region),
        "batch": args.batch, "batches": len(batches), "clients": args.clients,
        "firms": len({key for key, _items in batches}),
        "gunicorn_workers": args.gunicorn_workers,
        "matching": "celery worker on Redis (1 process, --pool=solo)",
        "results": posted["results"], "refused_examples": posted["refused"],
        "stored": active.count(),
        "post_wall_s": round(posted["wall_s"], 2),
        "accepted_per_s": round(created / posted["wall_s"], 1),
        "batch_p50_ms": round(statistics.median(timings_ms), 1),
        "batch_max_ms": round(timings_ms[-1], 1),
        "matched_after_last_batch_s": round(matched_s, 2),
        "matches": Match.objects.count(),
        "listings_with_matches": len(matched_ids),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "postgresql": server_version(), "machine": machine(),
        "command": "python -m bench.api " + " ".join(sys.argv[1:] if args.argv is None
                                                    else args.argv),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listings", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=2, help="threads posting batches")
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url",
                        default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--out", help="also write the JSON to this file")
    parser.add_argument("--save", action="store_true",
                        help="also write bench/results/api-<size>.json (python -m bench.report)")
    args = parser.parse_args(argv)
    args.argv = argv

    # A terminated run still stops its server and worker (the finally blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    os.environ["REDIS_URL"] = args.redis_url
    os.environ["CELERY_BROKER_URL"] = args.redis_url
    os.environ.setdefault("MATCH_MODEL_DIR", tempfile.mkdtemp(prefix="bench-api-models-"))
    from bench.database import use_database

    use_database(args.database_url)
    result = run(args)
    write_result(result, kind="api", out=args.out, save=args.save)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
