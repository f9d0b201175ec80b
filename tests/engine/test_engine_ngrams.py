"""The fast char_wb counter gives exactly scikit-learn's counts and vocabulary."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from bench.generate import generate_region
from matching.engine.ngrams import CharWbCounter
from matching.engine.text import listing_text

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


def _same(texts, fit_texts=None, **options):
    fit_texts = texts if fit_texts is None else fit_texts
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
