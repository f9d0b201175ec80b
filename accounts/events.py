"""What happened in accounts, announced for the apps above it (they subscribe in their
AppConfig.ready): accounts never imports them. Each announcement goes out once the
transaction that made it commits, so a subscriber never reads a change that rolls back.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# A site's coordinates changed. Receivers get ``site_id`` (keyword); matching rematches
# the listings at the site (matching.subscribers).
site_moved = Signal()


def _send(signal: Signal, **kwargs) -> None:
    # One subscriber failing must not fail the others, nor the request that already
    # committed: each failure is logged with its traceback.
    for receiver, result in signal.send_robust(sender=None, **kwargs):
        if isinstance(result, Exception):
            logger.error("Receiver %r of an accounts event failed", receiver, exc_info=result)


def site_moved_announce(*, site_id: int) -> None:
    """Announce, on commit, that the site's coordinates changed."""
    transaction.on_commit(lambda: _send(site_moved, site_id=site_id))
