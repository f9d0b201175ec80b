"""Load on the portal and the API: ``python -m bench.load``.

Serves the project with gunicorn on loopback (``DEBUG=0``) against ``DATABASE_URL`` (a
PostgreSQL scratch database: the run replaces its companies, sites, listings and matches)
holding the **bench region** (``bench.generate``, ``--listings``, 100,000 by default: the
listings, their sites and firms, and the matches of a full rematch), with the cache on
Redis (``--redis-url``, a database of its own that the run empties), as in production.
``load-N@bench.example`` users join the region's firm with the most listings. Then it
drives the server **open-loop**: requests are sent at a fixed arrival rate whatever the
answers take, each timed from when it was due (so queueing in the client counts, no
coordinated omission). The rate steps up (``--rates``) for ``--step-s`` seconds each and
stops at the first step with an error or past ``--max-s`` in all. The mix, round-robin:

- ``page-dashboard``: ``/portal/`` as a logged-in firm member (session cookie);
- ``page-listing``: one of the firm's listing pages;
- ``api-list``: ``GET /api/v1/listings/`` (token);
- ``api-detail``: ``GET /api/v1/matches/<id>/`` (token).

Each API user is throttled (``api-user``, 300 a minute), so the load is spread over
``--users`` accounts. The server answers pages and API reads from the cache until the
next write (``RESPONSE_CACHE``, ``symbiosis/freshness.py``); ``--no-response-cache``
measures without it. It reports, per step, p50/p95/p99 per kind, the errors, and the
highest rate held with no errors, and whether the goals held (pages p95 ≤ 200 ms, API
p95 ≤ 100 ms). ``--write-docs`` puts the table into ``docs/performance.md`` (between
``<!-- load:start -->`` and ``<!-- load:end -->``). Numbers measured while other work ran
on the machine are indicative only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- load:start -->", "<!-- load:end -->"
KINDS = ("page-dashboard", "page-listing", "api-list", "api-detail")
GOALS_P95_MS = {"page-dashboard": 200, "page-listing": 200, "api-list": 100,
                "api-detail": 100}


# The server and this process share the key: sessions made here are signed with it.
BENCH_ENV = {"DEBUG": "0", "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-load-not-secret-" * 3),
             "ALLOWED_HOSTS": "127.0.0.1", "SESSION_COOKIE_SECURE": "0",
             "CSRF_COOKIE_SECURE": "0", "TASK_SCHEDULE_IN_PROCESS": "0", "LOG_LEVEL": "WARNING",
             "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"}


def _setup_django() -> None:
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)  # no broker here: the rematch runs in this process
    os.environ.update(BENCH_ENV)
    from bench.database import use_database

    use_database()


def prepare(users: int, listings: int, seed: int) -> dict:
    """Load the bench region and match it; make the bench users of its busiest firm.

    Returns their cookies and tokens, the firm's listing ids and some of its match ids."""
    _setup_django()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count
    from rest_framework.authtoken.models import Token

    from accounts.models import Company, Membership, User
    from bench.database import load_region, settle
    from bench.generate import generate_region
    from matching.models import Listing, Match
    from matching.services import match_rematch_all

    region = generate_region(listings, seed=seed)
    load_region(region)
    match_rematch_all()
    settle()
    company = (Company.objects.annotate(n=Count("listings")).order_by("-n", "pk").first())
    if company is None:
        raise SystemExit("the bench region has no firms")
    listing_ids = list(Listing.objects.filter(company=company).values_list("pk", flat=True))
    matches = list(Match.objects.filter(offer__company=company)
                   .values_list("pk", flat=True)[:50])
    matches += list(Match.objects.filter(want__company=company)
                    .values_list("pk", flat=True)[:50])
    if not listing_ids or not matches:
        raise SystemExit("the bench region's busiest firm has no listings or matches")
    print(f"firm {company.pk}: {len(listing_ids)} listings, "  # noqa: T201
          f"{Match.objects.filter(offer__company=company).count()} + "
          f"{Match.objects.filter(want__company=company).count()} matches", flush=True)
    sessions, tokens = [], []
    for n in range(users):
        user, _ = User.objects.get_or_create(email=f"load-{n}@bench.example",
                                             defaults={"full_name": f"Load {n}"})
        Membership.objects.get_or_create(user=user, company=company,
                                         defaults={"role": Membership.Role.MEMBER})
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append(f"{settings.SESSION_COOKIE_NAME}={store.session_key}")
        tokens.append(Token.objects.get_or_create(user=user)[0].key)
    return {"sessions": sessions, "tokens": tokens, "listings": listing_ids,
            "matches": matches}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(workers: int, threads: int, *, redis_url: str,
                 response_cache: bool) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update(BENCH_ENV)
    # Redis holds the cache (sessions, throttles, answers) that every worker shares; the
    # load is read-only, so the broker it also names is never used.
    env.update(REDIS_URL=redis_url, RESPONSE_CACHE="1" if response_cache else "0")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "symbiosis.wsgi", "-b", f"127.0.0.1:{port}",
         "-w", str(workers), "-k", "gthread", "--threads", str(threads),
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped: {server.stderr.read()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not answer /healthz in 60 s")


@dataclass
class Step:
    rate: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    errors: list[str] = field(default_factory=list)
    sent: int = 0

    def percentile(self, kind: str, q: float) -> float | None:
        values = sorted(self.latencies[kind])
        if not values:
            return None
        return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] * 1000

    def goals_held(self) -> bool:
        return all((self.percentile(k, 0.95) or 0) <= GOALS_P95_MS[k] for k in KINDS)


