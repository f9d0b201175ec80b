"""Without a broker: queued tasks run after the response on the in-process pool, and the
periodic jobs run from a scheduler thread of the serving process (symbiosis.background).

No sleeps: the threads are coordinated with events, and the scheduler's clock is a fake
where timing is asserted.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.urls import path

from symbiosis import background
from symbiosis.celery import app

ROOT = Path(__file__).resolve().parent.parent.parent
WAIT_S = 10  # upper bound on a thread handing over; never reached when things work


class RecordingExecutor(ThreadPoolExecutor):
    """A real pool that counts what was handed to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=2, thread_name_prefix="symbiosis-task")
        self.submitted = 0

    def submit(self, fn, /, *args, **kwargs):
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


class _Probe:
    """What the test task and view saw, shared with the test."""

    def __init__(self) -> None:
        self.release = threading.Event()  # the task waits for it before doing its work
        self.done = threading.Event()
        self.ran: list[str] = []
        self.task_thread: str | None = None
        self.view_thread: str | None = None
        self.submitted_during_request: int | None = None


PROBE = _Probe()


@app.task(name="tests.project.record")
def record(label: str = "periodic") -> None:
    PROBE.task_thread = threading.current_thread().name
    PROBE.release.wait(WAIT_S)
    PROBE.ran.append(label)
    PROBE.done.set()


def queue_view(request):
    record.delay("queued in the request")
    PROBE.view_thread = threading.current_thread().name
    PROBE.submitted_during_request = background.runner().executor().submitted
    return HttpResponse("queued")


urlpatterns = [path("queue/", queue_view)]


@pytest.fixture
def not_eager():
    """Undo tests/conftest.py's eager shortcut for one test."""
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.fixture
def in_process(settings, monkeypatch, not_eager):
    """No broker and no eager shortcut: the runner is a fresh recording pool."""
    global PROBE
    PROBE = _Probe()
    settings.CELERY_BROKER_URL = ""
    runner = background.InProcessRunner(threads=2, executor=RecordingExecutor())
    monkeypatch.setattr(background, "_runner", runner)
    yield runner
    PROBE.release.set()
    runner.shutdown(wait=True)


@pytest.mark.urls(__name__)
def test_a_task_queued_in_a_request_runs_on_the_pool_after_the_response(client, in_process):
    response = client.get("/queue/")
    assert response.status_code == 200
    # Nothing reached the pool while the view ran, and the task has not done its work
    # when the response is back (it is held on `release`, if it started at all).
    assert PROBE.submitted_during_request == 0
    assert PROBE.ran == []
    assert in_process.executor().submitted == 1
    PROBE.release.set()
    assert PROBE.done.wait(WAIT_S)
    assert PROBE.ran == ["queued in the request"]
    assert PROBE.task_thread.startswith("symbiosis-task")
    assert PROBE.task_thread != PROBE.view_thread


def test_a_task_queued_outside_a_request_goes_to_the_pool_at_once(in_process):
    record.delay("from a command")
    # The caller did not run it (it would have waited on `release`): the pool has it.
    assert in_process.executor().submitted == 1
    assert PROBE.ran == []
    PROBE.release.set()
    assert PROBE.done.wait(WAIT_S)
    assert PROBE.ran == ["from a command"]
    assert PROBE.task_thread.startswith("symbiosis-task")


def test_a_failing_task_is_logged_and_the_pool_carries_on(in_process, caplog):
    def fails():
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="symbiosis.background"):
        failed = in_process.submit(fails)
        with pytest.raises(RuntimeError):
            failed.result(WAIT_S)
    assert "In-process task" in caplog.text and "boom" in caplog.text
    assert in_process.submit(lambda: 42).result(WAIT_S) == 42


def test_tests_run_tasks_synchronously_where_they_are_queued(settings):
    # tests/conftest.py sets task_always_eager: the task runs here, before delay returns.
    global PROBE
    PROBE = _Probe()
    PROBE.release.set()
    settings.CELERY_BROKER_URL = ""
    record.delay("eager")
    assert PROBE.ran == ["eager"]
    assert PROBE.task_thread == threading.current_thread().name


def test_with_a_broker_tasks_go_to_celery(settings, monkeypatch, not_eager):
    settings.CELERY_BROKER_URL = "redis://broker.invalid:6379/0"
    sent = []
    monkeypatch.setattr(
        "celery.app.task.Task.apply_async",
        lambda self, args=None, kwargs=None, *rest, **options: sent.append((self.name, args)),
    )
    monkeypatch.setattr(background, "_runner", None)
    record.delay("to the worker")
    assert sent == [("tests.project.record", ("to the worker",))]
    assert background._runner is None  # the in-process pool was never created


# --- the periodic scheduler ---------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _done_future() -> Future:
    future: Future = Future()
    future.set_result(None)
    return future


