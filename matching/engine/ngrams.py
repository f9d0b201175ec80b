"""Fast drop-ins for ``CountVectorizer(analyzer="char_wb", ...)`` and for its word 1–2-gram
counts (``WordBigramCounter``, at the end): the same counts, sooner.

scikit-learn's ``char_wb`` analyzer cuts every word of every document into n-grams in
Python, one dictionary lookup per n-gram: about 1,000 per listing, half a minute for 100k
listings. But a word's n-grams depend on the word alone, and documents repeat words. So
each distinct word is cut once, and the document × n-gram counts are one sparse product:
(document × word counts) @ (word × n-gram counts). The vocabulary, its order, the counts
and the errors are those of ``CountVectorizer`` with the same options (lowercase, the
given ``strip_accents``, ``ngram_range``); ``tests/engine/test_engine_ngrams.py`` checks it
against scikit-learn on listings and on awkward text.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import strip_accents_ascii


def strip_accents(text: str) -> str:
    """scikit-learn's ``strip_accents_unicode``, with one more early exit: a text whose
    decomposition is ASCII ("CO₂", "m³") needs no per-character test."""
    if text.isascii():
        return text
    normalized = unicodedata.normalize("NFKD", text)
    if normalized.isascii():
        return normalized
    return normalized.translate(_combining())


@functools.cache
def _combining() -> dict[int, None]:
    # Every combining code point (under a thousand) → deleted: one C-level pass per text.
    return {c: None for c in range(sys.maxunicode + 1) if unicodedata.combining(chr(c))}


_ACCENTS = {None: None, "unicode": strip_accents, "ascii": strip_accents_ascii}


class CharWbCounter:
    """``CountVectorizer(analyzer="char_wb", ngram_range=..., strip_accents=...)``, faster."""

    def __init__(self, *, ngram_range: tuple[int, int] = (3, 5),
                 strip_accents: str | None = None, lowercase: bool = True) -> None:
        if strip_accents not in _ACCENTS:
            raise ValueError(f"strip_accents must be one of {sorted(map(str, _ACCENTS))}")
        self.ngram_range = ngram_range
        self.strip_accents = strip_accents
        self.lowercase = lowercase
        self.vocabulary_: dict[str, int] = {}

    # --- what one word contributes ----------------------------------------------------

    def _preprocess(self, text: str) -> str:
        if self.lowercase:
            text = text.lower()
        accents = _ACCENTS[self.strip_accents]
        return accents(text) if accents else text

    def _word_ngrams(self, word: str) -> list[str]:
        # scikit-learn pads the word with one space each side and stops at the first n
        # that spans the whole padded word (it never emits it twice).
        padded = f" {word} "
        size = len(padded)
        low, high = self.ngram_range
        out = []
        for n in range(low, high + 1):
            if n >= size:
                out.append(padded)
                break
            out.extend(padded[i : i + n] for i in range(size - n + 1))
        return out

    # --- documents → (document × word) counts -----------------------------------------

    def _doc_words(self, texts: Iterable[str]) -> tuple[sp.csr_matrix, list[str]]:
        words: dict[str, int] = {}
        indices: list[int] = []
        indptr = [0]
        for text in texts:
            for word in self._preprocess(text).split():
                index = words.get(word)
                if index is None:
                    index = words[word] = len(words)
                indices.append(index)
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.int64)
        matrix = sp.csr_matrix(
            (data, np.asarray(indices, dtype=np.int64), np.asarray(indptr, dtype=np.int64)),
            shape=(len(indptr) - 1, len(words)),
        )
        matrix.sum_duplicates()
        return matrix, list(words)

    def _word_grams(self, words: Sequence[str], vocabulary: dict[str, int], *,
                    grow: bool) -> sp.csr_matrix:
        rows, cols = [], []
        for row, word in enumerate(words):
            for gram in self._word_ngrams(word):
                col = vocabulary.get(gram)
                if col is None:
                    if not grow:
                        continue
                    col = vocabulary[gram] = len(vocabulary)
                rows.append(row)
                cols.append(col)
        data = np.ones(len(rows), dtype=np.int64)
        matrix = sp.csr_matrix((data, (rows, cols)), shape=(len(words), len(vocabulary)))
        matrix.sum_duplicates()
        return matrix

    # --- the CountVectorizer interface text.py uses -------------------------------------

    def fit_transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        doc_words, words = self._doc_words(texts)
        found: dict[str, int] = {}
        word_grams = self._word_grams(words, found, grow=True)
        if not found:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        # Columns in the order of the sorted n-grams, as scikit-learn numbers them.
        terms = sorted(found)
        self.vocabulary_ = {term: i for i, term in enumerate(terms)}
        remap = np.empty(len(found), dtype=np.int64)
        remap[[found[t] for t in terms]] = np.arange(len(terms))
        word_grams = sp.csr_matrix(
            (word_grams.data, remap[word_grams.indices], word_grams.indptr),
            shape=word_grams.shape,
        )
        return self._counts(doc_words, word_grams)

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        if not self.vocabulary_:
            raise ValueError("the counter is not fitted")
        doc_words, words = self._doc_words(texts)
        word_grams = self._word_grams(words, self.vocabulary_, grow=False)
        return self._counts(doc_words, word_grams)

    @staticmethod
    def _counts(doc_words: sp.csr_matrix, word_grams: sp.csr_matrix) -> sp.csr_matrix:
        counts = sp.csr_matrix(doc_words @ word_grams, dtype=np.int64)
        counts.sort_indices()
        return counts

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(sorted(self.vocabulary_, key=self.vocabulary_.get), dtype=object)



class WordBigramCounter:
    """``CountVectorizer(analyzer="word", ngram_range=(1, 2), stop_words=...,
    strip_accents=...)``: the same vocabulary and counts, fitted faster.

    scikit-learn builds every bigram's string and looks it up. Here each word is looked up
    once; a corpus' bigrams are pairs of word numbers, counted by NumPy, and only the
    distinct ones are spelled out (to number the columns in sorted order, as scikit-learn
    does).
    """

    _TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern

    def __init__(self, *, stop_words: Iterable[str] = (), strip_accents: str | None = None,
                 lowercase: bool = True) -> None:
        if strip_accents not in _ACCENTS:
            raise ValueError(f"strip_accents must be one of {sorted(map(str, _ACCENTS))}")
        self.stop_words = frozenset(stop_words)
        self.strip_accents = strip_accents
        self.lowercase = lowercase
        self.vocabulary_: dict[str, int] = {}

    def _tokens(self, text: str) -> list[str]:
        if self.lowercase:
            text = text.lower()
        accents = _ACCENTS[self.strip_accents]
        if accents:
            text = accents(text)
        stop = self.stop_words
        return [w for w in self._TOKEN.findall(text) if w not in stop]

    def fit_transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        words: dict[str, int] = {}
        ids: list[int] = []
        lengths: list[int] = []
        for text in texts:
            tokens = self._tokens(text)
            ids.extend([words.setdefault(w, len(words)) for w in tokens])
            lengths.append(len(tokens))
        if not words:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        word = np.asarray(ids, dtype=np.int64)
        doc = np.repeat(np.arange(len(lengths)), lengths)
        follows = doc[1:] == doc[:-1]
        pairs, pair_of = np.unique(word[:-1][follows] * len(words) + word[1:][follows],
                                   return_inverse=True)
        names = list(words)
        terms = names + [f"{names[c // len(words)]} {names[c % len(words)]}"
                         for c in pairs.tolist()]
        # Columns numbered in the sorted order of the terms, as scikit-learn numbers them.
        order = sorted(range(len(terms)), key=terms.__getitem__)
        column = np.empty(len(terms), dtype=np.int64)
        column[order] = np.arange(len(terms))
        self.vocabulary_ = {terms[i]: j for j, i in enumerate(order)}
        rows = np.concatenate([doc, doc[:-1][follows]])
        cols = np.concatenate([column[word], column[len(words) + pair_of.reshape(-1)]])
        return self._counts(rows, cols, len(lengths))

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        if not self.vocabulary_:
            raise ValueError("the counter is not fitted")
        vocabulary = self.vocabulary_
        rows: list[int] = []
        cols: list[int] = []
        n = 0
        for n, text in enumerate(texts, start=1):
            tokens = self._tokens(text)
            grams = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
            found = [c for c in map(vocabulary.get, grams) if c is not None]
            cols.extend(found)
            rows.extend([n - 1] * len(found))
        return self._counts(np.asarray(rows, np.int64), np.asarray(cols, np.int64), n)

    def _counts(self, rows: np.ndarray, cols: np.ndarray, n: int) -> sp.csr_matrix:
        counts = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.int64), (rows, cols)),
            shape=(n, len(self.vocabulary_)),
        )
        counts.sum_duplicates()
        return counts

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray(sorted(self.vocabulary_, key=self.vocabulary_.get), dtype=object)
