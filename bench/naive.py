"""The naive baseline: every offer against every want, in plain Python loops.

Written apart from the fast path on purpose. It shares only the per-pair scoring formula
(``score.score_pair``) and the fitted text model (each listing's TF-IDF row); it has no
index, no blocking and no vectorisation: distances come from ``math``, text similarities
from a merge of two sorted sparse rows, and the top ``k`` of every listing from a sort.
Its result is what the fast path must reproduce: the same pairs, the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from matching.engine import (
    EARTH_RADIUS_KM,
    OFFER,
    WANT,
    Knowledge,
    ListingRecord,
    MatchRecord,
    TextModel,
    listing_text,
    score_pair,
)


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (plain ``math``)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, a))))


def dot(a: tuple[list[int], list[float]], b: tuple[list[int], list[float]]) -> float:
    """Dot product of two sparse rows given as sorted (indices, values) lists."""
    ai, av = a
    bi, bv = b
    i = j = 0
    total = 0.0
    while i < len(ai) and j < len(bi):
        if ai[i] == bi[j]:
            total += av[i] * bv[j]
            i += 1
            j += 1
        elif ai[i] < bi[j]:
            i += 1
        else:
            j += 1
    return total


def _rows(records: Sequence[ListingRecord], model: TextModel, knowledge: Knowledge):
    matrix = model.transform([listing_text(r, knowledge=knowledge) for r in records])
    matrix.sort_indices()
    out = []
    for i in range(matrix.shape[0]):
        lo, hi = matrix.indptr[i], matrix.indptr[i + 1]
        out.append((matrix.indices[lo:hi].tolist(), matrix.data[lo:hi].tolist()))
    return out


def naive_matches(
    records: Sequence[ListingRecord], knowledge: Knowledge, model: TextModel, k: int,
    *, floor: float = 0.0,
) -> list[MatchRecord]:
    """Every accepted pair in the top ``k`` of its offer or of its want, and whose material
    fit reaches ``floor`` (the quality floor, applied after the top ``k`` as the services
    store matches).

    Ordered by (−score, offer id, want id), like ``MatchIndex.match_all``.
    """
    rows = dict(zip((r.id for r in records), _rows(records, model, knowledge), strict=True))
    offers = [r for r in records if r.kind == OFFER]
    wants = [r for r in records if r.kind == WANT]
    accepted: list[MatchRecord] = []
    for offer in offers:
        for want in wants:
            match = score_pair(
                offer,
                want,
                text_sim=dot(rows[offer.id], rows[want.id]),
                distance_km=haversine(offer.lat, offer.lon, want.lat, want.lon),
                knowledge=knowledge,
            )
            if match is not None:
                accepted.append(match)
    chosen: set[tuple[int, int]] = set()
    by_offer: dict[int, list[MatchRecord]] = {}
    by_want: dict[int, list[MatchRecord]] = {}
    for match in accepted:
        by_offer.setdefault(match.offer_id, []).append(match)
        by_want.setdefault(match.want_id, []).append(match)
    for group in by_offer.values():
        group.sort(key=lambda m: (-m.score, m.want_id))
        chosen.update((m.offer_id, m.want_id) for m in group[:k])
    for group in by_want.values():
        group.sort(key=lambda m: (-m.score, m.offer_id))
        chosen.update((m.offer_id, m.want_id) for m in group[:k])
    by_id = {r.id: r for r in records}
    out = []
    # The explanation names the words two texts share: worked out for the chosen only.
    for match in accepted:
        if (match.offer_id, match.want_id) not in chosen or (
                match.components["material"] < floor):
            continue
        a = rows[match.offer_id]
        b = rows[match.want_id]
        out.append(
            score_pair(
                by_id[match.offer_id],
                by_id[match.want_id],
                text_sim=dot(a, b),
                distance_km=match.distance_km,
                knowledge=knowledge,
                shared_terms=model.shared_terms(_as_arrays(a), _as_arrays(b)),
            )
        )
    out.sort(key=lambda m: (-m.score, m.offer_id, m.want_id))
    return out


def _as_arrays(row):
    return np.asarray(row[0], dtype=np.int32), np.asarray(row[1], dtype=np.float64)


def compare(fast: Sequence, slow: Sequence[MatchRecord], *, tolerance: float = 1e-9) -> list[str]:
    """Differences between two match lists (empty when they agree).

    ``fast`` items need ``offer_id``, ``want_id``, ``score``, ``distance_km`` and
    ``components``; scores and components must agree within ``tolerance``.
    """
    problems = []
    fast_by = {(m.offer_id, m.want_id): m for m in fast}
    slow_by = {(m.offer_id, m.want_id): m for m in slow}
    missing = sorted(set(slow_by) - set(fast_by))
    extra = sorted(set(fast_by) - set(slow_by))
    if missing:
        problems.append(f"{len(missing)} pairs only in the baseline, e.g. {missing[:3]}")
    if extra:
        problems.append(f"{len(extra)} pairs only in the fast path, e.g. {extra[:3]}")
    for key in sorted(set(fast_by) & set(slow_by)):
        a, b = fast_by[key], slow_by[key]
        if abs(a.score - b.score) > tolerance or abs(a.distance_km - b.distance_km) > 1e-6:
            problems.append(f"{key}: score {a.score!r} vs {b.score!r}")
        elif set(a.components) != set(b.components) or any(
            abs(a.components[name] - b.components[name]) > tolerance for name in b.components
        ):
            problems.append(f"{key}: components differ")
        if len(problems) > 20:
            break
    return problems
