"""Ranks and the figures of a run, scored as ``../shared/benchmarks/README.md`` says.

A listing's counterparts are ranked by score. The rank of a query is that of its best-placed
hit (any counterpart of its group). Ties take the worst rank of the tie, counterparts the
matcher did not score at all rank after every scored one (and tie among themselves), so an
unfound partner is never lucky.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

CUTOFFS = (1, 5, 10)


def hit_rank(scores: Mapping[int, float], hits: Collection[int], n_counterparts: int) -> int:
    """Rank (1-based) of the best hit among ``n_counterparts``.

    ``scores`` maps each scored counterpart to its score; unscored ones are absent. Only
    non-hits can push a hit down: other hits tied with it are hits too.
    """
    hits = set(hits)
    n_misses = n_counterparts - len(hits)
    hit_scores = [scores[c] for c in hits if c in scores]
    if not hit_scores:
        # Behind every scored counterpart and at the worst end of the unscored tie.
        return n_misses + 1
    best = max(hit_scores)
    return 1 + sum(1 for c, s in scores.items() if c not in hits and s >= best)


def summarise(ranks: Iterable[int]) -> dict[str, float]:
    """recall@1, recall@5, recall@10 and the mean reciprocal rank of some ranks."""
    ranks = list(ranks)
    if not ranks:
        return {**{f"recall@{k}": 0.0 for k in CUTOFFS}, "mrr": 0.0}
    figures = {f"recall@{k}": sum(r <= k for r in ranks) / len(ranks) for k in CUTOFFS}
    figures["mrr"] = sum(1.0 / r for r in ranks) / len(ranks)
    return figures
