"""What happened in matching, announced for the apps above it (integrations subscribes in
its AppConfig.ready); matching never imports them. Announcements go out once the
transaction that made them commits, and a failing receiver is logged, never raised.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# One listing was rematched. Receivers get ``created`` and ``updated`` (match ids).
matches_saved = Signal()
# A full rematch ran. Receivers get ``listing_ids``: listings with a match written by it.
matches_changed = Signal()


def _send(signal: Signal, **kwargs) -> None:
    for receiver, result in signal.send_robust(sender=None, **kwargs):
        if isinstance(result, Exception):
            logger.error("Receiver %r of a matching event failed", receiver, exc_info=result)


def matches_saved_announce(*, created: Sequence[int], updated: Sequence[int]) -> None:
    """Announce, on commit, the matches one listing's rematch created and changed."""
    if created or updated:
        transaction.on_commit(
            lambda: _send(matches_saved, created=list(created), updated=list(updated))
        )


def matches_changed_announce(*, listing_ids: Sequence[int]) -> None:
    """Announce, on commit, the listings whose matches a full rematch wrote."""
    if listing_ids:
        transaction.on_commit(lambda: _send(matches_changed, listing_ids=list(listing_ids)))
