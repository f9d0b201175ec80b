"""The TF-IDF text model."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from matching.engine import TextModel, listing_text

CORPUS = [
    "Coal fly ash from the electrostatic precipitators of a power station",
    "Pozzolanic material / fly ash for cement production",
    "Clean softwood chips from a sawmill",
    "Waste heat: hot water at 60 C from a cooling circuit",
    "Steel slag from an electric arc furnace",
]


def cosine(matrix, i, j):
    return float((matrix[i] @ matrix[j].T).toarray()[0, 0])


def test_rows_are_unit_csr_float64():
    model, matrix = TextModel.fit_transform(CORPUS)
    assert sp.isspmatrix_csr(matrix) and matrix.dtype == np.float64
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    assert np.allclose(norms, 1.0)
    assert matrix.shape == (len(CORPUS), model.n_features)


def test_fit_is_deterministic_and_transform_matches():
    _, first = TextModel.fit_transform(CORPUS)
    model, second = TextModel.fit_transform(CORPUS)
    assert (first != second).nnz == 0
    assert (model.transform(CORPUS) != second).nnz == 0
    assert (TextModel.fit(CORPUS).transform(CORPUS) != second).nnz == 0


def test_related_texts_are_closer():
    _, matrix = TextModel.fit_transform(CORPUS)
    assert cosine(matrix, 0, 1) > cosine(matrix, 2, 1)
    assert cosine(matrix, 0, 1) > cosine(matrix, 4, 1)


def test_unseen_and_empty_texts():
    model = TextModel.fit(CORPUS)
    rows = model.transform(["", "zzzz qqqq"])
    assert rows.shape[0] == 2 and rows[0].nnz == 0
    # Only stop words, or nothing at all: still a usable (all-zero) model.
    for corpus in ([], ["the and of"], [""]):
        model, matrix = TextModel.fit_transform(corpus)
        assert matrix.shape[0] == len(corpus)
        assert model.transform(["fly ash"]).shape[0] == 1


def test_shared_terms_prefer_bigrams():
    model, matrix = TextModel.fit_transform(CORPUS)
    terms = model.shared_terms(matrix[0], matrix[1])
    assert terms[0] == "fly ash"
    assert "fly" not in terms and "ash" not in terms
    assert model.shared_terms(matrix[2], matrix[4]) == []


def test_listing_text_includes_category_and_ewc(kb, make):
    text = listing_text(
        make(title="Ash", description="dry", category="ash", ewc_code="100102"), knowledge=kb
    )
    assert "Ashes" in text and "Coal fly ash" in text and "thermal processes" in text
    assert listing_text(make(title="Ash"), knowledge=kb) == "Ash"
