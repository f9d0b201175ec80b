"""Fitting the learned ranker and measuring it (scikit-learn; no database).

Input: pairs as their score components (what ``Match.components`` stores), a grade per
pair (0 bad; 1, or 2 for a judged "good", positive) and the want each pair belongs to.
A logistic regression on the standardised components and the hand-set score gives the
probability that a pair is good; the final score blends it with the hand-set score
(``LearnedRanker.blend``), the blend chosen by cross-validation inside the training data
(0 = the hand-set weights alone). Pairs a hard rule rejects score 0 for every ranker.

Quality, cross-validated with folds grouped by want (a want's pairs never straddle
folds; the learned model of each fold is fitted, blend included, on the other folds only)
and computed on the same folds for the hand-set weights:

- ``roc_auc``, ``average_precision``: over all pairs, positive = grade ≥ 1;
- ``ndcg_at_5``: per want with at least one positive pair, nDCG@5 of its pairs ordered by
  score (graded gains), averaged over those wants.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, ndcg_score, roc_auc_score
from sklearn.model_selection import GroupKFold

from matching.engine import (
    LEARNABLE_FEATURES,
    LearnedRanker,
    combine,
    feature_matrix,
)

BLENDS = (0.0, 0.25, 0.5, 0.75, 1.0)
FOLDS = 5
NDCG_K = 5
REGULARISATION_C = 1.0


@dataclass(frozen=True)
class PairSet:
    """Pairs to fit on or to measure: components, grade, want (the group), accepted."""

    components: tuple[Mapping[str, float], ...]
    grades: np.ndarray  # int: 0 bad, 1 good (2 very good, in a judged set)
    groups: np.ndarray  # the want's id
    accepted: np.ndarray  # bool: passed the hard rules (rejected pairs score 0)

    @classmethod
    def of(cls, components: Sequence[Mapping[str, float]], grades: Sequence[int],
           groups: Sequence[int], accepted: Sequence[bool] | None = None) -> PairSet:
        n = len(components)
        return cls(
            components=tuple(components),
            grades=np.asarray(grades, dtype=np.int64).reshape(n),
            groups=np.asarray(groups, dtype=np.int64).reshape(n),
            accepted=(np.ones(n, dtype=bool) if accepted is None
                      else np.asarray(accepted, dtype=bool).reshape(n)),
        )

    def __len__(self) -> int:
        return len(self.components)

    @property
    def positive(self) -> np.ndarray:
        return self.grades >= 1

    def take(self, rows: np.ndarray) -> PairSet:
        return PairSet(tuple(self.components[i] for i in rows.tolist()), self.grades[rows],
                       self.groups[rows], self.accepted[rows])

    def hand_set_scores(self) -> np.ndarray:
        scores = np.array([combine(c) for c in self.components], dtype=np.float64)
        return np.where(self.accepted, scores, 0.0)

    def scores(self, ranker: LearnedRanker | None) -> np.ndarray:
        """Each pair's final score under ``ranker`` (``None``: the hand-set weights)."""
        hand_set = self.hand_set_scores()
        if ranker is None or not len(self):
            return hand_set
        columns = {name: np.array([float(c.get(name, 0.0)) for c in self.components])
                   for name in ranker.features if name in LEARNABLE_FEATURES}
        scored = ranker.score(columns, hand_set)
        return np.where(self.accepted, scored, 0.0)

    def trainable(self) -> str | None:
        """Why a model cannot be fitted on these pairs (``None``: it can)."""
        fit = self.positive[self.accepted]
        if fit.all() or not fit.any():
            return "the labels need good and bad pairs"
        if len(np.unique(self.groups)) < 2:
            return "the labels need pairs of at least two wants"
        return None


