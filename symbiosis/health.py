"""What the health and readiness checks look at (symbiosis.views: /healthz, /readyz).

A worker's heartbeat: the periodic task ``symbiosis.tasks.heartbeat`` writes the time to
the cache; with a broker configured, readiness needs one younger than
``WORKER_HEARTBEAT_MAX_AGE_S`` (so beat and at least one worker are running).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection

HEARTBEAT_KEY = "symbiosis:worker-heartbeat"


def heartbeat_record() -> None:
    """Note that a worker ran a task just now."""
    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)


def check_database() -> str | None:
    """None when the database answers, else what went wrong."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure means not healthy; the reason is reported
        return f"database: {type(exc).__name__}"
    return None


def check_redis() -> str | None:
    """None when Redis is not configured or answers, else what went wrong."""
    url = settings.REDIS_URL or (
        settings.CELERY_BROKER_URL if settings.CELERY_BROKER_URL.startswith("redis") else ""
    )
    if not url:
        return None
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except Exception as exc:  # connection refused, timeout, authentication
        return f"redis: {type(exc).__name__}"
    return None


def check_worker() -> str | None:
    """None without a broker (tasks run in-process) or with a recent heartbeat."""
    if not settings.CELERY_BROKER_URL:
        return None
    try:
        beat = cache.get(HEARTBEAT_KEY)
    except Exception as exc:  # the cache is Redis, and it is down
        return f"worker heartbeat: {type(exc).__name__}"
    if beat is None:
        return "worker heartbeat: none yet"
    age = time.time() - float(beat)
    if age > settings.WORKER_HEARTBEAT_MAX_AGE_S:
        return f"worker heartbeat: {age:.0f} s old"
    return None