class Driver:
    """Sends requests due at given times from a pool of threads, one connection each."""

    def __init__(self, port: int, fixtures: dict, timeout_s: float) -> None:
        self.port, self.fixtures, self.timeout_s = port, fixtures, timeout_s
        self.local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout_s)
            self.local.conn = conn
        return conn

    def request(self, n: int) -> tuple[str, str, dict]:
        f = self.fixtures
        kind = KINDS[n % len(KINDS)]
        user = n % len(f["tokens"])
        if kind == "page-dashboard":
            return kind, "/portal/", {"Cookie": f["sessions"][user]}
        if kind == "page-listing":
            listing = f["listings"][n % len(f["listings"])]
            return kind, f"/portal/listings/{listing}/", {"Cookie": f["sessions"][user]}
        auth = {"Authorization": f"Token {f['tokens'][user]}"}
        if kind == "api-list":
            return kind, "/api/v1/listings/", auth
        return kind, f"/api/v1/matches/{f['matches'][n % len(f['matches'])]}/", auth

    def send(self, n: int, due: float, step: Step) -> None:
        kind, path, headers = self.request(n)
        while (wait := due - time.monotonic()) > 0:
            time.sleep(wait)
        for attempt in (1, 2):
            reused = getattr(self.local, "conn", None) is not None
            try:
                conn = self._conn()
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.local.conn = None
                # The server closes idle keep-alive connections: a stale one is retried
                # once on a new connection, as any HTTP client does.
                if reused and attempt == 1:
                    continue
                step.errors.append(f"{kind} {path}: {type(exc).__name__}")
                return
            break
        if response.status != 200:
            step.errors.append(f"{kind} {path}: {response.status}")
        step.latencies[kind].append(time.monotonic() - due)

    def run_step(self, rate: float, seconds: float, pool: ThreadPoolExecutor) -> Step:
        step = Step(rate=rate)
        count = int(rate * seconds)
        start = time.monotonic() + 0.2
        futures = [pool.submit(self.send, n, start + n / rate, step) for n in range(count)]
        for future in futures:
            future.result()
        step.sent = count
        return step


