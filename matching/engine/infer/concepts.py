"""Scoring texts against concepts (materials or uses): phrases, coverage and soft matching.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.engine.infer.phrases import PhraseIndex
from matching.engine.infer.tokens import (
    _TOKEN,
    MAX_NGRAM,
    MODIFIER_ONLY,
    MODIFIERS,
    NESTED_WEIGHT,
    _fold,
    phrase_key,
    stem,
    tokens,
)


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
        rows, cols, vals, term_owner, term_spec, term_keys = [], [], [], [], [], []
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
                term_keys.append(term)
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
        self.term_keys = tuple(term_keys)
        # Phrases that, in a text read for its purpose (``purpose_rows``), name what the
        # text is for rather than what it is: they count ``factor`` (``set_purpose``).
        self.purpose_keys: frozenset[str] = frozenset()
        self.purpose_factor = 1.0
        self.term_purpose = np.ones(len(term_owner))

        # Soft: whole descriptions.
        docs = [tokens(concept.document) for concept in self.concepts]
        self.vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, norm="l2")
        if self.n:
            soft_docs = [self._soft_tokens(doc) for doc in docs]
            self.doc_matrix = sp.csr_matrix(self.vectorizer.fit_transform(soft_docs)).T.tocsr()
        else:
            self.doc_matrix = sp.csr_matrix((0, 0))

    def set_purpose(self, keys, factor: float) -> None:
        """Phrases that, in a purpose-read text, count ``factor`` of their evidence."""
        self.purpose_keys = frozenset(keys)
        self.purpose_factor = factor
        self.term_purpose = np.array(
            [factor if key in self.purpose_keys else 1.0 for key in self.term_keys]
        )

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
        purpose_rows: Sequence[bool] | None = None,
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
            purposed = purpose_rows is not None and purpose_rows[r]
            for key, weight in self.found(toks, spans, synonym_spans[r]).items():
                factor = self.purpose_factor if purposed and key in self.purpose_keys else 1.0
                for c, spec in self.index.phrases[key].items():
                    value = spec * direct.get((key, c), weight) * factor
                    best[c] = max(best.get(c, 0.0), value)
                    count[c] = count.get(c, 0) + 1
            for c, value in best.items():
                rows.append(r)
                cols.append(c)
                vals.append(value * (1.0 + 0.15 * min(max(count[c] - 1, 0), 3)))
        return sp.csr_matrix((vals, (rows, cols)), shape=(len(texts), self.n), dtype=np.float64)

    def coverage(
        self, texts: Sequence[Sequence[tuple[str, float]]], nested: Sequence | None = None,
        purpose_rows: Sequence[bool] | None = None,
    ) -> sp.csr_matrix:
        """Best term coverage per concept (``_coverage``), where words inside a longer known
        phrase count ``NESTED_WEIGHT`` except for that phrase's own concepts."""
        n = len(texts)
        if not self.n or not n:
            return sp.csr_matrix((n, self.n), dtype=np.float64)
        if nested is None:
            nested = [self.nesting(toks) for toks in texts]
        # Both readings of every text in one pass: all its words, then the free ones.
        flags = None if purpose_rows is None else [*purpose_rows, *purpose_rows]
        both = self._coverage([*texts, *(free for _, _, free in nested)], flags)
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

    def _coverage(self, texts: Sequence[Sequence[tuple[str, float]]],
                  purpose_rows: Sequence[bool] | None = None) -> sp.csr_matrix:
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
        if purpose_rows is not None and self.purpose_keys:
            flagged = np.asarray(purpose_rows, dtype=bool)[r]
            score = np.where(flagged, score * self.term_purpose[t], score)
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

    def scores(self, texts: Sequence[Sequence[tuple[str, float]]],
               purpose_rows: Sequence[bool] | None = None) -> sp.csr_matrix:
        """Raw concept scores (not normalised) for token lists."""
        # One phrase scan per text serves both the hits and the coverage.
        joint = [self._scan(toks) for toks in texts]
        scans = [self.nesting(toks, spans) for toks, (spans, _) in zip(texts, joint,
                                                                         strict=True)]
        hits = self.hits(texts, scans, [synonyms for _, synonyms in joint], purpose_rows)
        cover = self.coverage(texts, scans, purpose_rows) * self.COVER_WEIGHT
        raw = sp.csr_matrix(hits.maximum(cover) + self.SOFT_WEIGHT * self.soft(texts))
        raw.data[raw.data < self.MIN_RAW] = 0.0
        raw.eliminate_zeros()
        return raw


def _identity(doc):
    return doc
