"""Throttles count in the cache: Redis when REDIS_URL is set, local memory otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

ROOT = Path(__file__).resolve().parents[2]


def _caches_with(redis_url: str) -> dict:
    """settings.CACHES as a process with this REDIS_URL reads it."""
    env = {**os.environ, "REDIS_URL": redis_url, "DJANGO_SETTINGS_MODULE": "symbiosis.settings"}
    code = "import json; from django.conf import settings; print(json.dumps(settings.CACHES))"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)["default"]


def test_the_cache_is_redis_when_redis_url_is_set():
    cache = _caches_with("redis://cache.example:6379/3")

    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://cache.example:6379/3"


def test_the_cache_is_local_memory_without_redis():
    cache = _caches_with("")

    assert cache["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.redis
@pytest.mark.django_db
def test_suggestion_throttle_counts_in_redis(settings, anonymous):
    # A prefix of this test's own: other processes' counters (and the broker) are untouched.
    prefix = f"test-{uuid.uuid4().hex}"
    url = os.environ.get("REDIS_URL") or os.environ["CELERY_BROKER_URL"]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                   "ewc-suggest": "3/minute"},
    }
    # DRF reads the rates once, at import: give the throttle the test's.
    rates = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        endpoint = reverse("api:ewc-code-suggest")
        statuses = [anonymous.get(endpoint, {"text": "fly ash"}).status_code for _ in range(4)]
        counted = cache.get("throttle_ewc-suggest_127.0.0.1")
        in_redis = redis.Redis.from_url(url).keys(f"{prefix}:*")
    finally:
        SimpleRateThrottle.THROTTLE_RATES = rates
        cache.delete("throttle_ewc-suggest_127.0.0.1")

    assert statuses == [200, 200, 200, 429]
    assert len(counted) == 3
    assert [key.decode() for key in in_redis] == [f"{prefix}:1:throttle_ewc-suggest_127.0.0.1"]


@pytest.mark.django_db
def test_logged_in_callers_are_not_held_by_the_public_suggestion_limit(owner_api, owner):
    rates = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = {**rates, "ewc-suggest": "2/minute"}
    try:
        endpoint = reverse("api:ewc-code-suggest")
        statuses = [owner_api.get(endpoint, {"text": "fly ash"}).status_code for _ in range(3)]
        anonymous = APIClient()
        public = [anonymous.get(endpoint, {"text": "fly ash"}).status_code for _ in range(3)]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = rates

    assert statuses == [200, 200, 200]
    assert public == [200, 200, 429]