def table(steps: list[Step]) -> str:
    lines = ["| rate (req/s) | sent | errors | " + " | ".join(
        f"{k} p50 / p95 / p99 (ms)" for k in KINDS) + " | goals |",
        "|---:|---:|---:|" + "---:|" * len(KINDS) + "---|"]
    for step in steps:
        cells = []
        for kind in KINDS:
            values = [step.percentile(kind, q) for q in (0.5, 0.95, 0.99)]
            cells.append(" / ".join("–" if v is None else f"{v:.0f}" for v in values))
        lines.append(f"| {step.rate:g} | {step.sent} | {len(step.errors)} | "
                     + " | ".join(cells) + f" | {'held' if step.goals_held() else 'broken'} |")
    return "\n".join(lines)


def write_docs(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    if START in doc and END in doc:
        doc = doc[:doc.index(START)] + text + doc[doc.index(END) + len(END):]
    else:
        doc = doc.rstrip("\n") + "\n\n" + text + "\n"
    DOC.write_text(doc, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="20,40,80,120,160,200,250,300",
                        help="arrival rates to step through, requests per second")
    parser.add_argument("--step-s", type=float, default=10.0, help="seconds per step")
    parser.add_argument("--max-s", type=float, default=150.0, help="stop after this long")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--users", type=int, default=40, help="bench accounts to spread over")
    parser.add_argument("--timeout-s", type=float, default=5.0, help="a slower answer fails")
    parser.add_argument("--listings", type=int, default=100_000, help="bench region size")
    parser.add_argument("--seed", type=int, default=0, help="bench region seed")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9",
                        help="the cache's Redis database (emptied first)")
    parser.add_argument("--no-response-cache", action="store_true",
                        help="serve every request afresh (RESPONSE_CACHE=0)")
    parser.add_argument("--write-docs", action="store_true",
                        help="put the results into docs/performance.md")
    args = parser.parse_args(argv)

    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    fixtures = prepare(args.users, args.listings, args.seed)
    server, port = start_server(args.workers, args.threads, redis_url=args.redis_url,
                                response_cache=not args.no_response_cache)
    driver = Driver(port, fixtures, args.timeout_s)
    steps: list[Step] = []
    began = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=64) as pool:
            driver.run_step(5, 2, pool)  # warm-up: imports, caches, connections
            for rate in (float(r) for r in args.rates.split(",")):
                if time.monotonic() - began + args.step_s > args.max_s:
                    break
                step = driver.run_step(rate, args.step_s, pool)
                steps.append(step)
                print(table([step]).splitlines()[-1], flush=True)  # noqa: T201
                if step.errors:
                    print("errors:", step.errors[:5], flush=True)  # noqa: T201
                    break
    finally:
        server.terminate()
        server.wait(30)
    held = [s for s in steps if not s.errors]
    best = max((s.rate for s in held), default=0)
    best_goals = max((s.rate for s in held if s.goals_held()), default=0)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    summary = {"highest_rate_without_errors": best, "highest_rate_within_goals": best_goals,
               "workers": args.workers, "threads": args.threads, "cpus": os.cpu_count(),
               "listings": args.listings, "response_cache": not args.no_response_cache,
               "load_average_at_end": round(load, 2), "python": platform.python_version()}
    print(table(steps))  # noqa: T201
    print(json.dumps(summary))  # noqa: T201
    if args.write_docs:
        write_docs(
            f"{START}\n### Load (`python -m bench.load`)\n\n"
            f"gunicorn, {args.workers} workers × {args.threads} threads, on "
            f"{os.cpu_count()} CPUs; the bench region of {args.listings:,} listings on "
            f"PostgreSQL; response cache {'on' if not args.no_response_cache else 'off'}; "
            f"{args.step_s:g} s per step. Highest rate with no errors: **{best:g} "
            f"requests/s**; highest with every p95 within its goal: **{best_goals:g} "
            f"requests/s**. Load average at the end: {load:.1f}.\n\n"
            f"{table(steps)}\n{END}")


if __name__ == "__main__":
    main()
