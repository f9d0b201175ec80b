"""Real ``celery worker`` processes on Redis, for the benchmarks and the tests.

Each worker is one ``--pool=solo`` process: it runs one task at a time in its own process,
so a model it loads stays loaded for its next task, and two workers are exactly two
processes working in parallel, as on two machines. The workers consume a queue of their
own, so other workers on the same Redis (a developer's ``make worker``) take none of the
tasks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]


def current_database_url() -> str:
    """The URL of the database Django uses now (in a test, the test database)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "postgres", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Workers:
    """Worker processes started by ``celery_workers`` and their log files."""

    queue: str
    processes: list[subprocess.Popen] = field(default_factory=list)
    log_paths: list[Path] = field(default_factory=list)

    def logs(self) -> list[str]:
        return [path.read_text() for path in self.log_paths]

    def check_running(self) -> None:
        """Raise, with the end of its log, if a worker has stopped."""
        for proc, path in zip(self.processes, self.log_paths, strict=True):
            if proc.poll() is not None:
                raise RuntimeError(
                    f"worker stopped (exit {proc.returncode}):\n{path.read_text()[-3000:]}")

    def succeeded(self, task: str) -> list[int]:
        """How many runs of ``task`` each worker finished, from its log."""
        return [sum(1 for line in text.splitlines()
                    if f"Task {task}[" in line and " succeeded in " in line)
                for text in self.logs()]

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        for path in self.log_paths:
            while " ready." not in path.read_text():
                self.check_running()
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"worker not ready after {timeout_s} s:\n{path.read_text()[-3000:]}")
                time.sleep(0.1)


@contextmanager
def celery_workers(count: int = 1, *, prefix: str = "bench",
                   ready_timeout_s: float = 90.0, app_module: str = "symbiosis",
                   env: dict[str, str] | None = None, queue: str = "") -> Iterator[Workers]:
    """Start ``count`` workers on a new queue and send this process's tasks there.

    Returns once every worker is ready, so what the caller times excludes start-up. The
    workers use this process's database, broker and model store. On exit they are stopped
    (warm shutdown, killed after 30 s) and this process's routing is restored. A test may
    start them from another Celery app module (``app_module``, one that wraps the project's
    app), with ``env`` added, on a ``queue`` it names (a second set on the same queue).
    """
    from django.conf import settings

    from symbiosis.celery import app

    broker = app.conf.broker_url
    if not broker:
        raise RuntimeError("no Celery broker configured: set REDIS_URL")
    workers = Workers(queue=queue or f"{prefix}-{uuid.uuid4().hex[:8]}")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "symbiosis.settings",
           "DATABASE_URL": current_database_url(), "CELERY_BROKER_URL": broker,
           "CELERY_TASK_DEFAULT_QUEUE": workers.queue,
           "MATCH_MODEL_DIR": str(settings.MATCH_MODEL_DIR), **(env or {})}
    previous = (app.conf.task_always_eager, app.conf.task_default_queue)
    try:
        for i in range(count):
            log_path = (Path(tempfile.gettempdir())
                        / f"symbiosis-{workers.queue}-{i}-{uuid.uuid4().hex[:4]}.log")
            with open(log_path, "w") as log:
                workers.processes.append(subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", app_module, "worker", "--pool=solo",
                     "-Q", workers.queue, "-n", f"{workers.queue}-{i}-{uuid.uuid4().hex[:4]}@%h",
                     "--without-gossip",
                     "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                ))
            workers.log_paths.append(log_path)
        workers._wait_ready(ready_timeout_s)
        app.conf.task_always_eager = False
        app.conf.task_default_queue = workers.queue
        app.amqp.__dict__.pop("queues", None)  # rebuild routing for the new default queue
        yield workers
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = previous
        app.amqp.__dict__.pop("queues", None)
        for proc in workers.processes:
            proc.terminate()
        for proc in workers.processes:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
