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

import functools
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from matching.engine.ngrams import strip_accents

MAX_NGRAM = 4
# Words that carry no material meaning in listings (kept out of phrases and soft matching).
DOMAIN_STOP_WORDS = frozenset(
    {
        "available", "availability", "approx", "approximately", "around", "tonne", "tonnes",
        "ton", "tons", "year", "yearly", "annual", "annually", "month", "monthly", "week",
        "weekly", "day", "daily", "per", "ca", "etc", "ie", "eg", "t", "kg", "m3",
        "mwh", "gj", "kwh", "mw", "kw", "yr", "l", "site", "plant", "company", "firm",
        "looking", "seeking", "need", "needs", "needed", "wanted", "want", "offer", "offered",
        "supply", "supplied", "regular", "quantity", "quantities", "local", "nearby",
    }
)  # fmt: skip
# English stop words that name things in industry ("bottom ash", "fill", "mill scale").
KEPT_WORDS = frozenset(
    {
        "bottom",
        "fire",
        "fill",
        "mill",
        "mine",
        "top",
        "thick",
        "thin",
        "empty",
        "co",
        "well",
        "full",
        "system",
        "part",
    }
)
STOP_WORDS = (frozenset(ENGLISH_STOP_WORDS) - KEPT_WORDS) | DOMAIN_STOP_WORDS
# Words that qualify a material rather than name it ("dry", "spent", "mixed"): alone they
# never identify a material or a use.
MODIFIERS = frozenset(
    {
        "dry", "dried", "wet", "moist", "clean", "fresh", "mixed", "used", "spent", "surplus",
        "ground", "crushed", "recycled", "recovered", "reclaimed", "raw", "fine", "coarse",
        "hot", "warm", "cold", "cool", "liquid", "solid", "low", "high", "grade", "quality",
        "industrial", "organic", "inorganic", "treated", "untreated", "contaminated",
        "hazardous", "non", "secondary", "primary", "post", "pre", "consumer", "new", "old",
        "light", "heavy", "pure", "purity", "rich", "excess", "residual", "byproduct",
        "product", "material", "materials", "stream", "type", "process", "production",
        "sorted", "separated", "segregated", "shredded", "dewatered", "bulk", "loose",
        "small", "large", "medium", "good", "virgin", "cheap", "cost", "waste", "residue",
        "scrap", "reject", "off", "cut", "end", "life", "based", "free", "containing",
        "source", "supply", "feedstock", "input", "output", "plant", "unit",
        "arising", "arisings", "removal", "generated", "remaining", "left",
    }
)  # fmt: skip
TEXT_STOP_WORDS = sorted(frozenset(ENGLISH_STOP_WORDS) - KEPT_WORDS)
# A want's purpose starts at these words; the material it asks for comes before.
PURPOSE_MARKERS = frozenset({"for", "to", "into", "as"})
PURPOSE_WEIGHT = 0.15
# An offer's source ("… from our dairy", "… in cement making") hints at the material.
SOURCE_MARKERS = frozenset({"from", "in", "at"})
SOURCE_WEIGHT = 0.5
# What a material contains or carries ("sludge containing paint") is not what it is.
COMPONENT_MARKERS = frozenset({"containing", "contaminated", "including", "with"})
COMPONENT_WEIGHT = 0.5
TITLE_WEIGHT = 1.5
GAP_WEIGHT = 0.8
MODIFIER_ONLY = 0.3  # a phrase made of modifiers only ("drying") is weak evidence
NESTED_WEIGHT = 0.4  # a phrase seen only inside a longer phrase of other concepts

# British and American spellings meet in one form.
_SPELLING = (
    (re.compile(r"sulph"), "sulf"),
    (re.compile(r"^(fib|lit|cent|met|lust)re(s?)$"), r"\1er\2"),
    (re.compile(r"^tyre"), "tire"),
    (re.compile(r"^aluminium"), "aluminum"),
    (re.compile(r"^(\w{4,})is(e|ed|es|ing|ation|er)$"), r"\1iz\2"),
    (re.compile(r"^colour"), "color"),
    (re.compile(r"^gaseous$"), "gas"),
    (re.compile(r"^mould"), "mold"),
    # The agent and its action meet: an oxidant is an oxidising (oxidizing) chemical.
    (re.compile(r"^oxid(?:ants?|i[sz]ers?|i[sz]ing|i[sz]e[sd]?)$"), "oxidiz"),
)
_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)?")
_POSSESSIVE = re.compile(r"['’]s\b")
# "e-waste", "c&d waste", "x-ray": a lone letter joins the word it prefixes.
_LETTER_PREFIX = re.compile(r"\b([a-z])\s?[-&]\s?(?=[a-z])")


def _fold(text: str) -> str:
    text = strip_accents(text).lower()  # "CO₂" and "m³" are ASCII once decomposed
    # Formulae and units that matter: "CO2", "CO₂", "H2S" stay one token.
    text = text.replace("₂", "2").replace("₃", "3")
    # Most texts have neither an apostrophe nor a joining mark: skip the scans.
    if "'" in text or "’" in text:
        text = _POSSESSIVE.sub("", text)
    if "-" in text or "&" in text:
        text = _LETTER_PREFIX.sub(r"\1", text)
    return text


@functools.lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """A light, deterministic English stemmer (plurals, -ing, -ed, spelling variants)."""
    word = token
    for pattern, replacement in _SPELLING:
        word = pattern.sub(replacement, word)
    if len(word) <= 3 or word[-1].isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "shes", "ches", "xes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is", "ys")):
        word = word[:-1]
    suffix = ""
    if word.endswith("ing") and len(word) >= 6:
        suffix = "ing"
    elif word.endswith("ed") and len(word) >= 5 and not word.endswith("eed"):
        suffix = "ed"
    if suffix:
        word = word[: -len(suffix)]
        if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
            word = word[:-1]
        elif _SHORT_STEM.match(word):
            # "mined", "liming", "cured": a short stem lost its final e (mine, lime, cure).
            word += "e"
    # Process nouns meet their verbs: gasification/gasified, carbonation/carbonate,
    # neutralisation/neutralise, digestion/digest, extraction/extract.
    for suffix, replacement in _DERIVATIONS:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + replacement
            break
    if len(word) > 4 and word.endswith("e") and not word.endswith("ee"):
        word = word[:-1]
    return word


_SHORT_STEM = re.compile(r"^[^aeiou][aeiou][^aeiouwxy]$")
_DERIVATIONS = (
    ("ification", "ify"),
    ("ization", "ize"),
    ("mentation", "ment"),
    ("ation", "ate"),
    ("ction", "ct"),
    ("stion", "st"),
)


def tokens(text: str) -> list[str]:
    """Stemmed content tokens of a text, stop words dropped, order kept."""
    words = _WORDS
    out = []
    for raw in _raw_tokens(text):
        word = words.get(raw)
        if word is None:
            word = _word(raw)
        if word:
            out.append(word)
    return out


# Raw token → its stemmed content word, or "" when it is dropped: the same decision for
# every occurrence, taken once (a national rematch reads tens of millions of tokens).
_WORDS: dict[str, str] = {}
_WORDS_MAX = 500_000


