"""The judged demo pairs (data/demo/judged_pairs.json): an evaluation set for the ranker.

The set must stay as the independent judge committed it (issue 18: judged before any
training). These tests catch a pair whose listing vanished or changed kind, a malformed
grade or reason, and any edit that JUDGED.md's recorded sha256 does not cover.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

DEMO_DIR = Path(__file__).resolve().parents[2] / "data" / "demo"
JUDGED = DEMO_DIR / "judged_pairs.json"
JUDGED_NOTE = DEMO_DIR / "JUDGED.md"


@pytest.fixture(scope="module")
def judged() -> dict:
    return json.loads(JUDGED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def kinds() -> dict[str, str]:
    listings = json.loads((DEMO_DIR / "listings.json").read_text(encoding="utf-8"))["listings"]
    return {listing["external_id"]: listing["kind"] for listing in listings}


def test_judged_set_has_at_least_300_unique_pairs(judged):
    keys = [(pair["offer"], pair["want"]) for pair in judged["pairs"]]
    assert len(set(keys)) == len(keys), "a pair is judged twice"
    assert len(keys) >= 300


def test_every_judged_offer_is_a_demo_offer_and_every_want_a_demo_want(judged, kinds):
    wrong = [
        (pair["offer"], pair["want"])
        for pair in judged["pairs"]
        if kinds.get(pair["offer"]) != "offer" or kinds.get(pair["want"]) != "want"
    ]
    assert not wrong, f"pairs whose ids are missing or of the wrong kind: {wrong[:5]}"


def test_grades_are_0_1_or_2_and_every_reason_is_a_short_sentence(judged):
    for pair in judged["pairs"]:
        assert pair["grade"] in {0, 1, 2}, pair
        assert isinstance(pair["reason"], str) and pair["reason"].strip(), pair
        assert len(pair["reason"]) <= 120, pair


def test_grade_counts_in_the_header_match_the_pairs(judged):
    counted = {str(g): sum(1 for p in judged["pairs"] if p["grade"] == g) for g in (0, 1, 2)}
    assert judged["grades"] == counted
    # A set of one grade cannot tell a ranker from chance.
    assert all(counted.values())


def test_judged_file_matches_the_sha256_recorded_in_judged_md():
    recorded = re.findall(r"\b[0-9a-f]{64}\b", JUDGED_NOTE.read_text(encoding="utf-8"))
    assert len(recorded) == 1, "JUDGED.md must record exactly one sha256"
    assert hashlib.sha256(JUDGED.read_bytes()).hexdigest() == recorded[0]
