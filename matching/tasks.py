"""Celery tasks: ids in, one service call, quiet when the row is gone."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from matching import services

_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "max_retries": 5,
    "acks_late": True,
}


@shared_task(name="matching.tasks.match_listing", **_RETRY)
def match_listing(listing_id: int) -> int | None:
    """Match one listing after it was saved (idempotent)."""
    return services.listing_rematch(listing_id=listing_id)


@shared_task(name="matching.tasks.rematch_all", **_RETRY)
def rematch_all() -> int:
    """Periodic full rematch (Celery beat)."""
    return services.match_rematch_all()
