"""The final score of a pair from its components: the hand-set formula, or a learned model.

A learned ranker arrives as plain data (``LearnedRanker``: feature names, standardisation,
logistic coefficients and a blend weight), fitted by the app (``matching/ranker.py``) on
labels from firms' and agencies' decisions; the engine only applies it. The hard rules
are not the ranker's: a rejected pair stays rejected whatever the model says, and the
model only orders the accepted ones.

    hand_set  ``combine(components)``: material · timing · (0.8 + 0.12 · distance + 0.08 ·
              quantity), the weights of ``config.py``.
    learned   p = σ(b + Σ wᵢ · (xᵢ − μᵢ) / sᵢ) over ``features`` (components, and the
              hand-set score itself as ``hand_set``);
              score = (1 − blend) · hand_set + blend · p, in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike

from matching.engine.score.rules import combine

# The version a match ranked by the hand-set weights records.
HAND_SET = "hand-set"
# The hand-set score as a feature of the learned model.
HAND_SET_FEATURE = "hand_set"
# What a learned model may read: every component the index gives (``timing`` is 1 for
# every accepted pair, so it tells nothing) and the hand-set score.
LEARNABLE_FEATURES = (
    "text", "ewc", "category", "taxonomy", "pathway", "semantic", "material", "distance",
    "quantity", HAND_SET_FEATURE,
)


@dataclass(frozen=True)
class LearnedRanker:
    """A fitted logistic model over score components, as plain numbers."""

    version: str
    features: tuple[str, ...]
    coefficients: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    # Weight of the model's probability against the hand-set score (1: the model alone).
    blend: float = 1.0

    def __post_init__(self) -> None:
        n = len(self.features)
        if not (len(self.coefficients) == len(self.mean) == len(self.scale) == n):
            raise ValueError("a learned ranker needs one coefficient, mean and scale per "
                             "feature")
        unknown = sorted(set(self.features) - set(LEARNABLE_FEATURES))
        if unknown:
            raise ValueError(f"unknown ranker features {unknown}; choose from "
                             f"{', '.join(LEARNABLE_FEATURES)}")
        if not 0.0 <= self.blend <= 1.0:
            raise ValueError("the blend weight lies in [0, 1]")
        if any(s <= 0 for s in self.scale):
            raise ValueError("feature scales must be positive")

    def probability(self, components: Mapping[str, ArrayLike],
                    hand_set: ArrayLike | None = None) -> np.ndarray:
        """The model's probability that a pair is a good one."""
        if hand_set is None:
            hand_set = combine(components)
        z = np.full(np.shape(hand_set), float(self.intercept))
        for name, w, mu, s in zip(self.features, self.coefficients, self.mean, self.scale,
                                  strict=True):
            value = hand_set if name == HAND_SET_FEATURE else components[name]
            z = z + w * (np.asarray(value, dtype=np.float64) - mu) / s
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))

    def score(self, components: Mapping[str, ArrayLike],
              hand_set: ArrayLike | None = None) -> np.ndarray:
        """The final score: the hand-set score blended with the model's probability."""
        if hand_set is None:
            hand_set = combine(components)
        hand_set = np.asarray(hand_set, dtype=np.float64)
        if self.blend == 0.0:
            return hand_set
        p = self.probability(components, hand_set)
        return np.clip((1.0 - self.blend) * hand_set + self.blend * p, 0.0, 1.0)

    def as_data(self) -> dict:
        """JSON-ready parameters (what the app stores)."""
        data = asdict(self)
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in data.items()}

    @classmethod
    def from_data(cls, data: Mapping) -> LearnedRanker:
        return cls(
            version=str(data["version"]),
            features=tuple(data["features"]),
            coefficients=tuple(float(v) for v in data["coefficients"]),
            intercept=float(data["intercept"]),
            mean=tuple(float(v) for v in data["mean"]),
            scale=tuple(float(v) for v in data["scale"]),
            blend=float(data.get("blend", 1.0)),
        )


def final_score(components: Mapping[str, ArrayLike], ranker: LearnedRanker | None = None):
    """A pair's score from its components: the learned ranker's when one is given, else
    the hand-set formula (``combine``)."""
    hand_set = combine(components)
    if ranker is None:
        return hand_set
    score = ranker.score(components, hand_set)
    return float(score) if np.ndim(score) == 0 else score


def ranker_version(ranker: LearnedRanker | None) -> str:
    """What a match records as the ranker that ranked it."""
    return HAND_SET if ranker is None else ranker.version


def feature_matrix(components: Sequence[Mapping[str, float]],
                   features: Sequence[str]) -> np.ndarray:
    """Rows of ``features`` (the hand-set score computed) for each pair's components."""
    out = np.zeros((len(components), len(features)))
    for i, parts in enumerate(components):
        for j, name in enumerate(features):
            out[i, j] = combine(parts) if name == HAND_SET_FEATURE else float(parts.get(name,
                                                                                         0.0))
    return out
