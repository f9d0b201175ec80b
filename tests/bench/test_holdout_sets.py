"""The second held-out sets (issues 21 and 22): format, size, valid codes and frozen hashes.

These files are evaluation data written before any tuning; the hashes recorded in
``bench/data/HOLDOUT-2.md`` prove they have not been edited since.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "bench" / "data"
PAIRS_FILE = DATA / "synergies-holdout-2.json"
EWC_FILE = DATA / "ewc-heldout-2.json"
STATEMENT = DATA / "HOLDOUT-2.md"

UNITS = {None, "t", "kg", "m3", "l", "MWh", "kWh", "GJ"}
FREQUENCIES = {None, "one-off", "daily", "weekly", "monthly", "yearly", "continuous"}
SIDE_FIELDS = {"title", "description", "sector", "sector_name", "ewc_code", "quantity", "unit",
               "frequency", "location"}
KIND_MINIMUMS = {"mirror": 30, "source": 25, "jargon": 20, "long": 15, "packaging": 10}


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _entries() -> list[dict]:
    with open(ROOT / "data" / "ewc_list_of_waste.csv", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["level"] == "3"]


@pytest.fixture(scope="module")
def low() -> dict[str, bool]:
    """Six-digit List of Waste entries -> hazardous flag."""
    return {r["code"]: r["hazardous"] == "true" for r in _entries()}


@pytest.fixture(scope="module")
def mirror_entries() -> set[str]:
    """Entries that belong to a mirror pair (MH: hazardous side, MNH: the other side)."""
    return {r["code"] for r in _entries() if r["entry_type"] in {"MH", "MNH"}}


@pytest.fixture(scope="module")
def nace() -> set[str]:
    with open(ROOT / "data" / "nace_rev2.csv", encoding="utf-8") as fh:
        return {r["code"] for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def pairs() -> list[dict]:
    data = _load(PAIRS_FILE)
    assert data["name"] == "synergies-holdout-2"
    return data["pairs"]


@pytest.fixture(scope="module")
def items() -> list[dict]:
    data = _load(EWC_FILE)
    assert data["name"] == "ewc-heldout-2"
    return data["items"]


def test_pairs_file_has_at_least_45_uniquely_numbered_exchanges(pairs):
    ids = [p["id"] for p in pairs]
    assert len(pairs) >= 45
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"HT\d{3}", i) for i in ids)


def test_pair_ids_are_not_reused_from_the_first_holdout_or_the_dev_set(pairs):
    first = {p["id"] for p in _load(DATA / "synergies-holdout.json")["pairs"]}
    assert not first & {p["id"] for p in pairs}


def test_every_pair_side_follows_the_benchmark_format(pairs, nace, low):
    for p in pairs:
        assert p["case"] and p["group"] and p["source"], p["id"]
        assert p["flow_type"] in {"material", "energy", "water"}, p["id"]
        for side in (p["offer"], p["want"]):
            assert set(side) == SIDE_FIELDS, p["id"]
            assert side["title"].strip() and side["description"].strip(), p["id"]
            assert side["sector"] in nace, (p["id"], side["sector"])
            assert side["ewc_code"] is None or side["ewc_code"] in low, (p["id"], side["ewc_code"])
            assert side["unit"] in UNITS and side["frequency"] in FREQUENCIES, p["id"]
            # a stated quantity always carries its unit and frequency
            if side["quantity"] is not None:
                assert side["quantity"] > 0 and side["unit"] and side["frequency"], p["id"]
            where = side["location"]
            assert where["name"] and -90 <= where["lat"] <= 90 and -180 <= where["lon"] <= 180


def test_pairs_emphasise_material_exchanges(pairs):
    flows = Counter(p["flow_type"] for p in pairs)
    assert flows["material"] > len(pairs) / 2
    assert flows["energy"] >= 3


def test_ewc_file_has_at_least_110_uniquely_numbered_items(items):
    ids = [i["id"] for i in items]
    assert len(items) >= 110
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"W\d{3}", i) for i in ids)


def test_ewc_items_meet_the_minimum_count_of_each_kind(items):
    kinds = Counter(i["kind"] for i in items)
    assert set(kinds) <= set(KIND_MINIMUMS)
    for kind, minimum in KIND_MINIMUMS.items():
        assert kinds[kind] >= minimum, kind


def test_every_code_is_a_distinct_entry_of_the_list_of_waste(items, low):
    for item in items:
        codes = item["codes"]
        assert 1 <= len(codes) <= 3 and len(set(codes)) == len(codes), item["id"]
        assert all(c in low for c in codes), (item["id"], codes)


def test_mirror_items_split_between_hazard_named_and_tested_below_limits(
    items, low, mirror_entries
):
    mirrors = [i for i in items if i["kind"] == "mirror"]
    hazardous_first = [i for i in mirrors if low[i["codes"][0]]]
    benign_first = [i for i in mirrors if not low[i["codes"][0]]]
    # roughly half each way, and the expected first code is a member of a mirror pair
    assert min(len(hazardous_first), len(benign_first)) >= len(mirrors) // 3
    for item in mirrors:
        assert item["codes"][0] in mirror_entries, item["id"]


def test_every_item_records_the_second_readers_verdict(items):
    for item in items:
        verdict = item["second_reader"]
        assert verdict == "agree" or verdict.startswith("changed: "), item["id"]


@pytest.mark.parametrize("path", [PAIRS_FILE, EWC_FILE], ids=lambda p: p.name)
def test_statement_records_the_current_sha256_of_the_file(path):
    recorded = dict(
        (name, digest)
        for digest, name in re.findall(r"([0-9a-f]{64})\s+bench/data/([\w.-]+\.json)",
                                       STATEMENT.read_text(encoding="utf-8"))
    )
    assert recorded.get(path.name) == hashlib.sha256(path.read_bytes()).hexdigest()
