"""Explanations and rows built for many matches at once equal the one-at-a-time ones."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from bench.generate import generate_region
from matching.bulkwrite import MatchRows, _unescape
from matching.engine import MatchColumns, MatchIndex, MatchRecord
from matching.engine.score.explanations import _strongest


def _brute_strongest(a_matrix, a_row, b_matrix, b_row, table):
    best, found = 0.0, None
    a_lo, a_hi = a_matrix.indptr[a_row], a_matrix.indptr[a_row + 1]
    b_lo, b_hi = b_matrix.indptr[b_row], b_matrix.indptr[b_row + 1]
    for i in range(a_lo, a_hi):
        for j in range(b_lo, b_hi):
            a, b = a_matrix.indices[i], b_matrix.indices[j]
            weight = a_matrix.data[i] * table[a, b] * b_matrix.data[j]
            if weight > best:
                best, found = weight, (a, b)
    return found


def test_strongest_pairs_equal_a_loop_over_each_pair_ties_included():
    rng = np.random.default_rng(7)
    # Values from a small set so that ties are common; empty rows and zero weights too.
    a = sp.random(40, 9, density=0.3, random_state=1, format="csr",
                  data_rvs=lambda n: rng.choice([0.5, 1.0], n))
    b = sp.random(30, 7, density=0.3, random_state=2, format="csr",
                  data_rvs=lambda n: rng.choice([0.5, 1.0], n))
    table = rng.choice([0.0, 0.5, 1.0], size=(9, 7))
    a_rows = rng.integers(0, 40, 500)
    b_rows = rng.integers(0, 30, 500)
    found, m, u = _strongest(a, a_rows, b, b_rows, table)
    expected = [_brute_strongest(a, i, b, j, table) for i, j in zip(a_rows, b_rows, strict=True)]
    assert found.tolist() == [e is not None for e in expected]
    assert list(zip(m.tolist(), u.tolist(), strict=True)) == [e for e in expected if e is not None]
    assert 50 < found.sum() < 500  # both outcomes occur


@pytest.fixture(scope="module")
def index(kb) -> MatchIndex:
    return MatchIndex.build(generate_region(400, seed=11).records(), kb, version="t")


def test_column_chunks_hold_the_same_matches_as_single_scoring(index):
    selection = index.select(5)
    whole = index.match_records(selection)
    chunked = [m for c in index.iter_match_columns(selection, chunk=7) for m in c.records()]
    assert len(whole) > 100
    assert chunked == whole
    # Each explanation equals scoring that pair alone (the single-listing path).
    scored = index.scores(selection)
    om, wm = index.side("offer").matrix, index.side("want").matrix
    for j in range(0, len(selection), 17):
        o, w = int(selection.offer[j]), int(selection.want[j])
        terms = index.text_model.shared_terms(
            (om[o].indices, om[o].data), (wm[w].indices, wm[w].data)
        )
        alone = scored.record(j, index.side("offer").records[o], index.side("want").records[w],
                              knowledge=index.knowledge, shared_terms=terms)
        assert alone == whole[j]


def test_category_reasons_found_at_once_equal_the_material_reason_of_each_pair(index):
    from matching.engine.score.explanations import _material_reason

    selection = index.select(5)
    scored = index.scores(selection)
    rows = np.arange(len(selection))
    reasons: list[str | None] = [None] * len(rows)
    scored._category_reasons(reasons, rows, index.knowledge)
    filled = [i for i, reason in enumerate(reasons) if reason is not None]
    assert 20 < len(filled) < len(rows)  # some by category, some left to other reasons
    assert {r.split(":")[0] for r in map(reasons.__getitem__, filled)} == {
        "same category", "related categories"}
    offers, wants = index.side("offer").records, index.side("want").records
    for i in filled:
        components = {name: float(value[i]) for name, value in scored.components.items()}
        assert reasons[i] == _material_reason(
            offers[selection.offer[i]], wants[selection.want[i]], components, index.knowledge,
            ())


def test_rows_read_back_as_the_values_of_the_records():
    records = [
        MatchRecord(offer_id=1, want_id=2, score=0.1 + 0.2, distance_km=3.5,
                    components={"text": 1e-7, "distance": 0.25},
                    explanation="fly ash → cement\t(tab)\\ and\nnewline"),
        MatchRecord(offer_id=4, want_id=2, score=0.5, distance_km=0.0,
                    components={"text": 1.0, "distance": 1.0}, explanation="similar wording"),
    ]
    rows = MatchRows.from_columns(MatchColumns.from_records(records))
    assert rows.offer_id.tolist() == [1, 4] and rows.want_id.tolist() == [2, 2]
    for line, record in zip(rows.lines, records, strict=True):
        offer, want, score, distance, components, explanation = line.split("\t", 5)
        assert (int(offer), int(want)) == (record.offer_id, record.want_id)
        assert float(score) == record.score and float(distance) == record.distance_km
        assert json.loads(components) == record.components
        assert "\n" not in explanation and _unescape(explanation) == record.explanation


def test_rows_refuse_values_that_are_not_finite():
    record = MatchRecord(offer_id=1, want_id=2, score=float("nan"), distance_km=1.0,
                         components={"text": 0.5})
    with pytest.raises(ValueError, match="finite"):
        MatchRows.from_columns(MatchColumns.from_records([record]))


def test_float_columns_are_spelt_exactly_as_repr_spells_each_value():
    from matching.bulkwrite import _float_texts

    few = np.array([0.0, 0.5, 1.0, 0.1 + 0.2] * 50)
    assert _float_texts(few) == [repr(v) for v in few.tolist()]
    assert _float_texts(np.array([0.0, -0.0] * 50)) == ["0.0", "-0.0"] * 50
    assert _float_texts(np.empty(0)) == []
    # Where orjson and repr spell alike and where they do not: small, huge, subnormal.
    edges = np.array([1e-4, 9.999999999999999e-05, 1e-05, -3e-7, 1e16, 9999999999999998.0,
                      -1.5e300, 5e-324, 2.2250738585072014e-308, 123456.789, 1 / 3])
    assert _float_texts(edges) == [repr(v) for v in edges.tolist()]
    rng = np.random.default_rng(1)
    # Any finite double: random bit patterns over every exponent, and scores' range.
    bits = rng.integers(0, 2**63, 200_000, dtype=np.int64).view(np.float64)
    for column in (bits[np.isfinite(bits)], rng.random(100_000), rng.random(50_000) ** 9):
        assert _float_texts(column) == [repr(v) for v in column.tolist()]


def test_explanations_are_escaped_together_as_one_at_a_time():
    from matching.bulkwrite import _escape, _escaped

    texts = ["plain", "tab\there", "back\\slash", "", "new\nline\r", "last"]
    assert _escaped(texts) == [_escape(t) for t in texts]
    assert _escaped(["clean", "words"]) == ["clean", "words"]
    odd = ["nul\0inside", "tab\t"]
    assert _escaped(odd) == [_escape(t) for t in odd]
    assert _escaped([]) == []


def test_explanation_lines_equal_one_explanation_at_a_time():
    from matching.engine.score.explanations import _explanation, explanation_lines

    rng = np.random.default_rng(5)
    distances = np.concatenate([
        [0.0, 0.05, 0.25, 9.94, 9.95, 9.999, 10.0, 10.5, 11.5, 999.5, 1000.5, 1234567.5],
        rng.random(300) * 40, rng.random(100) * 5000,
    ])
    fits = rng.choice([np.nan, 0.0, 0.996, 0.999999999, 1.0, 0.5, 0.125], len(distances))
    fits[::7] = rng.random(len(fits[::7]))
    hazardous = rng.random(len(distances)) < 0.2
    reasons = [f"reason {i}" for i in range(len(distances))]
    expected = [
        _explanation(r, d, None if np.isnan(f) else f, h)
        for r, d, f, h in zip(reasons, distances.tolist(), fits.tolist(), hazardous.tolist(),
                              strict=True)
    ]
    assert explanation_lines(reasons, distances, fits, hazardous) == expected
    assert explanation_lines([], np.empty(0), np.empty(0), np.empty(0, bool)) == []