def ranker_version_name(pairs: PairSet, when: str, options: str = "") -> str:
    """A model version: the time and a hash of what it was fitted on, and how."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(options.encode())
    digest.update(repr([sorted(c.items()) for c in pairs.components]).encode())
    digest.update(pairs.grades.tobytes() + pairs.groups.tobytes())
    return f"ranker-{when}-{digest.hexdigest()[:8]}"


def fit(pairs: PairSet, *, version: str, blend: float | None = None,
        blends: Sequence[float] = BLENDS, monotone: bool = True) -> LearnedRanker:
    """A ranker fitted on the accepted ``pairs``; the blend chosen by grouped CV on them
    (``blend`` fixes it). ``monotone``: no feature weighs negatively (more evidence never
    lowers a score)."""
    problem = pairs.trainable()
    if problem:
        raise ValueError(problem)
    if blend is None:
        blend = choose_blend(pairs, blends=blends, monotone=monotone)
    return _fit_logistic(pairs, version=version, blend=blend, monotone=monotone)


def _fit_logistic(pairs: PairSet, *, version: str, blend: float,
                  monotone: bool = True) -> LearnedRanker:
    rows = np.flatnonzero(pairs.accepted)
    x_all = feature_matrix([pairs.components[i] for i in rows.tolist()], LEARNABLE_FEATURES)
    y = pairs.positive[rows]
    scale_all = x_all.std(axis=0)
    # Features that never vary here (semantic when off) tell the model nothing.
    keep = np.flatnonzero(scale_all > 1e-9)
    while True:
        x = x_all[:, keep]
        mean, scale = x.mean(axis=0), scale_all[keep]
        model = LogisticRegression(C=REGULARISATION_C, class_weight="balanced",
                                   max_iter=2000)
        model.fit((x - mean) / scale, y)
        negative = model.coef_[0] < 0
        if not monotone or not negative.any():
            break
        # Monotone: more evidence never lowers a pair's score. A feature the fit weighs
        # negatively (correlated with a stronger one, or a quirk of the labels) is left
        # out and the rest refitted, until every weight is positive.
        keep = keep[~negative]
    features = tuple(LEARNABLE_FEATURES[j] for j in keep)
    return LearnedRanker(
        version=version,
        features=features,
        coefficients=tuple(float(v) for v in model.coef_[0]),
        intercept=float(model.intercept_[0]),
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        blend=float(blend),
    )


def _folds(pairs: PairSet, folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    n_groups = len(np.unique(pairs.groups))
    splitter = GroupKFold(n_splits=max(2, min(folds, n_groups)))
    return list(splitter.split(np.zeros(len(pairs)), groups=pairs.groups))


def _out_of_fold(pairs: PairSet, *, blend: float | None, folds: int,
                 blends: Sequence[float], monotone: bool) -> tuple[np.ndarray, list[float]]:
    """Scores of every pair by a model fitted without its want's fold; the blends used."""
    scores = np.zeros(len(pairs))
    used = []
    for train, test in _folds(pairs, folds):
        part = pairs.take(train)
        if part.trainable():
            # A fold whose training part cannot be fitted ranks by the hand-set weights.
            scores[test] = pairs.take(test).hand_set_scores()
            used.append(0.0)
            continue
        chosen = (choose_blend(part, blends=blends, folds=folds, monotone=monotone)
                  if blend is None else blend)
        ranker = _fit_logistic(part, version="cv", blend=chosen, monotone=monotone)
        scores[test] = pairs.take(test).scores(ranker)
        used.append(chosen)
    return scores, used


def choose_blend(pairs: PairSet, *, blends: Sequence[float] = BLENDS, folds: int = FOLDS,
                 monotone: bool = True) -> float:
    """The blend whose grouped out-of-fold nDCG@5 is best (ties: the smaller blend, the
    closer to the hand-set weights)."""
    if len(blends) == 1:
        return float(blends[0])
    best, best_ndcg = float(blends[0]), -np.inf
    for blend in sorted(blends):
        scores, _ = _out_of_fold(pairs, blend=blend, folds=folds, blends=(blend,),
                                 monotone=monotone)
        value = metrics(pairs, scores)["ndcg_at_5"]
        if value > best_ndcg + 1e-9:
            best, best_ndcg = float(blend), value
    return best


def metrics(pairs: PairSet, scores: np.ndarray) -> dict[str, float]:
    """ROC AUC and average precision over all pairs; mean nDCG@5 per want."""
    positive = pairs.positive
    both = positive.any() and not positive.all()
    out = {
        "roc_auc": float(roc_auc_score(positive, scores)) if both else float("nan"),
        "average_precision": (float(average_precision_score(positive, scores)) if both
                              else float("nan")),
    }
    values = []
    for group in np.unique(pairs.groups):
        rows = np.flatnonzero(pairs.groups == group)
        if len(rows) < 2 or not positive[rows].any():
            continue
        values.append(ndcg_score([pairs.grades[rows]], [scores[rows]], k=NDCG_K))
    out["ndcg_at_5"] = float(np.mean(values)) if values else float("nan")
    out["wants_ranked"] = len(values)
    return out


def cross_validate(pairs: PairSet, *, folds: int = FOLDS, blend: float | None = None,
                   blends: Sequence[float] = BLENDS, monotone: bool = True) -> dict:
    """Cross-validated quality of the learned ranker and of the hand-set weights on the same
    pairs (folds grouped by want)."""
    learned, used = _out_of_fold(pairs, blend=blend, folds=folds, blends=blends,
                                 monotone=monotone)
    return {
        "learned": metrics(pairs, learned),
        "hand_set": metrics(pairs, pairs.hand_set_scores()),
        "pairs": len(pairs),
        "positives": int(pairs.positive.sum()),
        "wants": len(np.unique(pairs.groups)),
        "folds": len(used),
        "fold_blends": used,
        "monotone": monotone,
    }
