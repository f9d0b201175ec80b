"""A real `celery worker` process on Redis matches a listing saved by the web process."""

from __future__ import annotations

import pytest
from django.conf import settings

from bench.celery_worker import celery_workers
from matching import services
from matching.models import Match
from tests.waiting import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    """One worker on a queue of its own; this process's tasks go there."""
    with celery_workers(1, prefix="test") as started:
        yield started


def test_real_worker_matches_a_saved_listing(owner, partner, worker):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    listing = services.listing_create(
        company=owner.company,
        user=owner.user,
        data={"kind": "offer", "site": owner.site, "title": "Pulverised fuel ash",
              "description": "Dry fly ash from our coal boiler, silo storage, tanker loading.",
              "ewc_code": "100102", "quantity": 800, "unit": "t", "frequency": "monthly"},
    )
    # No eager execution here: the match can only come from the worker process.

    def matched() -> bool:
        worker.check_running()
        return Match.objects.filter(offer=listing, want=partner.listing).exists()

    wait_until(matched, timeout=90, interval=0.2,
               message=lambda: "the worker did not match the listing in 90 s:\n"
               + worker.logs()[0])
    match = Match.objects.get(offer=listing, want=partner.listing)
    assert match.explanation
    # Received by the worker; it may not have logged the end of the task yet.
    assert "Task matching.tasks.match_listing[" in worker.logs()[0]
