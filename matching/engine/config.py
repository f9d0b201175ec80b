"""What the engine is configured with: its version, scoring weights, switchable components
(``ScoringConfig``) and the tuning of bulk work (``Tuning``).

Nothing here depends on the rest of the engine, so every module can read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

# The version stored models and match rows are tagged with: bump it when the matcher's
# output changes, so that stored models are refitted.
# v7: issue 21: the knowledge round (a want's use phrases read as its purpose) and the
# quality component (stored lists gain a value: migration matching 0013); v6: block flags
# packed in stored models (v5 models are refitted); v5: knowledge fingerprint; v4:
# pathway weight by the want's material certainty; v3: category blocks, char 4-grams; v2:
# knowledge, firm rule
ENGINE_VERSION = "v7"

# --- components -------------------------------------------------------------------------

# The components of a match, in the order they are stored (by position).
COMPONENTS = (
    "text",
    "ewc",
    "category",
    "taxonomy",
    "pathway",
    "semantic",
    "material",
    "distance",
    "quantity",
    "timing",
    "quality",
)

# Score components that can be switched (``ScoringConfig.components``, the setting
# ``MATCH_COMPONENTS``): named as the components they give.
TEXT, TAXONOMY, PATHWAY, SEMANTIC = "text", "taxonomy", "pathway", "semantic"
SWITCHABLE = (TEXT, TAXONOMY, PATHWAY, SEMANTIC)
DEFAULT_COMPONENTS = frozenset({TEXT, TAXONOMY, PATHWAY})
# Names the setting once took; refused with a hint, read in models pickled before.
_RENAMED = {"pathways": PATHWAY, "embeddings": SEMANTIC}

# --- scoring weights --------------------------------------------------------------------

EWC_SAME_ENTRY = 1.0
EWC_SAME_SUB_CHAPTER = 0.6
EWC_SAME_CHAPTER = 0.3
CATEGORY_SAME = 1.0
CATEGORY_RELATED = 0.5

MIN_MATERIAL = 0.1
TAXONOMY_WEIGHT = 0.4
PATHWAY_WEIGHT = 0.7
# The pathway weight moves by this much between a want whose material is unknown (+half)
# and one whose material is certain (−half): 0.75 … 0.65 around PATHWAY_WEIGHT.
PURPOSE_SHIFT = 0.1
SEMANTIC_WEIGHT = 0.5
SEMANTIC_FLOOR = 0.2  # embedding cosines below this say nothing
BASE_WEIGHT = 0.8
DISTANCE_WEIGHT = 0.12
QUANTITY_WEIGHT = 0.08
QUANTITY_UNKNOWN = 0.5
# Quality (score.quality_fit): the score is multiplied by 1 − QUALITY_WEIGHT · (1 − quality),
# so a pair whose stated quality misses every requirement keeps half its score, and a
# pair without quality fields on both sides is untouched. Each field's fit is
# exp(−excess / scale) outside the want's requirement.
QUALITY_WEIGHT = 0.5
QUALITY_MOISTURE_SCALE_PP = 10.0  # percentage points over the maximum: fit 0.37
QUALITY_CALORIFIC_SCALE = 0.15  # share under the minimum calorific value: fit 0.37
QUALITY_PARTICLE_SCALE = 0.5  # share over the maximum particle size: fit 0.37
QUALITY_CERTIFICATE_MISSING = 0.5  # fit per required certificate the offer lacks
QUALITY_CONTAMINANT_CLASH = 0.3  # fit when the offer carries a contaminant the want refuses


def pathway_weight(want_material_confidence: ArrayLike) -> np.ndarray:
    """Weight of the pathway evidence for wants whose material is this sure (0 … 1).

    A want that only states a purpose ("organic co-substrate for anaerobic digestion") is
    served by whatever material serves that purpose; one that names its material ("slag
    as clinker substitute") is served first by that material, so a documented pathway of
    another material (fly ash → clinker substitute) should weigh a little less there.
    """
    confidence = np.clip(np.asarray(want_material_confidence, dtype=np.float64), 0.0, 1.0)
    return PATHWAY_WEIGHT + PURPOSE_SHIFT * (0.5 - confidence)


@dataclass(frozen=True)
class ScoringConfig:
    """Which evidence the scorer uses; ``blocking`` applies the material-block rule;
    ``ranker`` (a learned model, plain data) gives the final score instead of the
    hand-set weights."""

    components: frozenset[str] = DEFAULT_COMPONENTS
    blocking: bool = True
    embedder: Any = None  # a semantic.Embedder when SEMANTIC is on
    # A score.learned.LearnedRanker giving the final score; None: the hand-set weights.
    ranker: Any = None

    def __post_init__(self) -> None:
        unknown = set(self.components) - set(SWITCHABLE)
        if unknown:
            hints = "".join(f"; {old!r} is now {new!r}" for old, new in _RENAMED.items()
                            if old in unknown)
            raise ValueError(
                f"unknown score components {sorted(unknown)}; "
                f"choose from {', '.join(SWITCHABLE)}{hints}"
            )
        if SEMANTIC in self.components and self.embedder is None:
            raise ValueError("the semantic component needs an embedder (SEMANTIC_BACKEND)")

    def __setstate__(self, state: dict) -> None:
        # Models pickled before the components were renamed name them the old way.
        state = dict(state)
        state["components"] = frozenset(_RENAMED.get(c, c) for c in state["components"])
        state.setdefault("ranker", None)  # pickled before learned rankers
        self.__dict__.update(state)

    def on(self, component: str) -> bool:
        return component in self.components

    @property
    def infers(self) -> bool:
        """Whether listings get material and use profiles (taxonomy or pathway on)."""
        return TAXONOMY in self.components or PATHWAY in self.components


def parse_components(value: str | None) -> frozenset[str]:
    """``"text, taxonomy"`` → ``{"text", "taxonomy"}``; empty or ``None`` → the default.

    ``ValueError`` names the accepted components when one is unknown."""
    names = [part.strip().lower() for part in re.split(r"[,\s+]+", value or "") if part.strip()]
    if not names:
        return DEFAULT_COMPONENTS
    unknown = sorted(set(names) - set(SWITCHABLE))
    if unknown:
        hints = "".join(f"; {old!r} is now {new!r}" for old, new in _RENAMED.items()
                        if old in unknown)
        raise ValueError(
            f"unknown score components {unknown}; choose from {', '.join(SWITCHABLE)}{hints}"
        )
    return frozenset(names)


# --- tuning -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tuning:
    """Sizes of the bulk work's pieces: they bound memory and set how work is shared out,
    never what is found (any values give the same matches, to the last bit)."""

    # Offers per tile, and pairs per work unit (a tile with more pairs is cut at offer
    # boundaries, which bounds memory).
    tile_offers: int = 256
    unit_pairs: int = 400_000
    # From this many records, the text model is fitted on a thread (or beside forked
    # helpers) while profiles are inferred.
    overlap_fit: int = 5_000
    # Dense entries of one offers × wants product slab (8 bytes each), and offers per slab.
    product_cells: int = 2_000_000
    slab_offers: int = 256
    # A slab's offer rows are laid out dense when their matrix has at most this many
    # columns (the taxonomy and pathway profiles), or over the features they use when that
    # takes at most ``dense_cells`` entries (8 bytes each).
    dense_features: int = 4_096
    dense_cells: int = 4_000_000
    # Pairs kept from the units before they are cut down to the top k seen so far (a cut
    # runs beside the scoring, and its sort's memory with it: 4M cost 0.2 GB more at 100k).
    compact_rows: int = 1_500_000
    # Match records built at a time (each holds its components and explanation).
    record_chunk: int = 50_000
    # Records inferred together (a batch's token lists are ~25 MB; small batches also
    # leave less for one process to finish alone at the end).
    profile_batch: int = 2_500


DEFAULT_TUNING = Tuning()
