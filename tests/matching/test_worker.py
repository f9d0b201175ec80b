"""A real `celery worker` process on Redis matches a listing saved by the web process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from matching import services
from matching.models import Match

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = settings.DATABASES["default"]  # already pointing at the test database
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_queue():
    """Start a worker on a queue of its own, route this process's tasks there, stop it."""
    from symbiosis.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "symbiosis.settings",
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    log_path = Path(f"/tmp/symbiosis-{queue}.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "symbiosis", "worker", "--pool=solo",
             "-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel=INFO"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    previous = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    app.amqp.__dict__.pop("queues", None)  # rebuild routing for the new default queue
    try:
        yield proc, log_path
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = previous
        app.amqp.__dict__.pop("queues", None)
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_real_worker_matches_a_saved_listing(owner, partner, worker_queue):
    proc, log_path = worker_queue
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    listing = services.listing_create(
        company=owner.company,
        user=owner.user,
        data={"kind": "offer", "site": owner.site, "title": "Pulverised fuel ash",
              "description": "Dry fly ash from our coal boiler, silo storage, tanker loading.",
              "ewc_code": "100102", "quantity": 800, "unit": "t", "frequency": "monthly"},
    )
    # No eager execution here: the match can only come from the worker process.
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if Match.objects.filter(offer=listing, want=partner.listing).exists():
            break
        assert proc.poll() is None, log_path.read_text()
        time.sleep(0.5)
    else:
        pytest.fail("the worker did not match the listing in 90 s:\n" + log_path.read_text())
    match = Match.objects.get(offer=listing, want=partner.listing)
    assert match.explanation
    assert "matching.tasks.match_listing" in log_path.read_text()
