"""Reference data and code proximity."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.engine import Knowledge, ewc_display, ewc_proximity, string_codes
from matching.engine.knowledge import category_proximity_keys, ewc_keys, ewc_proximity_keys


def test_loads_reference_data(kb):
    assert len(kb.ewc) == 842
    assert len(kb.categories) == 39
    assert kb.ewc["100102"].description == "Coal fly ash"
    assert not kb.ewc["100102"].hazardous
    assert kb.ewc["100104"].hazardous and not kb.ewc["100104"].mirror
    assert kb.ewc["100116"].mirror and kb.ewc["100116"].mirror_counterparts == ("100117",)
    assert kb.categories["ash"].parent == "minerals" and kb.categories["ash"].name == "Ashes"
    assert kb.chapters["10"] == "Wastes from thermal processes"


def test_load_is_cached(kb):
    assert Knowledge.load() is kb
    assert Knowledge.load(kb.data_dir) is kb


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("100102", "100102", 1.0),
        ("100102", "10 01 02", 1.0),
        ("100104", "10 01 04*", 1.0),
        ("100102", "100117", 0.6),
        ("100102", "100201", 0.3),
        ("100102", "170504", 0.0),
        ("100102", "", 0.0),
        ("", "", 0.0),
    ],
)
def test_ewc_proximity_levels(a, b, expected):
    assert ewc_proximity(a, b) == expected
    assert ewc_proximity(b, a) == expected


codes = st.text(alphabet="0123456789 *", max_size=9)


@given(codes, codes)
def test_vectorised_ewc_proximity_agrees(a, b):
    array = ewc_proximity_keys(
        *(np.array([x]) for x in ewc_keys(a)), *(np.array([x]) for x in ewc_keys(b))
    )
    assert float(array[0]) == ewc_proximity(a, b)
    assert ewc_proximity(a, b) in (0.0, 0.3, 0.6, 1.0)


def test_proximity_on_string_codes_equals_proximity_on_strings(kb):
    rng = np.random.default_rng(4)
    pool = ["", "100102", "100101", "100201", "020304", "170101", "1001", "10", "0203"]
    a = [ewc_keys(rng.choice(pool)) for _ in range(500)]
    b = [ewc_keys(rng.choice(pool)) for _ in range(500)]
    a_cols = [np.array([row[i] for row in a]) for i in range(3)]
    b_cols = [np.array([row[i] for row in b]) for i in range(3)]
    coded = [string_codes(x, y) for x, y in zip(a_cols, b_cols, strict=True)]
    assert all(c.dtype == np.int32 for pair in coded for c in pair)
    assert np.array_equal(
        ewc_proximity_keys(*(p[0] for p in coded), *(p[1] for p in coded)),
        ewc_proximity_keys(*a_cols, *b_cols),
    )
    slugs = ["", *kb.categories]
    slug_a, slug_b = rng.choice(slugs, 500), rng.choice(slugs, 500)
    group_a = np.array([kb.category_group(s) if s else "" for s in slug_a])
    group_b = np.array([kb.category_group(s) if s else "" for s in slug_b])
    expected = category_proximity_keys(slug_a, group_a, slug_b, group_b)
    assert set(expected) == {0.0, 0.5, 1.0}
    (ca, cb), (ga, gb) = string_codes(slug_a, slug_b), string_codes(group_a, group_b)
    assert np.array_equal(category_proximity_keys(ca, ga, cb, gb), expected)


def test_string_codes_keep_zero_for_unset_alone():
    left, right = string_codes(np.array(["b", "a"]), np.array(["a", "c", "b"]))
    assert left.tolist() == [2, 1] and right.tolist() == [1, 3, 2]  # no "": 0 unused
    left, right = string_codes(np.array(["", "a"]), np.array(["a", ""]))
    assert left.tolist() == [0, 1] and right.tolist() == [1, 0]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("ash", "ash", 1.0),
        ("ash", "slag", 0.5),  # siblings under minerals
        ("minerals", "ash", 0.5),  # parent and child
        ("ash", "wood", 0.0),
        ("metals", "minerals", 0.0),  # two top-level categories
        ("ash", "", 0.0),
        ("", "", 0.0),
    ],
)
def test_category_proximity(kb, a, b, expected):
    assert kb.category_proximity(a, b) == expected
    assert kb.category_proximity(b, a) == expected


def test_ewc_text_and_display(kb):
    text = kb.ewc_text("100102")
    assert text.startswith("Coal fly ash")
    assert "power stations" in text and "thermal processes" in text
    assert kb.ewc_text("") == ""
    assert kb.ewc_text("999999") == ""
    assert ewc_display("100102") == "10 01 02"
    assert ewc_display("1001") == "10 01"
    assert ewc_display("") == ""


def test_is_hazardous(kb):
    assert kb.is_hazardous("100104")
    assert kb.is_hazardous("10 01 16*")
    assert not kb.is_hazardous("100102")
    assert not kb.is_hazardous("")


def test_fingerprint_follows_the_reference_data_not_the_configuration():
    whole = Knowledge.load()
    assert whole.configured(components="text").fingerprint == whole.fingerprint
    # Another knowledge base (the same data less one pathway) has another fingerprint.
    fewer = replace(whole, pathways=whole.pathways[1:], _shared={})
    assert fewer.fingerprint != whole.fingerprint