def _word(raw: str) -> str:
    if raw in STOP_WORDS or (len(raw) == 1 and not raw.isdigit()):
        word = ""
    else:
        word = stem(raw)
        if word in STOP_WORDS:
            word = ""
    if len(_WORDS) >= _WORDS_MAX:
        _WORDS.clear()
    _WORDS[raw] = word
    return word


@functools.lru_cache(maxsize=8)
def _raw_tokens(text: str) -> tuple[str, ...]:
    # A listing's title and description are read twice in a row (material, then use).
    return tuple(_TOKEN.findall(_fold(text)))


# The weight a marker word caps the rest of a text at, by (purpose_split, source_split).
_MARKERS = {
    (purpose, source): {
        **dict.fromkeys(COMPONENT_MARKERS, COMPONENT_WEIGHT),
        **(dict.fromkeys(SOURCE_MARKERS, SOURCE_WEIGHT) if source else {}),
        **(dict.fromkeys(PURPOSE_MARKERS, PURPOSE_WEIGHT) if purpose else {}),
    }
    for purpose in (False, True)
    for source in (False, True)
}


def weighted_tokens(
    text: str, *, purpose_split: bool = False, source_split: bool = False
) -> list[tuple[str, float]]:
    """Tokens with a weight: lower after a purpose marker ("for", "to", "as") when
    ``purpose_split`` (wants), or after "from" when ``source_split`` (offers: the
    source of a material hints at it but does not name it)."""
    markers = _MARKERS[(purpose_split, source_split)]
    words = _WORDS
    out = []
    weight = 1.0
    for raw in _raw_tokens(text):
        cap = markers.get(raw)
        if cap is not None and out:
            if cap < weight:
                weight = cap
            continue
        word = words.get(raw)
        if word is None:
            word = _word(raw)
        if word:
            out.append((word, weight))
    return out


def phrase_key(text: str) -> str:
    """The lookup key of a phrase: its stemmed content tokens joined by spaces."""
    return " ".join(tokens(text))


class PhraseIndex:
    """Known phrases (stemmed token n-grams) → the rows of a weight matrix they point to."""

    def __init__(self, phrases: Mapping[str, dict[int, float]]) -> None:
        # key → {target: weight}; keys are phrase_key()s of up to MAX_NGRAM tokens.
        self.phrases = {key: dict(targets) for key, targets in phrases.items() if key}
        self.max_len = max((key.count(" ") + 1 for key in self.phrases), default=1)
        # Every proper prefix of a phrase, so a scan stops as soon as no phrase can follow.
        self.prefixes = frozenset(
            " ".join(words[:i])
            for words in (key.split(" ") for key in self.phrases)
            for i in range(1, len(words))
        )

    def find(
        self, toks: Sequence[tuple[str, float]], spans: list | None = None
    ) -> dict[str, float]:
        """Phrases occurring in a token sequence, with the weight of their occurrence.

        A phrase inside a longer matched phrase still counts: "ash" within "fly ash" is
        evidence for ashes in general too. The weight is the highest token weight of any
        occurrence (a title hit beats a purpose-clause hit). ``spans``, when given, receives
        every occurrence as ``(start, end, key, weight)`` (token positions, end excluded).
        """
        found: dict[str, float] = {}
        occurrences = self.occurrences(toks)
        for _, _, key, weight in occurrences:
            if found.get(key, 0.0) < weight:
                found[key] = weight
        if spans is not None:
            spans.extend(occurrences)
        return found

    def occurrences(self, toks: Sequence[tuple[str, float]]) -> list:
        """Every occurrence of a phrase as ``(start, end, key, weight)``: in order, or with
        one word left out ("spent brewing grain", "fly and bottom ash") at ``GAP_WEIGHT``."""
        spans: list = []
        if not toks:
            return spans
        words, weights = zip(*toks, strict=True)
        phrases, prefixes, max_len = self.phrases, self.prefixes, self.max_len
        n = len(words)
        for i in range(n):
            key = words[i]
            if key not in prefixes:
                # Most words start no longer phrase: one look-up, no gapped scan.
                if key in phrases:
                    spans.append((i, i + 1, key, weights[i]))
                continue
            weight = weights[i]
            if key in phrases:
                spans.append((i, i + 1, key, weight))
            # The phrase prefixes starting here, each with its lowest weight: the gapped
            # scan below continues each of them after one left-out word.
            chain = [(key, weight)]
            stop = i + max_len if i + max_len < n else n
            for j in range(i + 1, stop):
                key = f"{key} {words[j]}"
                if weights[j] < weight:
                    weight = weights[j]
                if key in phrases:
                    spans.append((i, j + 1, key, weight))
                if key not in prefixes:
                    break
                chain.append((key, weight))
            gaps = min(n - 1 - i, max_len)  # left-out word at i + 1 … i + gaps - 1
            end = i + max_len + 1 if i + max_len + 1 < n else n
            for length, (key, weight) in enumerate(chain[: max(gaps - 1, 0)], start=1):
                skip = i + length
                if words[skip] == "|":
                    continue
                for j in range(skip + 1, end):
                    key = f"{key} {words[j]}"
                    if weights[j] < weight:
                        weight = weights[j]
                    if key in phrases:
                        spans.append((i, j + 1, key, weight * GAP_WEIGHT))
                    if key not in prefixes:
                        break
        return spans


@dataclass(frozen=True, slots=True)
class Concept:
    slug: str
    kind: str  # "material" or "use"
    name: str
    terms: tuple[str, ...]
    document: str  # what soft matching compares a listing with


def _rarity(df: int, n: int) -> float:
    """1 for a word one family of concepts uses, falling towards 0 as more families do."""
    return math.log1p(n / max(df, 1)) / math.log1p(max(n, 1))


