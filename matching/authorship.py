"""Who wrote a firm's listing on its behalf: the note the firm sees on its listing page.

Agency staff may enter or edit a consenting firm's listings (``agency/``); matching
cannot import the agency app, so the agency registers a source here when ready
(``AgencyConfig.ready``), as it does for ``matching.reviews``. Without a source no
listing has such entries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class OnBehalfEntry:
    """One write by someone outside the firm: which agency, who, what and when."""

    agency: str
    person: str
    created: bool  # True: entered the listing; False: edited it
    at: datetime


#: A listing id in, its on-behalf entries (oldest first) out.
AuthorshipSource = Callable[[int], list[OnBehalfEntry]]
_source: AuthorshipSource | None = None


def register_authorship_source(source: AuthorshipSource | None) -> None:
    global _source
    _source = source


def on_behalf_entries(*, listing_id: int) -> list[OnBehalfEntry]:
    """Entries by agencies on the firm's behalf for the listing (none without a source)."""
    return _source(listing_id) if _source is not None else []
