"""Queued tasks and periodic jobs when there is no broker (``make run``'s default).

With a broker (``REDIS_URL`` or ``CELERY_BROKER_URL``) a Celery worker runs the tasks and
beat runs the schedule, and nothing here is used. Without one:

- A task queued while a request is handled (``task.delay``, ``delay_on_commit``) waits
  until the response has been sent, then runs on a small thread pool of the serving
  process (``TASK_THREADS``): no request waits on matching. Queued anywhere else (a
  management command, the scheduler) it goes to the pool at once.
- The periodic jobs of ``CELERY_BEAT_SCHEDULE`` run from a scheduler thread of the
  serving process on their period (``serve()``, called by ``symbiosis.wsgi`` and
  ``symbiosis.asgi``, so by ``make run``'s runserver and by gunicorn, never by tests or
  other management commands). Each serving process runs its own: with several, use a
  broker or set ``TASK_SCHEDULE_IN_PROCESS=0`` on all but one.

Tests stay deterministic: Celery's ``task_always_eager`` (set for every test in
tests/conftest.py) is honoured first, so a queued task runs synchronously at commit.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import close_old_connections

logger = logging.getLogger(__name__)

# The calls a request queued, held until its response has been sent; None outside one.
_held: contextvars.ContextVar[list[tuple[InProcessRunner, Callable, tuple, dict]] | None] = (
    contextvars.ContextVar("symbiosis_background_held", default=None)
)


def in_process() -> bool:
    """Whether tasks run in this process (no broker configured)."""
    return not settings.CELERY_BROKER_URL


def _run(fn: Callable, args: tuple, kwargs: dict) -> Any:
    # A pool thread keeps its database connection between tasks, as a request thread
    # does between requests: expired or broken ones are dropped before and after.
    close_old_connections()
    try:
        return fn(*args, **kwargs)
    except Exception:
        # A Celery task's apply is named by its task, anything else by its own name.
        name = getattr(getattr(fn, "__self__", None), "name", None)
        logger.exception("In-process task %s failed", name or getattr(fn, "__qualname__", fn))
        raise
    finally:
        close_old_connections()


class InProcessRunner:
    """A thread pool for queued work that holds a request's work until its response is sent."""

    def __init__(self, *, threads: int, executor: Executor | None = None) -> None:
        self.threads = threads
        self._executor = executor
        self._lock = threading.Lock()

    def executor(self) -> Executor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=self.threads, thread_name_prefix="symbiosis-task"
                )
            return self._executor

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future | None:
        """Run ``fn(*args, **kwargs)`` on the pool: after the response when called during a
        request (returns None), at once otherwise (returns its Future)."""
        held = _held.get()
        if held is not None:
            held.append((self, fn, args, kwargs))
            return None
        return self.executor().submit(_run, fn, args, kwargs)

    def shutdown(self, *, wait: bool = True) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait)


def request_started(**kwargs: Any) -> None:
    """Start holding what this request queues (connected to Django's request_started)."""
    _held.set([])


def request_finished(**kwargs: Any) -> None:
    """The response has been sent: hand what the request queued to the pool."""
    held = _held.get()
    _held.set(None)
    for runner_, fn, args, kwargs_ in held or ():
        runner_.executor().submit(_run, fn, args, kwargs_)


_runner: InProcessRunner | None = None
_runner_lock = threading.Lock()


def runner() -> InProcessRunner:
    """The process's runner (created on first use, ``TASK_THREADS`` threads)."""
    global _runner
    with _runner_lock:
        if _runner is None:
            _runner = InProcessRunner(threads=settings.TASK_THREADS)
        return _runner


# --- periodic jobs ------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: str  # a Celery task name
    every_s: float


def periodic_jobs(schedule: Mapping[str, Mapping[str, Any]]) -> list[PeriodicJob]:
    """The jobs of a ``CELERY_BEAT_SCHEDULE`` (periods in seconds or as timedeltas)."""
    jobs = []
    for name, entry in schedule.items():
        every = entry["schedule"]
        if isinstance(every, timedelta):
            every = every.total_seconds()
        if not isinstance(every, int | float) or every <= 0:
            raise ImproperlyConfigured(
                f"CELERY_BEAT_SCHEDULE[{name!r}]: the in-process scheduler takes a period in "
                "seconds or a timedelta; run Celery beat (set REDIS_URL) for other schedules."
            )
        jobs.append(PeriodicJob(name=name, task=entry["task"], every_s=float(every)))
    return jobs


class PeriodicScheduler:
    """Submits each job once per period, the first one period after the start, as Celery
    beat does. Missed periods are not made up, and a job whose previous run has not
    finished is skipped for this period rather than run twice at once."""

    def __init__(
        self,
        jobs: Iterable[PeriodicJob],
        *,
        submit: Callable[[PeriodicJob], Future | None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.jobs = list(jobs)
        self._submit = submit
        self._clock = clock
        start = clock()
        self._due = {job.name: start + job.every_s for job in self.jobs}
        self._running: dict[str, Future] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self) -> float:
        """Submit the jobs that are due; seconds until the next one is."""
        now = self._clock()
        for job in self.jobs:
            if now < self._due[job.name]:
                continue
            self._due[job.name] = now + job.every_s
            previous = self._running.get(job.name)
            if previous is not None and not previous.done():
                logger.warning("Periodic job %s still running: skipped this time", job.name)
                continue
            future = self._submit(job)
            if future is not None:
                self._running[job.name] = future
        if not self.jobs:
            return 3600.0
        return max(0.0, min(self._due.values()) - self._clock())

    def _loop(self) -> None:
        while not self._stop.wait(self.run_due()):
            pass

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="symbiosis-scheduler",
                                        daemon=True)
        self._thread.start()

    def stop(self, *, timeout: float | None = None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


def _submit_task(job: PeriodicJob) -> Future | None:
    from symbiosis.celery import app

    task = app.tasks[job.task]
    # apply() runs the task here, in the pool thread, with its retries.
    return runner().submit(task.apply, throw=True)


_scheduler: PeriodicScheduler | None = None


def serve() -> PeriodicScheduler | None:
    """Start the periodic jobs in this serving process when there is no broker (once)."""
    global _scheduler
    if not in_process() or not settings.TASK_SCHEDULE_IN_PROCESS:
        return None
    with _runner_lock:
        if _scheduler is None:
            _scheduler = PeriodicScheduler(
                periodic_jobs(settings.CELERY_BEAT_SCHEDULE), submit=_submit_task
            )
            _scheduler.start()
            logger.info("Periodic jobs run in this process: %s",
                        ", ".join(job.name for job in _scheduler.jobs))
        return _scheduler


def stop_serving() -> None:
    """Stop the scheduler ``serve()`` started (tests; a clean shutdown)."""
    global _scheduler
    with _runner_lock:
        scheduler, _scheduler = _scheduler, None
    if scheduler is not None:
        scheduler.stop(timeout=10)