class ConceptMatcher:
    """Scores texts against concepts (materials, or uses) with three kinds of evidence.

    * **phrases**: a concept's name or term found in the text (stemmed, in order, one
      word gap allowed), directly or through a synonym group;
    * **coverage**: how much of a term's weight the text's words cover in any order
      ("gypsum powder" covers most of "gypsum" terms; "bread" most of "bread waste");
    * **soft**: TF-IDF cosine of the text with the concept's whole description.

    Words are weighed by how many *families* of concepts use them (material categories,
    or single uses): "co2" names one family and is decisive even if four CO2 materials
    share it; "waste" or "recovered" name none in particular.
    """

    SOFT_WEIGHT = 0.5
    COVER_WEIGHT = 0.8
    COVER_MIN = 0.5  # a term must be at least half covered to count
    SYNONYM_WEIGHT = 0.8  # a phrase reached through a synonym counts a little less
    RELATIVE_CUTOFF = 0.35  # keep concepts scoring at least this share of the row's best
    MIN_RAW = 0.2  # and at least this much evidence at all
    GENERIC_RARITY = 0.45  # words rarer than this in families are too generic to expand
    MIN_SOFT = 0.12  # soft similarity below this is noise
    TOP = 6

    def __init__(
        self,
        concepts: Sequence[Concept],
        synonyms: Sequence[Sequence[str]],
        families: Sequence[str] | None = None,
    ) -> None:
        self.concepts = tuple(concepts)
        self.n = len(self.concepts)
        families = list(families) if families is not None else [c.slug for c in concepts]
        n_families = max(len(set(families)), 1)
        term_lists = [
            [t for t in (concept.name, *concept.terms) if phrase_key(t)] for concept in concepts
        ]
        # Families using each word (in names and terms).
        word_families: dict[str, set[str]] = {}
        for family, terms in zip(families, term_lists, strict=True):
            for term in terms:
                for word in tokens(term):
                    word_families.setdefault(word, set()).add(family)
        self.rarity = {w: _rarity(len(f), n_families) for w, f in word_families.items()}
        self.generic = frozenset(w for w, r in self.rarity.items() if r < self.GENERIC_RARITY)
        self.modifiers = frozenset(stem(w) for w in MODIFIERS)

        # Synonym groups: a member found in a text stands for every other member, unless
        # the group holds a generic word (then it is a group of generic words).
        self.synonym_keys = []
        for group in synonyms:
            keys = tuple(dict.fromkeys(k for k in (phrase_key(t) for t in group) if k))
            if any(k in self.generic for k in keys):
                keys = ()
            self.synonym_keys.append(keys)
        syn_index: dict[str, dict[int, float]] = {}
        for g, keys in enumerate(self.synonym_keys):
            for key in keys:
                syn_index.setdefault(key, {})[g] = 1.0
        self.synonyms = PhraseIndex(syn_index)

        # Phrases, weighted by the rarity of their rarest word and by length.
        owners: dict[str, set[int]] = {}
        for c, terms in enumerate(term_lists):
            for term in terms:
                key = phrase_key(term)
                # A term that stop words shrink to one word ("cast-offs" → "cast") is
                # too loose to be a phrase; coverage and soft matching still read it.
                words = len(_TOKEN.findall(_fold(term)))
                if key.count(" ") < MAX_NGRAM and (" " in key or words == 1):
                    owners.setdefault(key, set()).add(c)
        self.index = PhraseIndex(
            {key: {c: self._specificity(key) for c in cs} for key, cs in owners.items()}
        )
        # Both kinds of phrase in one scan of a text (``_scan``).
        self._joint = PhraseIndex({key: {} for key in (*self.index.phrases,
                                                       *self.synonyms.phrases)})
        # Each synonym key → the concept phrases its groups reach (none for a key made of
        # qualifiers only), in the order ``found`` visits them.
        self._synonym_reach = {
            key: () if all(word in self.modifiers for word in key.split(" ")) else tuple(
                dict.fromkeys(other for g in groups for other in self.synonym_keys[g]
                              if other in self.index.phrases)
            )
            for key, groups in self.synonyms.phrases.items()
        }

        # Coverage: each term a bag of words weighted by rarity², summing to 1. The text
        # must hold all of a term's content words (not modifiers, not generic words), in
        # any order: "gypsum powder" covers "waste gypsum", not "fgd gypsum"; "flue gas"
        # does not cover "fuel gas".
        vocab: dict[str, int] = {}
        rows, cols, vals, term_owner, term_spec = [], [], [], [], []
        c_rows, c_cols, n_content = [], [], []
        for c, terms in enumerate(term_lists):
            for term in dict.fromkeys(phrase_key(t) for t in terms):
                words = list(dict.fromkeys(term.split(" ")))
                content = [w for w in words if w not in self.modifiers and w not in self.generic]
                if not content:
                    continue
                weights = np.array([max(self.rarity.get(w, 1.0), 0.05) ** 2 for w in words])
                weights = weights / weights.sum()
                t = len(term_owner)
                for word, weight in zip(words, weights, strict=True):
                    rows.append(t)
                    cols.append(vocab.setdefault(word, len(vocab)))
                    vals.append(weight)
                for word in content:
                    c_rows.append(t)
                    c_cols.append(vocab[word])
                n_content.append(len(content))
                term_owner.append(c)
                # Words in any order earn no phrase bonus for the qualifiers they bring.
                term_spec.append(self._specificity(" ".join(content)))
        self.vocab = vocab
        shape = (len(term_owner), len(vocab))
        self.term_matrix = sp.csr_matrix((vals, (rows, cols)), shape=shape).T.tocsr()
        self.content_matrix = sp.csr_matrix(
            (np.ones(len(c_rows)), (c_rows, c_cols)), shape=shape
        ).T.tocsr()  # words × terms
        self.n_content = np.asarray(n_content, dtype=np.float64)
        self.term_owner = np.asarray(term_owner, dtype=np.int64)
        self.term_spec = np.asarray(term_spec, dtype=np.float64)

        # Soft: whole descriptions.
        docs = [tokens(concept.document) for concept in self.concepts]
        self.vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, norm="l2")
        if self.n:
            soft_docs = [self._soft_tokens(doc) for doc in docs]
            self.doc_matrix = sp.csr_matrix(self.vectorizer.fit_transform(soft_docs)).T.tocsr()
        else:
            self.doc_matrix = sp.csr_matrix((0, 0))

    def _specificity(self, key: str) -> float:
        words = key.split(" ")
        named = [w for w in words if w not in self.modifiers]
        rarest = max(self.rarity.get(w, 1.0) for w in (named or words))
        if not named:
            rarest *= MODIFIER_ONLY
        return rarest * (1.0 + 0.5 * (len(words) - 1))

    @staticmethod
    def _soft_tokens(toks: Sequence[str]) -> list[str]:
        toks = [t for t in toks if t != "|"]
        return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False)]

    def _scan(self, toks: Sequence[tuple[str, float]]) -> tuple[list, list]:
        """Occurrences of concept phrases and of synonym phrases, found in one pass (the
        same as ``self.index.find`` and ``self.synonyms.find``: the joint scan goes at
        least as far, and keeps only known phrases)."""
        spans = self._joint.occurrences(toks)
        index, synonyms = self.index.phrases, self.synonyms.phrases
        return [s for s in spans if s[2] in index], [s for s in spans if s[2] in synonyms]

    def found(
        self,
        toks: Sequence[tuple[str, float]],
        spans: list | None = None,
        synonym_spans: list | None = None,
    ) -> dict[str, float]:
        """Concept phrases in a token list, directly or through a synonym (weight each).

        ``spans``/``synonym_spans``: the occurrences (``_scan``), if the caller has them.
        """
        if spans is None or synonym_spans is None:
            spans, synonym_spans = self._scan(toks)
        found: dict[str, float] = {}
        for _, _, key, weight in spans:
            if found.get(key, 0.0) < weight:
                found[key] = weight
        if not synonym_spans:
            return found
        # Only a span of two words or more can hold another.
        wide = [(s2, e2) for s2, e2, _, _ in spans if e2 - s2 > 1]
        wide += [(s2, e2) for s2, e2, _, _ in synonym_spans if e2 - s2 > 1]
        reaches = self._synonym_reach
        for start, end, key, weight in synonym_spans:
            # A qualifier alone ("clean", "dry") does not stand for its group's other
            # members ("clean water" is not "inert", "dry slag" is not "kiln drying"):
            # such a key reaches nothing.
            others = reaches[key]
            if not others:
                continue
            # Nor does a word inside a longer phrase: "slurry" in "yeast slurry".
            if any(s2 <= start and end <= e2 and e2 - s2 > end - start for s2, e2 in wide):
                weight *= NESTED_WEIGHT
            value = weight * self.SYNONYM_WEIGHT
            for other in others:
                if found.get(other, 0.0) < value:
                    found[other] = value
        return found

    def nesting(
        self, toks: Sequence[tuple[str, float]], spans: list | None = None
    ) -> tuple[list, set[int], list]:
        """Phrase occurrences, the concepts of multi-word ones, and the tokens outside them.

        A word inside a longer known phrase names that phrase's concepts, not others:
        "slurry" in "yeast slurry" is no manure, "scrap" in "plastic scrap" no steel scrap.
        ``spans``: the concept phrase occurrences, if the caller has them.
        """
        if spans is None:
            spans = self._scan(toks)[0]
        owners: set[int] = set()
        inside = [False] * len(toks)
        for start, end, key, _ in spans:
            if end - start > 1:
                owners.update(self.index.phrases[key])
                inside[start:end] = [True] * (end - start)
        free = [tok for tok, covered in zip(toks, inside, strict=True) if not covered]
        return spans, owners, free

    def hits(
        self,
        texts: Sequence[Sequence[tuple[str, float]]],
        scans: Sequence | None = None,
        synonym_spans: Sequence[list] | None = None,
    ) -> sp.csr_matrix:
        """Phrase evidence per concept (rows: texts); max hit plus a little for more hits.

        A phrase that occurs only inside a longer phrase of other concepts counts
        ``NESTED_WEIGHT`` for its own concepts. ``scans``: the texts' ``nesting`` and
        ``synonym_spans`` their synonym occurrences, if known.
        """
        if scans is None or synonym_spans is None:
            joint = [self._scan(toks) for toks in texts]
            scans = [self.nesting(toks, spans) for toks, (spans, _) in zip(texts, joint,
                                                                             strict=True)]
            synonym_spans = [synonyms for _, synonyms in joint]
        rows, cols, vals = [], [], []
        for r, toks in enumerate(texts):
            best: dict[int, float] = {}
            count: dict[int, int] = {}
            spans = scans[r][0]
            direct: dict[tuple[str, int], float] = {}
            wide = [(s2, e2, key2) for s2, e2, key2, _ in spans if e2 - s2 > 1]
            for start, end, key, weight in spans:
                enclosing: set[int] = set()
                nested = False
                for s2, e2, key2 in wide:
                    if s2 <= start and end <= e2 and e2 - s2 > end - start:
                        nested = True
                        enclosing.update(self.index.phrases[key2])
                for c in self.index.phrases[key]:
                    value = weight * (NESTED_WEIGHT if nested and c not in enclosing else 1.0)
                    if direct.get((key, c), 0.0) < value:
                        direct[(key, c)] = value
            for key, weight in self.found(toks, spans, synonym_spans[r]).items():
                for c, spec in self.index.phrases[key].items():
                    value = spec * direct.get((key, c), weight)
                    best[c] = max(best.get(c, 0.0), value)
                    count[c] = count.get(c, 0) + 1
            for c, value in best.items():
                rows.append(r)
                cols.append(c)
                vals.append(value * (1.0 + 0.15 * min(max(count[c] - 1, 0), 3)))
        return sp.csr_matrix((vals, (rows, cols)), shape=(len(texts), self.n), dtype=np.float64)

    def coverage(
        self, texts: Sequence[Sequence[tuple[str, float]]], nested: Sequence | None = None
    ) -> sp.csr_matrix:
        """Best term coverage per concept (``_coverage``), where words inside a longer known
        phrase count ``NESTED_WEIGHT`` except for that phrase's own concepts."""
        n = len(texts)
        if not self.n or not n:
            return sp.csr_matrix((n, self.n), dtype=np.float64)
        if nested is None:
            nested = [self.nesting(toks) for toks in texts]
        # Both readings of every text in one pass: all its words, then the free ones.
        both = self._coverage([*texts, *(free for _, _, free in nested)])
        full, free = both[:n], both[n:]
        rows = [r for r, (_, owners, _) in enumerate(nested) for _ in owners]
        cols = [c for _, owners, _ in nested for c in owners]
        owned = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, self.n))
        # Every cell max(free, NESTED_WEIGHT × full), except a phrase's own concepts: full.
        out = sp.csr_matrix(free.maximum(full * NESTED_WEIGHT))
        out = out - out.multiply(owned) + full.multiply(owned)
        out = sp.csr_matrix(out)
        out.eliminate_zeros()
        return out

    def _coverage(self, texts: Sequence[Sequence[tuple[str, float]]]) -> sp.csr_matrix:
        """Best term coverage per concept: the share of a term's weight the text's words
        cover, squared, times the term's specificity and the covered words' mean weight
        (a title counts more, a purpose clause less)."""
        n = len(texts)
        if not self.n or not n:
            return sp.csr_matrix((n, self.n), dtype=np.float64)
        # Each text's words in the vocabulary, with the highest weight each has there;
        # the per-token work is C-level (zip, map) and NumPy.
        get = self.vocab.get
        ids: list[int] = []
        weights: list[float] = []
        lengths = []
        for toks in texts:
            if toks:
                words, word_weights = zip(*toks, strict=True)
                ids.extend(map(get, words, itertools.repeat(-1)))
                weights.extend(word_weights)
            lengths.append(len(toks))
        word = np.asarray(ids, dtype=np.int64)
        weight = np.asarray(weights, dtype=np.float64)
        doc = np.repeat(np.arange(n), lengths)
        keep = (word >= 0) & (weight > 0)
        key = doc[keep] * len(self.vocab) + word[keep]
        weight = weight[keep]
        order = np.lexsort((weight, key))  # by key, the highest weight last
        key, weight = key[order], weight[order]
        last = np.r_[key[1:] != key[:-1], True] if len(key) else np.zeros(0, bool)
        key, weight = key[last], weight[last]
        # Sorted columns: the products then sum each row's terms in a fixed order.
        indptr = np.searchsorted(key // len(self.vocab), np.arange(n + 1))
        cols = key % len(self.vocab)
        shape = (n, len(self.vocab))
        weighted = sp.csr_matrix((weight, cols, indptr), shape=shape)
        binary = sp.csr_matrix((np.ones(len(cols)), cols, indptr), shape=shape)
        present = sp.coo_matrix(binary @ self.content_matrix)
        complete = present.data >= self.n_content[present.col] - 1e-9
        whole = sp.csr_matrix(
            (np.ones(int(complete.sum())), (present.row[complete], present.col[complete])),
            shape=(n, len(self.term_owner)),
        )
        # The covered share and the covered mass of each complete term: ``binary`` and
        # ``weighted`` share their pattern, so both products line up entry for entry.
        cover = sp.csr_matrix(sp.csr_matrix(binary @ self.term_matrix).multiply(whole))
        mass = sp.csr_matrix(sp.csr_matrix(weighted @ self.term_matrix).multiply(whole))
        if not (np.array_equal(cover.indptr, mass.indptr)
                and np.array_equal(cover.indices, mass.indices)):
            raise AssertionError("coverage patterns differ")  # a SciPy change; never seen
        r = np.repeat(np.arange(n), np.diff(cover.indptr))
        t, v, m = cover.indices, cover.data, mass.data
        keep = v >= self.COVER_MIN
        r, t, v, m = r[keep], t[keep], v[keep], m[keep]
        score = v * v * self.term_spec[t] * (m / v)
        # The best term of each (text, concept).
        key = r * self.n + self.term_owner[t]
        order = np.lexsort((-score, key))
        key, score = key[order], score[order]
        first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
        key, score = key[first], score[first]
        return sp.csr_matrix((score, (key // self.n, key % self.n)), shape=(n, self.n))

    def soft(self, texts: Sequence[Sequence[tuple[str, float]]]) -> sp.csr_matrix:
        """Cosine of each text's TF-IDF row with each concept document (small values cut).

        Only the text's own main words count (not a want's purpose clause).
        """
        if not self.n or not len(texts):
            return sp.csr_matrix((len(texts), self.n), dtype=np.float64)
        rows = self.vectorizer._tfidf.transform(self._soft_counts(texts), copy=False)
        sims = sp.csr_matrix(rows @ self.doc_matrix)
        sims.data[sims.data < self.MIN_SOFT] = 0.0
        sims.eliminate_zeros()
        return sims

    def _soft_counts(self, texts: Sequence[Sequence[tuple[str, float]]]) -> sp.csr_matrix:
        """What ``self.vectorizer``'s ``CountVectorizer.transform`` gives for the texts'
        ``_soft_tokens`` (words of weight ≥ 0.5, and the pairs they make), the same
        matrix: words are looked up once each and their pairs matched as integers."""
        ids, unigram, pair_codes, pair_features = self._soft_vocabulary
        lookup = ids.get
        word_ids: list[int] = []
        lengths = []
        for toks in texts:
            before = len(word_ids)
            word_ids.extend([lookup(t, -1) for t, w in toks if w >= 0.5 and t != "|"])
            lengths.append(len(word_ids) - before)
        word = np.asarray(word_ids, dtype=np.int64)
        doc = np.repeat(np.arange(len(texts)), lengths)
        # Unigram features, then the features of pairs of neighbours in one text.
        known = word >= 0
        features = [unigram[word[known]]]
        docs = [doc[known]]
        follows = (doc[1:] == doc[:-1]) & known[1:] & known[:-1]
        code = word[:-1][follows] * len(ids) + word[1:][follows]
        at = np.searchsorted(pair_codes, code)
        at[at == len(pair_codes)] = 0
        hit = pair_codes[at] == code if len(pair_codes) else np.zeros(len(code), bool)
        features.append(pair_features[at[hit]])
        docs.append(doc[:-1][follows][hit])
        feature, doc = np.concatenate(features), np.concatenate(docs)
        keep = feature >= 0
        counts = sp.csr_matrix(
            (np.ones(int(keep.sum()), dtype=np.float64), (doc[keep], feature[keep])),
            shape=(len(texts), len(self.vectorizer.vocabulary_)),
        )
        counts.sum_duplicates()
        return counts

    @functools.cached_property
    def _soft_vocabulary(self) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray]:
        """(word → id, unigram feature of each id or -1, sorted pair codes, their
        features) for ``_soft_counts``."""
        vocabulary = self.vectorizer.vocabulary_
        ids: dict[str, int] = {}
        for feature in vocabulary:
            for word in feature.split(" "):
                ids.setdefault(word, len(ids))
        unigram = np.full(len(ids), -1, dtype=np.int64)
        pairs: dict[int, int] = {}
        for feature, j in vocabulary.items():
            words = feature.split(" ")
            if len(words) == 1:
                unigram[ids[words[0]]] = j
            else:
                pairs[ids[words[0]] * len(ids) + ids[words[1]]] = j
        codes = np.array(sorted(pairs), dtype=np.int64)
        return ids, unigram, codes, np.array([pairs[c] for c in codes.tolist()], np.int64)

    def scores(self, texts: Sequence[Sequence[tuple[str, float]]]) -> sp.csr_matrix:
        """Raw concept scores (not normalised) for token lists."""
        # One phrase scan per text serves both the hits and the coverage.
        joint = [self._scan(toks) for toks in texts]
        scans = [self.nesting(toks, spans) for toks, (spans, _) in zip(texts, joint,
                                                                         strict=True)]
        hits = self.hits(texts, scans, [synonyms for _, synonyms in joint])
        cover = self.coverage(texts, scans) * self.COVER_WEIGHT
        raw = sp.csr_matrix(hits.maximum(cover) + self.SOFT_WEIGHT * self.soft(texts))
        raw.data[raw.data < self.MIN_RAW] = 0.0
        raw.eliminate_zeros()
        return raw


def _identity(doc):
    return doc


def keep_top(matrix: sp.csr_matrix, *, top: int, relative: float) -> sp.csr_matrix:
    """Per row: entries within ``relative`` of the row's maximum, at most ``top`` of them."""
    matrix = sp.csr_matrix(matrix, dtype=np.float64)
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    n_rows = matrix.shape[0]
    rows = np.repeat(np.arange(n_rows), np.diff(matrix.indptr))
    data, cols = matrix.data, matrix.indices
    if not len(data):
        return sp.csr_matrix(matrix.shape, dtype=np.float64)
    row_max = np.zeros(n_rows)
    filled = np.flatnonzero(np.diff(matrix.indptr))
    row_max[filled] = np.maximum.reduceat(data, matrix.indptr[filled])
    # Rank within each row by value (descending), ties by column, without a Python loop.
    order = np.lexsort((cols, -data, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    starts = np.searchsorted(rows, np.arange(n_rows))
    rank = np.arange(len(rows)) - starts[rows]
    keep = (rank < top) & (data >= relative * row_max[rows]) & (data > 0)
    out = sp.csr_matrix((data[keep], (rows[keep], cols[keep])), shape=matrix.shape)
    out.sort_indices()
    return out


def normalise_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Rows scaled to sum 1 (empty rows stay empty)."""
    matrix = sp.csr_matrix(matrix, dtype=np.float64)
    sums = np.asarray(matrix.sum(axis=1)).ravel()
    scale = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
    out = sp.csr_matrix(sp.diags(scale) @ matrix)
    out.sort_indices()
    return out


def either(*parts: sp.csr_matrix) -> sp.csr_matrix:
    """Evidence from independent sources: ``1 − Π(1 − pᵢ)`` per entry, rows capped at 1.

    Each part is a distribution scaled by its confidence; agreeing sources reinforce each
    other, and a row never carries more than certainty.
    """
    total = sp.csr_matrix(parts[0], dtype=np.float64)
    for part in parts[1:]:
        part = sp.csr_matrix(part, dtype=np.float64)
        total = sp.csr_matrix(total + part - total.multiply(part))
    sums = np.asarray(total.sum(axis=1)).ravel()
    scale = np.where(sums > 1.0, 1.0 / np.maximum(sums, 1e-300), 1.0)
    out = sp.csr_matrix(sp.diags(scale) @ total)
    out.eliminate_zeros()
    out.sort_indices()
    return out


# --- the model built from the knowledge base -------------------------------------------

# Confidence of each kind of evidence (a profile row sums to at most 1: its confidence).
FULL_EVIDENCE = 2.0  # raw phrase evidence that makes a material certain
CODE_EXACT = 0.9  # a stated entry listed for a material
CODE_NOS = 0.45  # a stated "not otherwise specified" (…99) entry
CODE_SUB_CHAPTER = 0.5  # a material listed by the stated code's sub-chapter
CODE_CHAPTER = 0.2
CODE_SURE = 0.45  # code evidence at least this strong also sets the blocks
CATEGORY_STATED = 0.6  # a stated material category, spread over its materials
NACE_CONFIDENCE = 0.3  # the sector is a prior: what such firms usually have or need
CATEGORY_SAME = 0.6  # taxonomy: two materials of one category
GROUP_SAME = 0.3  # taxonomy: two materials of one top-level group
ACCEPTS_CATEGORY = 0.5  # pathway evidence when a use accepts the material's category
# A documented case (an exchange practised at named sites) is proven practice, nearly as
# strong a signal as a standardised route: measured on the dev set, 0.85 cost 2 points of
# MRR against 0.92 … 1.0 (§8 of docs/matching.md). Pilots and ideas weigh clearly less.
EVIDENCE_WEIGHTS = {
    "commercial": 1.0,
    "industrial": 1.0,
    "established": 1.0,
    "standard": 1.0,
    "demonstrated": 0.85,
    "pilot": 0.75,
    "case": 0.95,
    "research": 0.6,
    "emerging": 0.7,
}
# Blocks take a listing's strongest few material (offers) or use (wants) candidates. On
# the dev and held-out benchmarks, 3 within 60 % of the best lose no recall against 10
# within 15 % (and drop a few cross-category rivals) with 2.7× fewer candidate pairs.
BLOCK_RELATIVE = 0.6
BLOCK_TOP = 3
BLOCK_MIN_CONFIDENCE = 0.5
CACHE_SIZE = 4096
PROFILE_BATCH = 2_500  # records inferred together (a batch's token lists are ~25 MB; small
# batches also leave less for one process to finish alone at the end)

_EWC_NOISE = re.compile(r"\s*(other than|except)\b.*$", re.IGNORECASE)


_BREF = re.compile(
    r"^(?:Best Available Techniques \(BAT\) Reference Document|Reference Document on Best "
    r"Available Techniques)\s+(?:for|in|on)\s+(?:the\s+)?",
    re.IGNORECASE,
)
_ASIDE = re.compile(r"\s*\([^()\d]*\)")  # "(European Commission JRC)", "(EU)", "(CEN)"
_CUT = re.compile(r":|\s+-\s+|\s+—\s+")


def short_source(source: str, year: str = "", limit: int = 50) -> str:
    """A citation short enough for a one-line explanation.

    "Best Available Techniques (BAT) Reference Document for the Production of Cement,
    Lime and Magnesium Oxide (European Commission JRC)" + 2013 → "BREF Production of
    Cement, Lime and Magnesium Oxide, 2013".
    """
    text = (source or "").strip()
    bref = _BREF.match(text)
    if bref:
        text = "BREF " + text[bref.end() :]
    text = _CUT.split(_ASIDE.sub("", text), maxsplit=1)[0].strip().rstrip(",.;")
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;") + "…"
    if year and year not in text:
        text = f"{text}, {year}" if text else year
    return text


def evidence_weight(evidence: str) -> float:
    """Weight of a pathway by its evidence level (unknown wording counts fully)."""
    text = (evidence or "").lower()
    for word, weight in EVIDENCE_WEIGHTS.items():
        if word in text:
            return weight
    return 1.0


def _digits(code: str) -> str:
    return "".join(ch for ch in code or "" if ch.isdigit())


def _nace_related(a: str, b: str) -> bool:
    da, db = _digits(a), _digits(b)
    return bool(da and db) and (da.startswith(db) or db.startswith(da))


@dataclass(frozen=True)
class Profiles:
    """Per listing: material and use distributions, and the material blocks."""

    material: sp.csr_matrix  # n × materials, rows sum to 1 or are empty
    use: sp.csr_matrix  # n × uses (wants only: an offer's row is empty)
    blocks: sp.csr_matrix  # n × blocks, int8 indicator

    def take(self, rows: np.ndarray) -> Profiles:
        """The profiles of ``rows`` (positions), in that order."""
        return Profiles(*(sp.csr_matrix(m[rows]) for m in (self.material, self.use,
                                                           self.blocks)))

    @staticmethod
    def stack(parts: Sequence[Profiles]) -> Profiles:
        """Profiles of consecutive parts of a record list, as one (rows are independent)."""
        return Profiles(*(sp.csr_matrix(sp.vstack([getattr(p, name) for p in parts]))
                          for name in ("material", "use", "blocks")))


class InferenceModel:
    """Matchers, taxonomy and pathway matrices, block map: derived once from a Knowledge."""

    def __init__(self, knowledge) -> None:
        kb = knowledge
        self.materials = tuple(kb.materials.values())
        self.uses = tuple(kb.uses.values())
        self.material_index = {m.slug: i for i, m in enumerate(self.materials)}
        self.use_index = {u.slug: i for i, u in enumerate(self.uses)}
        n_mat, n_use = len(self.materials), len(self.uses)

        # Top-level group of each material (taxonomy: two materials of one group are near).
        def group(category: str) -> str:
            return kb.category_group(category) if category else "other"

        groups = [slug for slug, c in kb.categories.items() if not c.parent]
        for material in self.materials:
            if group(material.category) not in groups:
                groups.append(group(material.category))
        group_index = {g: i for i, g in enumerate(groups)}
        self.material_block = np.array(
            [group_index[group(m.category)] for m in self.materials], dtype=np.int64
        )

        # Blocks: the material categories (a group without sub-categories is one). A
        # category names its block; a group names the blocks of all its categories.
        children: dict[str, list[str]] = {}
        for slug, c in kb.categories.items():
            if c.parent:
                children.setdefault(c.parent, []).append(slug)
        leaves = [slug for slug in kb.categories if slug not in children]
        for material in self.materials:
            if material.category and material.category not in leaves:
                leaves.append(material.category)
        if "other" not in leaves:
            leaves.append("other")
        self.blocks = tuple(leaves)
        self.block_index = {b: i for i, b in enumerate(self.blocks)}
        self.category_blocks: dict[str, list[int]] = {b: [i] for b, i in self.block_index.items()}
        for parent, kids in children.items():
            self.category_blocks[parent] = [self.block_index[k] for k in kids]
        material_leaf = np.array(
            [self.block_index[m.category or "other"] for m in self.materials], dtype=np.int64
        )

        # Taxonomy similarity between materials.
        cats = np.array([m.category for m in self.materials], dtype=object)
        same_cat = (cats[:, None] == cats[None, :]) if n_mat else np.zeros((0, 0), bool)
        same_group = self.material_block[:, None] == self.material_block[None, :]
        sim = np.where(same_cat, CATEGORY_SAME, np.where(same_group, GROUP_SAME, 0.0))
        np.fill_diagonal(sim, 1.0)
        self.taxonomy = sp.csr_matrix(sim)
        self.taxonomy_dense = sim

        # Pathways: documented ones at their evidence weight, else category acceptance.
        self.pathway_at: dict[tuple[int, int], object] = {}
        acc = np.zeros((n_mat, n_use))
        for j, use in enumerate(self.uses):
            accepted = set(use.accepts_categories)
            for i, material in enumerate(self.materials):
                if material.category in accepted or group(material.category) in accepted:
                    acc[i, j] = ACCEPTS_CATEGORY
        for pathway in kb.pathways:
            i = self.material_index.get(pathway.material)
            j = self.use_index.get(pathway.use)
            if i is None or j is None:
                continue
            weight = evidence_weight(pathway.evidence)
            if weight >= acc[i, j]:
                acc[i, j] = weight
                self.pathway_at[(i, j)] = pathway
        self.pathway = sp.csr_matrix(acc)
        self.pathway_dense = acc

        # Blocks a use accepts: its categories and those of the materials it takes.
        use_blocks = np.zeros((n_use, len(self.blocks)), dtype=np.int8)
        for j, use in enumerate(self.uses):
            for category in use.accepts_categories:
                use_blocks[j, self.category_blocks.get(category, [])] = 1
        rows, cols = np.nonzero(acc > 0)
        use_blocks[cols, material_leaf[rows]] = 1
        self.use_blocks = sp.csr_matrix(use_blocks)
        self.material_blocks = sp.csr_matrix(
            (np.ones(n_mat, dtype=np.int8), (np.arange(n_mat), material_leaf)),
            shape=(n_mat, len(self.blocks)),
        )

        # Codes and sectors.
        self.ewc_materials: dict[str, list[int]] = {}
        for i, material in enumerate(self.materials):
            for code in material.ewc:
                self.ewc_materials.setdefault(code, []).append(i)
        self.category_materials: dict[str, list[int]] = {}
        for i, material in enumerate(self.materials):
            self.category_materials.setdefault(material.category, []).append(i)
            self.category_materials.setdefault(group(material.category), []).append(i)
        self.nace_flows = tuple(kb.nace_flows)
        self.use_nace = tuple((j, code) for j, use in enumerate(self.uses) for code in use.nace)

        # Text matchers.
        def ewc_words(codes: Sequence[str]) -> str:
            return ". ".join(
                _EWC_NOISE.sub("", kb.ewc[code].description) for code in codes if code in kb.ewc
            )

        material_concepts = [
            Concept(
                slug=m.slug,
                kind="material",
                name=m.name,
                terms=m.terms,
                document=". ".join([m.name, *m.terms, ewc_words(m.ewc)]),
            )
            for m in self.materials
        ]
        use_concepts = [
            Concept(
                slug=u.slug,
                kind="use",
                name=u.name,
                terms=u.terms,
                document=". ".join([u.name, *u.terms]),
            )
            for u in self.uses
        ]
        self.material_matcher = ConceptMatcher(
            material_concepts, kb.synonyms, families=[m.category for m in self.materials]
        )
        self.synonym_terms = tuple(kb.synonyms)
        self.use_matcher = ConceptMatcher(use_concepts, kb.synonyms)
        self.ewc_text = {code: entry.description for code, entry in kb.ewc.items()}
        self._cache: dict[tuple, tuple] = {}
        self._sector_cache: dict[tuple[str, str], tuple[list[int], list[int]]] = {}

    @classmethod
    def build(cls, knowledge) -> InferenceModel:
        return cls(knowledge)

    def synonyms_of(self, text: str) -> list[str]:
        """Synonyms of the phrases a text uses (not the phrases themselves), in group order."""
        matcher = self.material_matcher
        found = matcher.synonyms.find([(t, 1.0) for t in tokens(text)])
        extra: list[str] = []
        for key in found:
            for g in matcher.synonyms.phrases[key]:
                extra.extend(t for t in self.synonym_terms[g] if phrase_key(t) not in found)
        return list(dict.fromkeys(extra))

    def describe_pathway(self, m: int, u: int) -> str:
        """``"fly ash → clinker substitute (EU cement BREF, 2013)"``."""
        material, use = self.materials[m], self.uses[u]
        pathway = self.pathway_at.get((m, u))
        text = f"{material.name} → {use.name}"
        if pathway is None:
            return text
        source = short_source(pathway.source, pathway.source_year)
        return f"{text} ({source})" if source else text

    def describe_materials(self, m: int, w: int) -> str:
        """``"same material: fly ash"`` or ``"related materials: fly ash and bottom ash"``."""
        a, b = self.materials[m], self.materials[w]
        if m == w:
            return f"same material: {a.name}"
        return f"related materials: {a.name} and {b.name}"

    @property
    def n_materials(self) -> int:
        return len(self.materials)

    @property
    def n_uses(self) -> int:
        return len(self.uses)

    # --- per-listing evidence -----------------------------------------------------------

    def _token_lists(self, record) -> tuple[list, list]:
        """(material tokens, use tokens): a want's purpose clause counts less for material.

        An offer has no use tokens (its uses are not inferred)."""
        want = record.kind == "want"
        split = {"purpose_split": want, "source_split": not want}
        title = [(t, w * TITLE_WEIGHT) for t, w in weighted_tokens(record.title, **split)]
        body = weighted_tokens(record.description, **split)
        extra = []
        code = _digits(record.ewc_code)
        if code and not self._code_materials(code):
            # A code no material covers still says something in its wording.
            extra = weighted_tokens(self.ewc_text.get(code, ""))
        material = title + [("|", 0.0)] + body + [("|", 0.0)] + extra
        if not want:
            return material, []
        use_title = [(t, TITLE_WEIGHT) for t in tokens(record.title)]
        use_body = [(t, 1.0) for t in tokens(record.description)]
        return material, use_title + [("|", 0.0)] + use_body

    def _code_materials(self, code: str) -> list[tuple[int, float]]:
        """Materials a stated code points to, with how sure the code makes us."""
        if not code:
            return []
        found: dict[int, float] = {}
        # An exact entry is near-certain, unless it is a "not otherwise specified" (99)
        # entry; a sub-chapter or chapter listed for a material is a loose hint.
        exact = CODE_NOS if code.endswith("99") else CODE_EXACT
        for length, confidence in ((6, exact), (4, CODE_SUB_CHAPTER), (2, CODE_CHAPTER)):
            for i in self.ewc_materials.get(code[:length], []):
                found[i] = max(found.get(i, 0.0), confidence)
        return list(found.items())

    def _sector_prior(self, sector: str, kind: str) -> tuple[list[int], list[int]]:
        """(materials, uses) a sector typically puts out (offers) or takes in (wants).

        A flow applies when one NACE code is a prefix of the other ("23" and "23.51").
        """
        key = (_digits(sector), kind)
        cached = self._sector_cache.get(key)
        if cached is not None:
            return cached
        direction = "output" if kind == "offer" else "input"
        materials: list[int] = []
        uses: list[int] = []
        for flow in self.nace_flows:
            if flow.direction != direction or not _nace_related(flow.nace, sector):
                continue
            if flow.target in self.material_index:
                materials.append(self.material_index[flow.target])
            elif flow.target in self.use_index and kind == "want":
                uses.append(self.use_index[flow.target])
        if kind == "want":
            uses.extend(j for j, code in self.use_nace if _nace_related(code, sector))
        self._sector_cache[key] = (materials, uses)
        return materials, uses

    def _priors(self, records) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
        """(code/category material evidence, NACE material prior, NACE use prior).

        Each row is a distribution scaled by its confidence (see ``CODE_*``, ``NACE_*``).
        """
        n = len(records)
        code_rows, code_cols, code_vals = [], [], []
        nm_rows, nm_cols, nu_rows, nu_cols = [], [], [], []
        for r, record in enumerate(records):
            found = dict(self._code_materials(_digits(record.ewc_code)))
            for i in self.category_materials.get(record.category, []) if record.category else ():
                found[i] = max(found.get(i, 0.0), CATEGORY_STATED)
            if found:
                best = max(found.values())
                share = best / len(found)
                for i, confidence in found.items():
                    code_rows.append(r)
                    code_cols.append(i)
                    code_vals.append(share * confidence / best)
            if not record.sector:
                continue
            materials, uses = self._sector_prior(record.sector, record.kind)
            nm_rows.extend([r] * len(materials))
            nm_cols.extend(materials)
            nu_rows.extend([r] * len(uses))
            nu_cols.extend(uses)

        def prior(rows, cols, width):
            out = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, width))
            out.data[:] = 1.0  # duplicates collapse to one
            return normalise_rows(out) * NACE_CONFIDENCE

        coded = sp.csr_matrix((code_vals, (code_rows, code_cols)), shape=(n, self.n_materials))
        return (
            coded,
            prior(nm_rows, nm_cols, self.n_materials),
            prior(nu_rows, nu_cols, self.n_uses),
        )

    @staticmethod
    def _text_evidence(raw: sp.csr_matrix) -> sp.csr_matrix:
        """The strongest concepts of each row as a distribution scaled by confidence.

        Confidence grows with the best evidence: a specific phrase in the title is full
        certainty, a partial resemblance of the wording much less.
        """
        kept = keep_top(raw, top=ConceptMatcher.TOP, relative=ConceptMatcher.RELATIVE_CUTOFF)
        best = np.asarray(kept.max(axis=1).todense(), dtype=np.float64).ravel()
        confidence = np.minimum(1.0, best / FULL_EVIDENCE)
        return sp.csr_matrix(sp.diags(confidence) @ normalise_rows(kept))

    def profiles(self, records: Sequence) -> Profiles:
        """Material and use profiles and blocks of records (a single record is cached)."""
        if len(records) == 1:
            record = records[0]
            key = (
                record.kind,
                record.title,
                record.description,
                record.ewc_code,
                record.category,
                record.sector,
            )
            cached = self._cache.get(key)
            if cached is None:
                cached = self.batch_profiles([record])
                if len(self._cache) >= CACHE_SIZE:
                    self._cache.clear()
                self._cache[key] = cached
            return cached
        parts = [self.batch_profiles(batch) for batch in self.batches(records)]
        return parts[0] if len(parts) == 1 else Profiles.stack(parts)

    @staticmethod
    def batches(records: Sequence) -> list[Sequence]:
        """Consecutive parts of ``records`` whose profiles, stacked, are those of all:
        rows are independent, and batches bound the memory of token lists and spans."""
        if len(records) <= PROFILE_BATCH:
            return [records]
        return [records[i : i + PROFILE_BATCH] for i in range(0, len(records), PROFILE_BATCH)]

    def batch_profiles(self, records: Sequence) -> Profiles:
        """Profiles of one of ``batches(records)`` (or of any few records)."""
        n = len(records)
        lists = [self._token_lists(record) for record in records]
        mat_raw = self.material_matcher.scores([m for m, _ in lists])
        # Only a want's uses are ever read (pathways run from an offer's materials to a
        # want's uses): an offer's row stays empty, which saves most of the use matching.
        wants = [r for r, record in enumerate(records) if record.kind == "want"]
        to_rows = sp.csr_matrix(
            (np.ones(len(wants)), (wants, np.arange(len(wants)))), shape=(n, len(wants))
        )
        use_raw = sp.csr_matrix(to_rows @ self.use_matcher.scores([lists[r][1] for r in wants]))
        coded, nace_mat, nace_use = self._priors(records)
        material = either(self._text_evidence(mat_raw), coded, nace_mat)
        use = either(self._text_evidence(use_raw), sp.csr_matrix(to_rows @ (to_rows.T @ nace_use)))
        # Blocks are narrowed only for a listing whose material is known with some
        # confidence: a want whose material is unclear (only its purpose is) meets all.
        confidence = np.asarray(material.sum(axis=1)).ravel()
        blocks = self._blocks(records, coded, mat_raw, use_raw, confidence)
        if material.shape != (n, self.n_materials):
            material = sp.csr_matrix((n, self.n_materials))
        if use.shape != (n, self.n_uses):
            use = sp.csr_matrix((n, self.n_uses))
        return Profiles(material=material, use=use, blocks=blocks)

    def _blocks(self, records, coded, mat_raw, use_raw, confidence) -> sp.csr_matrix:
        """Offers: the blocks of what they may be; wants: of what they may accept.

        Built from stated codes and words only (not the sector prior) and from weaker
        candidates than the profiles keep; a listing whose material is unknown or only
        guessed (profile confidence below ``BLOCK_MIN_CONFIDENCE``) meets every block.
        """
        n, n_blocks = len(records), len(self.blocks)
        if not n_blocks:
            return sp.csr_matrix((n, 0), dtype=np.int8)
        mats = keep_top(mat_raw, top=BLOCK_TOP, relative=BLOCK_RELATIVE) + (coded >= CODE_SURE)
        found = (mats > 0).astype(np.int8) @ self.material_blocks
        is_want = np.array([r.kind == "want" for r in records])
        if is_want.any():
            uses = keep_top(use_raw, top=BLOCK_TOP, relative=BLOCK_RELATIVE)
            from_uses = (uses > 0).astype(np.int8) @ self.use_blocks
            found = found + sp.diags(is_want.astype(np.float64)) @ from_uses
        stated = [
            (r, block)
            for r, record in enumerate(records)
            for block in self.category_blocks.get(record.category, ())
        ]
        if stated:
            rows, cols = zip(*stated, strict=True)
            found = found + sp.csr_matrix(
                (np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n_blocks)
            )
        found = sp.csr_matrix(found)
        found.data = np.minimum(found.data, 1)
        found.eliminate_zeros()
        empty = np.flatnonzero(
            (np.diff(found.indptr) == 0) | (np.asarray(confidence) < BLOCK_MIN_CONFIDENCE)
        )
        if len(empty):
            keep = np.ones(n)
            keep[empty] = 0.0
            found = sp.csr_matrix(sp.diags(keep) @ found)
            found.eliminate_zeros()
            fill = sp.csr_matrix(
                (
                    np.ones(len(empty) * n_blocks, dtype=np.int8),
                    (np.repeat(empty, n_blocks), np.tile(np.arange(n_blocks), len(empty))),
                ),
                shape=(n, n_blocks),
            )
            found = found + fill
        out = sp.csr_matrix(found, dtype=np.int8)
        out.sort_indices()
        return out
