"""TF-IDF text model over listing texts (word and character n-grams), sparse rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfTransformer

from matching.engine.infer import TEXT_STOP_WORDS
from matching.engine.ngrams import CharWbCounter, WordBigramCounter

# A 1-row CSR matrix, or its (sorted indices, data) arrays.
RowLike = sp.csr_matrix | tuple[np.ndarray, np.ndarray]

if TYPE_CHECKING:
    from matching.engine.knowledge import Knowledge
    from matching.engine.records import ListingRecord


def listing_text(record: ListingRecord, *, knowledge: Knowledge) -> str:
    """What the text model reads: title, description, category name, EWC wording.

    Synonyms are not appended here: they reach the material and use inference instead
    (``infer``). Expanded into TF-IDF they made unrelated listings share words and cost
    recall (docs/matching.md).
    """
    parts = [
        record.title,
        record.description,
        knowledge.category_name(record.category) if record.category else "",
        knowledge.ewc_text(record.ewc_code) if record.ewc_code else "",
    ]
    return "\n".join(part.strip() for part in parts if part and part.strip())


class _Block:
    """Counts then TF-IDF, kept apart so corpus rows and later rows are computed alike.

    (``TfidfVectorizer.fit_transform`` and ``transform`` differ in the last bits; a listing
    must get the same row whether it was in the corpus or arrives later.)
    """

    def __init__(
        self,
        counter: WordBigramCounter | CharWbCounter,
        *,
        bigram_weight: float = 1.0,
        max_df: float = 1.0,
    ) -> None:
        self.counter = counter
        self.max_df = max_df
        self._kept: np.ndarray | None = None  # columns left after the max_df cut
        self.tfidf = TfidfTransformer(sublinear_tf=True)
        self.fitted = False
        self.bigram_weight = bigram_weight
        self._column_scale: np.ndarray | None = None

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        try:
            counts = self.counter.fit_transform(texts)
        except ValueError:
            # Empty vocabulary (no texts, or only stop words): the block contributes nothing.
            return sp.csr_matrix((len(texts), 0), dtype=np.float64)
        self.fitted = True
        counts = sp.csr_matrix(counts)
        if self.max_df < 1.0:
            df = np.bincount(counts.indices, minlength=counts.shape[1])
            # Small corpora keep everything: "common" needs enough listings to mean it.
            limit = max(self.max_df * counts.shape[0], COMMON_MIN_LISTINGS)
            self._kept = np.flatnonzero(df <= limit)
            if not len(self._kept):
                self.fitted, self._kept = False, None
                return sp.csr_matrix((len(texts), 0), dtype=np.float64)
            counts = sp.csr_matrix(counts[:, self._kept])
        counts.sort_indices()
        return self._weigh(counts, fit=True)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        if not self.fitted:
            return sp.csr_matrix((len(texts), 0), dtype=np.float64)
        counts = sp.csr_matrix(self.counter.transform(texts))
        if self._kept is not None:
            counts = sp.csr_matrix(counts[:, self._kept])
        counts.sort_indices()
        return self._weigh(counts, fit=False)

    def _weigh(self, counts: sp.csr_matrix, *, fit: bool) -> sp.csr_matrix:
        counts = counts.astype(np.float64)
        if fit:
            self.tfidf.fit(counts)
            if self.bigram_weight != 1.0:
                is_bigram = np.char.find(self.terms.astype(str), " ") >= 0
                self._column_scale = np.where(is_bigram, self.bigram_weight, 1.0)
        rows = sp.csr_matrix(self.tfidf.transform(counts))
        if self._column_scale is not None:
            rows = _unit_rows(sp.csr_matrix(rows @ sp.diags(self._column_scale)))
        return rows

    @property
    def size(self) -> int:
        return len(self.counter.vocabulary_) if self.fitted else 0

    @property
    def terms(self) -> np.ndarray:
        if not self.fitted:
            return np.empty(0, dtype=object)
        return self.counter.get_feature_names_out()


# Bigrams mostly repeat their words' evidence; a little weight keeps word order telling
# ("fly ash" over "ash … fly") and lets explanations name phrases.
BIGRAM_WEIGHT = 0.3
# Character n-grams catch inflections and compounds but also boilerplate ("-tion", "from")
# shared by unrelated listings: they count a quarter as much as words (weight² / (1 + w²)).
CHAR_WEIGHT = 0.5
CHAR_NGRAMS = (4, 4)
CHAR_MAX_DF = 0.05
COMMON_MIN_LISTINGS = 20


# The model's blocks, in the order their columns are stacked.
BLOCKS = ("word", "char")


def _word_block() -> _Block:
    return _Block(
        # = CountVectorizer(analyzer="word", ngram_range=(1, 2), stop_words=...,
        # strip_accents="unicode"), fitted faster.
        WordBigramCounter(stop_words=TEXT_STOP_WORDS, strip_accents="unicode"),
        bigram_weight=BIGRAM_WEIGHT,
    )


def _char_block() -> _Block:
    # Character 4-grams within words catch inflections and compounds ("ashes", "flyash").
    # 4-grams alone, and none found in over 5 % of listings ("tion", "ing "), keep the same
    # recall on the benchmarks as 3–5-grams with a third of the features per listing, and
    # the common n-grams were most of the cost of every pair's dot product
    # (docs/performance.md). ``CharWbCounter`` gives scikit-learn's char_wb counts.
    return _Block(
        CharWbCounter(ngram_range=CHAR_NGRAMS, strip_accents="unicode"), max_df=CHAR_MAX_DF
    )


def _unit_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1), dtype=np.float64).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.csr_matrix(sp.diags(scale) @ matrix)


def _combine(word: sp.csr_matrix, char: sp.csr_matrix) -> sp.csr_matrix:
    # Each block is already L2-normalised, so after re-normalising the stack the cosine is
    # (word cosine + CHAR_WEIGHT² · char cosine) / (1 + CHAR_WEIGHT²) (or the char cosine
    # alone when a text has no word features).
    matrix = sp.csr_matrix(sp.hstack([word, CHAR_WEIGHT * char], format="csr", dtype=np.float64))
    matrix = _unit_rows(matrix)
    matrix.sort_indices()  # canonical order → the same dot products in every direction
    return matrix


class TextModel:
    """Word (1–2 grams, bigrams weighted down) and char_wb (4-grams) TF-IDF, hstacked
    with the characters weighted down, rows L2-normalised.

    Both blocks use sublinear tf; the word block drops English stop words (but keeps the
    few that name things in industry: "bottom ash", "fill", "mill scale"). Each block is
    unit-length before stacking, so the cosine is (word cosine + 0.25 · char cosine) / 1.25.
    """

    def __init__(self, word: _Block, char: _Block) -> None:
        self._word = word
        self._char = char
        self._word_terms = word.terms

    @classmethod
    def fit(cls, texts: Sequence[str]) -> TextModel:
        """Fit on a corpus (deterministic: same texts in the same order → same model)."""
        return cls.fit_transform(texts)[0]

    @classmethod
    def fit_transform(cls, texts: Sequence[str]) -> tuple[TextModel, sp.csr_matrix]:
        """Fit on a corpus and return the model with the corpus' rows (= ``transform``)."""
        return cls.from_blocks(*(cls.fit_block(name, texts) for name in BLOCKS))

    @staticmethod
    def fit_block(name: str, texts: Sequence[str]) -> tuple[_Block, sp.csr_matrix]:
        """One block (``BLOCKS``) fitted on a corpus, with the corpus' rows in it: the
        blocks are independent, so they can be fitted apart (``from_blocks`` joins them)."""
        block = {"word": _word_block, "char": _char_block}[name]()
        return block, block.fit_transform(list(texts))

    @classmethod
    def from_blocks(
        cls, word: tuple[_Block, sp.csr_matrix], char: tuple[_Block, sp.csr_matrix]
    ) -> tuple[TextModel, sp.csr_matrix]:
        """The model and the corpus' rows from its fitted blocks (``fit_block``)."""
        return cls(word[0], char[0]), _combine(word[1], char[1])

    @property
    def n_features(self) -> int:
        return self._word.size + self._char.size

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Rows for texts (unseen words are ignored); CSR float64, each row unit or zero."""
        texts = list(texts)
        return _combine(self._word.transform(texts), self._char.transform(texts))

    def shared_terms(self, a: RowLike, b: RowLike, *, limit: int = 3) -> list[str]:
        """Words and bigrams two rows share, strongest first, for explanations.

        Rows are 1-row CSR matrices of this model or ``(indices, data)`` pairs of one.

        A unigram already inside a shared bigram is dropped ("fly ash", not "fly", "ash").
        """
        n_word = len(self._word_terms)
        a_idx, a_val = _word_part(a, n_word)
        b_idx, b_val = _word_part(b, n_word)
        common, ia, ib = np.intersect1d(a_idx, b_idx, assume_unique=True, return_indices=True)
        if not len(common):
            return []
        terms = [str(t) for t in self._word_terms[common]]
        weights = a_val[ia] * b_val[ib]
        in_bigrams = {token for term in terms if " " in term for token in term.split()}
        ranked = sorted(
            (
                (-float(weight), term)
                for term, weight in zip(terms, weights, strict=True)
                if " " in term or term not in in_bigrams
            ),
        )
        return [term for _, term in ranked[:limit]]


def _word_part(row: RowLike, n_word: int) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(row, tuple):
        idx, val = row
    else:
        if not sp.isspmatrix_csr(row):
            row = sp.csr_matrix(row)
        idx, val = row.indices, row.data
    keep = idx < n_word
    return idx[keep], val[keep]
