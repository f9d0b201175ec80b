"""Issue 19, faults: a listing the matcher cannot process is skipped, not fatal; with the
broker (a real, private Redis) down, saving still succeeds and matching catches up."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from matching import services
from matching.models import Listing, Match
from symbiosis.celery import app
from tests.factories import SiteFactory
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db


def test_an_unprocessable_listing_is_skipped_and_the_rest_matched(owner, partner, caplog):
    # Written around the validators (NaN even passes them: NaN < -90 is false), such a
    # position stopped the whole fit. (SQLite stores NaN as NULL: infinity here.)
    site = owner.site
    type(site).objects.filter(pk=site.pk).update(latitude=float("inf"))
    services.match_rematch_all()
    bad = Listing.objects.get(pk=owner.listing.pk)
    assert "position" in bad.match_skipped
    assert f"Listing {bad.pk} is skipped by the matcher" in caplog.text
    assert not Match.objects.filter(offer=bad).exists()
    assert services.listing_rematch(listing_id=bad.pk) == 0  # single listings too


def test_other_listings_still_match_beside_an_unprocessable_one(owner, partner):
    # The same offer again, at a sound site beside the broken one.
    twin = Listing.objects.get(pk=owner.listing.pk)
    twin.pk = None
    twin.site = SiteFactory(company=owner.company, latitude=owner.site.latitude,
                            longitude=owner.site.longitude)
    twin.external_id = ""
    twin.save()
    type(owner.site).objects.filter(pk=owner.site.pk).update(longitude=float("inf"))
    services.match_rematch_all()
    assert Listing.objects.get(pk=owner.listing.pk).match_skipped
    assert Match.objects.filter(offer=twin, want=partner.listing).exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own, on a free port, that the test stops and starts."""

    def __init__(self, tmp_path) -> None:
        self.port, self.dir, self.process = _free_port(), tmp_path, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def up() -> bool:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except OSError:
                return False
            return True

        wait_until(up, timeout=10, interval=0.05, message="redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def _reset_connections() -> None:
    """Celery keeps its broker connections and producers in pools: start them afresh.

    The pools live in kombu's process-wide registry keyed by broker URL: closing one and
    asking again would hand back the same closed pool, so the registry is emptied too.
    """
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.redis
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
def test_with_redis_down_saving_succeeds_and_matching_catches_up(
    owner, partner, tmp_path, settings, django_capture_on_commit_callbacks
):
    redis = PrivateRedis(tmp_path)
    redis.start()
    previous = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = redis.url, False
    settings.CELERY_BROKER_URL = redis.url
    _reset_connections()
    try:
        redis.stop()
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            listing = services.listing_create(
                company=owner.company, user=owner.user,
                data={"kind": "offer", "site": owner.site, "title": "Pulverised fuel ash",
                      "description": "Dry fly ash from the coal boiler, silo stored.",
                      "ewc_code": "100102", "quantity": 800, "unit": "t"},
            )
        assert time.monotonic() - started < 30
        listing.refresh_from_db()
        assert listing.needs_match  # saved; its match is owed
        assert not Match.objects.filter(offer=listing).exists()

        redis.start()
        # The sweep (a periodic task) runs where beat sends it; here, in this process.
        app.conf.task_always_eager = True
        assert services.match_pending() == 1
        listing.refresh_from_db()
        assert not listing.needs_match
        assert Match.objects.filter(offer=listing, want=partner.listing).exists()
    finally:
        app.conf.broker_url, app.conf.task_always_eager = previous
        _reset_connections()
        if redis.process.poll() is None:
            redis.stop()