def test_scheduler_runs_each_job_once_per_period_from_one_period_after_start():
    clock = FakeClock()
    submitted: list[tuple[str, float]] = []
    jobs = [background.PeriodicJob(name="rematch-all", task="t.rematch", every_s=60.0),
            background.PeriodicJob(name="digest", task="t.digest", every_s=25.0)]

    def submit(job):
        submitted.append((job.name, clock.now))
        return _done_future()

    scheduler = background.PeriodicScheduler(jobs, submit=submit, clock=clock)
    assert scheduler.run_due() == 25.0 and submitted == []
    clock.now = 1025.0
    assert scheduler.run_due() == 25.0
    assert submitted == [("digest", 1025.0)]
    clock.now = 1060.0  # both due (digest since 1050): one run each
    assert scheduler.run_due() == 25.0
    assert submitted[1:] == [("rematch-all", 1060.0), ("digest", 1060.0)]
    # Far behind (the machine slept): each job runs once, missed periods are not made up.
    clock.now = 1300.0
    scheduler.run_due()
    assert submitted[-2:] == [("rematch-all", 1300.0), ("digest", 1300.0)]
    assert scheduler.run_due() == 25.0


def test_scheduler_skips_a_job_whose_previous_run_has_not_finished():
    clock = FakeClock()
    running: Future = Future()
    futures = [running, _done_future()]
    submitted = []

    def submit(job):
        submitted.append(clock.now)
        return futures.pop(0)

    job = background.PeriodicJob(name="rematch-all", task="t", every_s=10.0)
    scheduler = background.PeriodicScheduler([job], submit=submit, clock=clock)
    clock.now += 10
    scheduler.run_due()
    clock.now += 10
    scheduler.run_due()  # the first run is still going
    assert submitted == [1010.0]
    running.set_result(None)
    clock.now += 10
    scheduler.run_due()
    assert submitted == [1010.0, 1030.0]


def test_scheduler_thread_submits_due_jobs_until_stopped():
    ran = threading.Event()
    count = []

    def submit(job):
        count.append(job.name)
        ran.set()
        return _done_future()

    job = background.PeriodicJob(name="tick", task="t", every_s=0.01)
    scheduler = background.PeriodicScheduler([job], submit=submit)
    scheduler.start()
    try:
        assert ran.wait(WAIT_S)
        assert scheduler.running
    finally:
        scheduler.stop(timeout=WAIT_S)
    assert not scheduler.running
    after_stop = len(count)
    assert scheduler.run_due() >= 0 and len(count) <= after_stop + 1


def test_beat_schedule_becomes_periodic_jobs(settings):
    jobs = background.periodic_jobs(settings.CELERY_BEAT_SCHEDULE)
    assert [(job.name, job.task) for job in jobs] == [
        (name, entry["task"]) for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
    ]
    assert jobs[0].task == "matching.tasks.rematch_all"
    assert jobs[0].every_s == settings.CELERY_BEAT_SCHEDULE["rematch-all"]["schedule"]
    assert background.periodic_jobs(
        {"x": {"task": "t", "schedule": timedelta(minutes=5)}}
    )[0].every_s == 300.0
    with pytest.raises(ImproperlyConfigured, match="Celery beat"):
        background.periodic_jobs({"x": {"task": "t", "schedule": object()}})


def test_a_due_periodic_job_runs_its_task_on_the_pool(in_process):
    job = background.PeriodicJob(name="record", task="tests.project.record", every_s=1.0)
    PROBE.release.set()
    future = background._submit_task(job)
    future.result(WAIT_S)
    assert PROBE.ran == ["periodic"] and PROBE.task_thread.startswith("symbiosis-task")


def test_serve_starts_the_scheduler_only_without_a_broker(settings):
    settings.CELERY_BROKER_URL = "redis://broker.invalid:6379/0"
    assert background.serve() is None
    settings.CELERY_BROKER_URL = ""
    settings.TASK_SCHEDULE_IN_PROCESS = False
    assert background.serve() is None
    settings.TASK_SCHEDULE_IN_PROCESS = True
    try:
        scheduler = background.serve()
        assert scheduler.running
        assert background.serve() is scheduler  # once per process
        assert [job.name for job in scheduler.jobs] == list(settings.CELERY_BEAT_SCHEDULE)
    finally:
        background.stop_serving()
    assert not scheduler.running


def test_tests_do_not_start_the_scheduler():
    assert "symbiosis-scheduler" not in {thread.name for thread in threading.enumerate()}


_SERVING_PROBE = """
import threading
import symbiosis.wsgi
print(sorted(t.name for t in threading.enumerate()))
"""


@pytest.mark.parametrize("broker", ["", "redis://broker.invalid:6379/0"])
def test_the_wsgi_application_starts_the_scheduler_without_a_broker(broker):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update(DJANGO_SETTINGS_MODULE="symbiosis.settings", CELERY_BROKER_URL=broker)
    result = subprocess.run([sys.executable, "-c", _SERVING_PROBE], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert ("symbiosis-scheduler" in result.stdout) is (broker == "")
