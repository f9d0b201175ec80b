"""Which agencies reviewed a pair: the badge firms see on a match ("reviewed by …").

Agencies review matches (``agency/``), but matching cannot import the agency app, so the
agency registers a source here when ready (``AgencyConfig.ready``), as exchanges
registers the owner's listing policy in ``matching.disclosure``. Without a source (the
agency app not installed) no pair is reviewed. The badge is advice, never a gate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

Pair = tuple[int, int]
#: (offer id, want id) pairs in, the names of the agencies that reviewed each out.
ReviewSource = Callable[[list[Pair]], dict[Pair, tuple[str, ...]]]
_source: ReviewSource | None = None


def register_review_source(source: ReviewSource | None) -> None:
    """Let the app that stores agencies' reviews answer for many pairs at once."""
    global _source
    _source = source


def reviewed_by(pairs: Iterable[Pair]) -> dict[Pair, tuple[str, ...]]:
    """The agencies that reviewed each pair (only the pairs some agency did), in at most
    the source's queries."""
    wanted = sorted(set(pairs))
    if _source is None or not wanted:
        return {}
    return {pair: names for pair, names in _source(wanted).items() if names}


def annotate_reviews(matches: Iterable) -> None:
    """Set ``reviewed_by`` (agency names, possibly empty) on each match of a page."""
    matches = list(matches)
    found = reviewed_by((m.offer_id, m.want_id) for m in matches)
    for match in matches:
        match.reviewed_by = found.get((match.offer_id, match.want_id), ())
