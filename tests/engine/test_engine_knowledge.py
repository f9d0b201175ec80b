"""Reference data and code proximity."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.engine.knowledge import (
    Knowledge,
    ewc_display,
    ewc_keys,
    ewc_proximity,
    ewc_proximity_keys,
)


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
