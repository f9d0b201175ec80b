"""Issue 19, deployment: check --deploy clean with production settings, health and
readiness, a CSP header, JSON logs."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from symbiosis import health
from symbiosis.logs import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "a-long-random-production-secret-" + "k" * 40,
        "ALLOWED_HOSTS": "symbiosis.example",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
        "SECURE_HSTS_PRELOAD": "1",
        "SECURE_SSL_REDIRECT": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    # Set by the browser tests' fixtures in this process; no deployment sets it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy(client):
    response = client.get(reverse("home"))
    assert "default-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_healthz_and_readyz_answer_ok_when_all_is_up(client, settings, locmem_cache):
    settings.CELERY_BROKER_URL = ""  # no broker: no worker to wait for
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


@pytest.fixture
def locmem_cache(settings, request):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": request.node.nodeid}}


@pytest.mark.django_db
def test_readyz_needs_a_recent_worker_heartbeat_when_a_broker_is_configured(
    client, settings, locmem_cache
):
    settings.CELERY_BROKER_URL = settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = "memory://"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "worker heartbeat: none yet" in response.json()["problems"]
    health.heartbeat_record()
    assert client.get("/readyz").status_code == 200
    settings.WORKER_HEARTBEAT_MAX_AGE_S = -1.0  # any beat is too old now
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200  # alive all the same


@pytest.mark.django_db
def test_readyz_fails_when_redis_is_down(client, settings, locmem_cache):
    settings.CELERY_BROKER_URL = ""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["problems"][0].startswith("redis:")


def test_json_logs_are_one_object_per_line():
    record = logging.makeLogRecord({"name": "symbiosis.test", "levelname": "WARNING",
                                    "msg": "listing %s skipped", "args": (7,),
                                    "listing_id": 7})
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["message"] == "listing 7 skipped"
    assert entry["level"] == "WARNING" and entry["listing_id"] == 7
    assert "\n" not in line
