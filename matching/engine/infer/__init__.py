"""What a listing is and what it is for, inferred from its words (and codes, and sector).

Firms often give text only. Each listing gets two profiles over the knowledge base's
concepts: a **material profile** (which fine-grained materials of ``materials.csv`` it is,
or — for a want — asks for) and a **use profile** (which receiving uses of ``uses.csv`` it
describes). A profile is a distribution scaled by confidence: its entries sum to at most
1, and to less when the evidence is weak, so a vague listing ("wastes not otherwise
specified") weighs less in every pair than one that names its material.

Evidence (``ConceptMatcher`` for words; ``InferenceModel`` for the rest):

1. a stated EWC code (materials whose codes or code prefixes cover it; a "not otherwise
   specified" …99 entry says less than a specific one) or a stated category;
2. known phrases — each concept's name and terms, stemmed, in order, a one-word gap
   allowed, directly or through a synonym group of ``synonyms.csv`` — weighted by how
   specific they are (words are weighed by how many *families* of concepts use them);
3. term coverage: all of a term's content words present in any order ("gypsum powder"
   covers "waste gypsum"), modifiers ("dry", "spent") and generic words optional;
4. soft similarity of the text to each concept's whole description (TF-IDF);
5. the firm's NACE sector: its typical outputs (offers) or inputs (wants), a weak prior.

Where a word stands matters: a title counts more; a want's purpose ("gaseous fuel *for
drying ovens in plasterboard production*") counts little for the material it asks for; an
offer's source ("*from our dairy*") and what a material contains ("sludge *containing
paint*") count half.

Everything is computed for many texts at once (sparse matrices); a text is tokenised in
pure Python with cached stems (a few tens of microseconds).
"""

from __future__ import annotations

from matching.engine.infer.concepts import Concept, ConceptMatcher
from matching.engine.infer.evidence import (
    CATEGORY_STATED,
    NACE_CONFIDENCE,
    Profiles,
    evidence_weight,
    short_source,
)
from matching.engine.infer.model import InferenceModel
from matching.engine.infer.phrases import PhraseIndex
from matching.engine.infer.tokens import (
    GAP_WEIGHT,
    TEXT_STOP_WORDS,
    phrase_key,
    stem,
    tokens,
    weighted_tokens,
)

__all__ = [
    "CATEGORY_STATED",
    "GAP_WEIGHT",
    "NACE_CONFIDENCE",
    "TEXT_STOP_WORDS",
    "Concept",
    "ConceptMatcher",
    "InferenceModel",
    "PhraseIndex",
    "Profiles",
    "evidence_weight",
    "phrase_key",
    "short_source",
    "stem",
    "tokens",
    "weighted_tokens",
]
