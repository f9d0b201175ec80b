"""The fast char_wb and word 1–2-gram counters give exactly scikit-learn's counts and
vocabulary."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from bench.generate import generate_region
from matching.engine import listing_text
from matching.engine.infer import TEXT_STOP_WORDS
from matching.engine.ngrams import CharWbCounter, WordBigramCounter

AWKWARD = [
    "",
    "a",
    "Fly ash",
    "  spaced\tout\nwords\r\n  ",
    "Äußerst feine Schlacke – Körnung 0–2 mm, café, naïve, Ångström",
    "e\u0301 combining accent, ﬁ ligature, CO₂ and H₂S",
    "x" * 40,
    "12,5 t/a; 3.000 m³ — 50 % TS",
]


def _same(texts, fit_texts=None, *, words=False, **options):
    fit_texts = texts if fit_texts is None else fit_texts
    if words:
        ours = WordBigramCounter(**options)
        theirs = CountVectorizer(analyzer="word", ngram_range=(1, 2), **options)
    else:
        ours, theirs = CharWbCounter(**options), CountVectorizer(analyzer="char_wb", **options)
    a = ours.fit_transform(fit_texts)
    b = theirs.fit_transform(fit_texts)
    b.sort_indices()
    assert ours.vocabulary_ == theirs.vocabulary_
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
    assert (a != b).nnz == 0 and a.dtype == b.dtype
    c, d = ours.transform(texts), theirs.transform(texts)
    d.sort_indices()
    assert np.array_equal(c.indptr, d.indptr) and np.array_equal(c.indices, d.indices)
    assert np.array_equal(c.data, d.data)


@pytest.mark.parametrize("options", [
    {"ngram_range": (3, 5), "strip_accents": "unicode"},
    {"ngram_range": (2, 4), "strip_accents": None},
    {"ngram_range": (1, 1), "strip_accents": "ascii", "lowercase": False},
])
def test_awkward_text_counts_like_scikit_learn(options):
    _same(AWKWARD, **options)


def test_listing_texts_count_like_scikit_learn(kb):
    records = generate_region(400, seed=12).records()
    texts = [listing_text(r, knowledge=kb) for r in records]
    _same(texts[200:], fit_texts=texts[:200], ngram_range=(3, 5), strip_accents="unicode")


def test_no_text_at_all_is_refused_like_scikit_learn():
    with pytest.raises(ValueError):
        CountVectorizer(analyzer="char_wb").fit_transform(["", "  "])
    with pytest.raises(ValueError):
        CharWbCounter().fit_transform(["", "  "])


def test_strip_accents_equals_scikit_learns_on_every_code_point():
    import sys

    from sklearn.feature_extraction.text import strip_accents_unicode

    from matching.engine.ngrams import strip_accents

    points = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    for lo in range(0, len(points), 500):
        text = "Fly ash " + "".join(points[lo : lo + 500]) + " café"
        assert strip_accents(text) == strip_accents_unicode(text)
    assert strip_accents("CO₂ at 80 °C, 3 m³ – naïve") == strip_accents_unicode(
        "CO₂ at 80 °C, 3 m³ – naïve"
    )


WORDS = [
    *AWKWARD,
    "Fly ash and bottom ash from the fly ash silo, fly ash again",
    "the of and",  # stop words only: no n-gram at all
    "Spent grain",
]


@pytest.mark.parametrize("options", [
    {"stop_words": TEXT_STOP_WORDS, "strip_accents": "unicode"},
    {"strip_accents": None},
    {"stop_words": ["ash"], "strip_accents": "ascii", "lowercase": False},
])
def test_word_bigrams_count_like_scikit_learn(options):
    _same(WORDS, words=True, **options)
    _same(WORDS[::-1], fit_texts=WORDS[:9], words=True, **options)


def test_listing_word_bigrams_count_like_scikit_learn(kb):
    records = generate_region(400, seed=13).records()
    texts = [listing_text(r, knowledge=kb) for r in records]
    _same(texts[250:], fit_texts=texts[:250], words=True, stop_words=TEXT_STOP_WORDS,
          strip_accents="unicode")


def test_no_words_at_all_are_refused_like_scikit_learn():
    with pytest.raises(ValueError):
        CountVectorizer(analyzer="word", stop_words=["the"]).fit_transform(["the", " "])
    with pytest.raises(ValueError):
        WordBigramCounter(stop_words=["the"]).fit_transform(["the", " "])
