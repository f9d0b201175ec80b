"""The vectorised full rematch: equal to the naive baseline, lossless cells, determinism."""

from __future__ import annotations

import math
import pickle
import random
from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from bench.generate import generate_region
from bench.naive import compare, naive_matches
from matching.engine import (
    EARTH_RADIUS_KM,
    Cell,
    MatchIndex,
    Tuning,
    haversine_km,
    pack_records,
    plan_cells,
    unpack_records,
)
from matching.engine.index import pair_products, ranking, selection, top_k_mask


@pytest.fixture(scope="module")
def region_records():
    # A small region: dense enough that most listings compete for their top k.
    return generate_region(220, seed=5).records()


@pytest.fixture(scope="module")
def index(region_records, kb) -> MatchIndex:
    return MatchIndex.build(region_records, kb, version="test")


def _pairs(matches):
    return [(m.offer_id, m.want_id) for m in matches]


def test_fast_path_equals_the_naive_baseline(index, region_records, kb):
    fast = index.match_all(k=5)
    slow = naive_matches(region_records, kb, index.text_model, 5)
    assert len(fast) > 100
    assert compare(fast, slow) == []
    assert _pairs(fast) == _pairs(slow)  # same order: (−score, offer, want)
    assert [m.explanation for m in fast] == [m.explanation for m in slow]


def test_full_rematch_is_the_union_of_single_queries(index):
    # query() ranks one listing's counterparts on its own (a tree query per listing).
    expected = set()
    for record in index.records:
        expected |= set(_pairs(index.query(record, k=3)))
    assert set(_pairs(index.match_all(k=3))) == expected


def test_a_full_rematch_stores_the_numbers_a_single_query_gives(index):
    # A listing matched alone later (same model) must find its stored rows unchanged, to
    # the last bit: the rows' products are the selection's, as the query's are.
    stored = {(m.offer_id, m.want_id): m for m in index.match_all(k=5)}
    compared = 0
    for record in index.records:
        for m in index.query(record, k=5):
            if (m.offer_id, m.want_id) in stored:
                assert m == stored[m.offer_id, m.want_id]
                compared += 1
    assert compared > 300


def test_cells_with_margins_lose_no_pair(index):
    whole = index.select(5)
    lat = np.concatenate([index.side(k).arrays.lat for k in ("offer", "want")])
    lon = np.concatenate([index.side(k).arrays.lon for k in ("offer", "want")])
    reach = np.concatenate([index.side(k).arrays.max_km for k in ("offer", "want")])
    plan = plan_cells(lat, lon, reach, cells=4)
    assert len(plan) == 4
    owners = plan.assign(lat, lon)
    assert set(np.bincount(owners)) and np.bincount(owners).min() > 0
    # Each pair is scored in the cell of its offer; the cell of its want completes it.
    parts = [index.select_cell(plan, cell, 5) for cell in range(len(plan))]
    assert sum(p.candidates for p in parts) == whole.candidates  # nothing scored twice
    found = set()
    for cell in range(len(plan)):
        merged = index.merge_cell(plan, cell, parts, 5)
        found |= set(zip(merged.offer.tolist(), merged.want.tolist(), merged.score.tolist(),
                         merged.text_sim.tolist(), merged.distance_km.tolist(), strict=True))
    expected = set(zip(whole.offer.tolist(), whole.want.tolist(), whole.score.tolist(),
                       whole.text_sim.tolist(), whole.distance_km.tolist(), strict=True))
    assert found == expected
    assert len(found) == len(whole)


def test_a_cell_without_its_margin_would_lose_pairs(index):
    # The check above can fail: cutting the pool to the cell itself drops border pairs.
    whole = index.select(5)
    arrays = {k: index.side(k).arrays for k in ("offer", "want")}
    lat = np.concatenate([a.lat for a in arrays.values()])
    lon = np.concatenate([a.lon for a in arrays.values()])
    plan = plan_cells(lat, lon, np.zeros(len(lat)), cells=4)
    parts = [index.select_cell(plan, cell, 5) for cell in range(len(plan))]
    found = set()
    for cell in range(len(plan)):
        merged = index.merge_cell(plan, cell, parts, 5)
        found |= set(zip(merged.offer.tolist(), merged.want.tolist(), strict=True))
    assert set(zip(whole.offer.tolist(), whole.want.tolist(), strict=True)) - found


def test_same_inputs_same_matches_whatever_the_order(region_records, kb):
    first = MatchIndex.build(region_records, kb, version="v").match_all(k=4)
    shuffled = list(region_records)
    random.Random(3).shuffle(shuffled)
    again = MatchIndex.build(shuffled, kb, version="v").match_all(k=4)
    assert again == first


def test_a_pickled_index_matches_the_same(index, kb):
    copy = pickle.loads(pickle.dumps(index))
    copy.attach(kb)
    assert copy.match_all(k=4) == index.match_all(k=4)
    record = index.records[7]
    assert copy.query(record, k=5) == index.query(record, k=5)


def test_a_pickled_index_keeps_one_record_object_per_listing(index):
    copy = pickle.loads(pickle.dumps(index))
    assert copy.records == index.records
    for kind in ("offer", "want"):
        side = copy.side(kind)
        assert side.records == index.side(kind).records
        # The sides name the index's own records (packed once), not copies of them.
        assert {id(r) for r in side.records} <= {id(r) for r in copy.records}


def test_an_index_pickled_with_unpacked_records_still_loads(index, kb):
    # The state an index pickled before the records were packed has: each side holds
    # its own records, the index the tuple of all.
    state = index.__getstate__()
    state["records"] = index.records
    state["_sides"] = {
        kind: (index.side(kind).records, *parts[1:]) for kind, parts in state["_sides"].items()
    }
    old = MatchIndex.__new__(MatchIndex)
    old.__setstate__(state)
    old.attach(kb)
    assert old.match_all(k=4) == index.match_all(k=4)


def test_a_model_file_keeps_no_tuning_and_loads_with_the_default(index, kb):
    small = index.tuned(Tuning(unit_pairs=40))
    assert small.tuning.unit_pairs == 40 and index.tuning == Tuning()
    copy = pickle.loads(pickle.dumps(small))
    assert copy.tuning == Tuning()
    copy.attach(kb)
    assert copy.match_all(k=4) == small.match_all(k=4) == index.match_all(k=4)


def test_an_index_pickled_with_the_former_component_names_still_attaches(index, kb):
    # Models pickled before the components were renamed hold "pathways" in their
    # configuration: read back as "pathway", they match the knowledge configured now.
    state = index.__getstate__()
    configs = {kind: parts[1].config for kind, parts in state["_sides"].items()}
    for config in configs.values():
        assert config.components == {"text", "taxonomy", "pathway"}
    former = object.__new__(type(configs["offer"]))
    former.__dict__.update(configs["offer"].__dict__,
                           components=frozenset({"text", "taxonomy", "pathways"}))
    read = pickle.loads(pickle.dumps(former))
    assert read == kb.config
    state["_sides"] = {kind: (parts[0], replace(parts[1], config=read), *parts[2:])
                       for kind, parts in state["_sides"].items()}
    old = MatchIndex.__new__(MatchIndex)
    old.__setstate__(state)
    old.attach(kb)
    assert old.match_all(k=4) == index.match_all(k=4)


def test_packed_records_unpack_to_equal_records(region_records):
    packed = pack_records(region_records)
    assert unpack_records(pickle.loads(pickle.dumps(packed))) == tuple(region_records)
    assert unpack_records(pack_records([])) == ()
    with pytest.raises(ValueError, match="other fields"):
        unpack_records(packed[:-1])


def test_listings_saved_later_compete_through_an_overlay(index, region_records):
    # A want copied from an indexed one, under a new id: its offers find it in the overlay.
    source = next(r for r in region_records if r.kind == "want" and index.query(r, k=3))
    twin = replace(source, id=10_000)
    extra = index.with_records([twin])
    offer_id = index.query(source, k=1)[0].offer_id
    offer = next(r for r in region_records if r.id == offer_id)
    with_twin = index.query(offer, k=50, extra=extra)
    assert twin.id in [m.want_id for m in with_twin]
    # Excluding the original leaves the twin in its place, with the same score.
    scores = {m.want_id: m.score for m in with_twin}
    assert scores[twin.id] == scores[source.id]
    without = index.query(offer, k=50, exclude=frozenset({source.id}), extra=extra)
    assert source.id not in [m.want_id for m in without]


def test_top_k_mask_ranks_by_score_then_tiebreak():
    group = np.array([0, 0, 0, 1, 1])
    score = np.array([0.5, 0.9, 0.5, 0.2, 0.3])
    tiebreak = np.array([7, 1, 3, 0, 0])
    assert top_k_mask(group, score, tiebreak, 2).tolist() == [False, True, True, True, True]
    assert top_k_mask(group, score, tiebreak, 1).tolist() == [False, True, False, False, True]


@pytest.mark.parametrize("lat", [0.0, 45.0, 70.0, 88.0, -60.0])
def test_a_cell_pool_holds_every_point_within_the_margin(lat):
    rng = random.Random(int(lat * 10))
    cell = Cell(index=0, lat_lo=lat - 1.0, lat_hi=min(90.0, lat + 1.0), lon_lo=170.0,
                lon_hi=179.0)
    margin = 300.0
    points = []
    for _ in range(2000):
        # A member of the cell, and a point at a random bearing within the margin.
        la = rng.uniform(cell.lat_lo, cell.lat_hi)
        lo = rng.uniform(cell.lon_lo, cell.lon_hi)
        d = rng.uniform(0, margin) / EARTH_RADIUS_KM
        bearing = rng.uniform(0, 2 * math.pi)
        phi = math.asin(math.sin(math.radians(la)) * math.cos(d)
                        + math.cos(math.radians(la)) * math.sin(d) * math.cos(bearing))
        lam = math.radians(lo) + math.atan2(
            math.sin(bearing) * math.sin(d) * math.cos(math.radians(la)),
            math.cos(d) - math.sin(math.radians(la)) * math.sin(phi),
        )
        lon2 = (math.degrees(lam) + 540.0) % 360.0 - 180.0
        points.append((math.degrees(phi), lon2))
        assert haversine_km(la, lo, *points[-1]) <= margin + 1e-6
    lats, lons = np.array(points).T
    assert cell.near(lats, lons, margin).all()


# Small tiles and units, cuts early and often.
SMALL = Tuning(tile_offers=7, unit_pairs=40, compact_rows=60)


def test_small_work_units_and_early_cuts_change_nothing(index):
    whole = index.select(4)
    small = index.tuned(replace(SMALL, product_cells=5))  # slabs of one offer
    again = small.select(4)
    for name in ("offer", "want", "distance_km", "text_sim", "score"):
        assert np.array_equal(getattr(again, name), getattr(whole, name))


def test_want_floors_from_earlier_cuts_keep_fewer_pairs_and_change_nothing(index, monkeypatch):
    small = index.tuned(SMALL)
    kept = []
    real = MatchIndex._reduce

    def counted(self, *args):
        part = real(self, *args)
        kept.append(0 if part is None else len(part[0]))
        return part

    monkeypatch.setattr(MatchIndex, "_reduce", counted)
    with_floors = small.select(4)
    floored = sum(kept)
    kept.clear()
    monkeypatch.setattr(selection, "_raise_floor", lambda *args: None)  # floors stay −inf
    without = small.select(4)
    assert floored < sum(kept)
    for name in ("offer", "want", "distance_km", "text_sim", "score", "offer_top"):
        assert np.array_equal(getattr(with_floors, name), getattr(without, name))


@pytest.mark.parametrize("threads", [1, 2])
def test_a_selection_asked_in_place_order_is_the_ranked_one_placed(index, threads):
    index = index.tuned(Tuning(unit_pairs=40, compact_rows=60))
    placed = index.select(4, threads=threads, placed=True)
    expected = index.by_place(index.select(4))
    for name in ("offer", "want", "distance_km", "text_sim", "score", "offer_top"):
        assert np.array_equal(getattr(placed, name), getattr(expected, name))
    assert placed.candidates == expected.candidates


def test_a_floor_rises_to_each_full_groups_kth_score():
    from matching.engine.index.ranking import _raise_floor

    floor = np.array([-np.inf, 0.5, -np.inf, 0.1])
    group = np.array([0, 0, 1, 1, 2, 3, 3])
    score = np.array([0.3, 0.2, 0.4, 0.9, 0.8, 0.05, 0.2])
    _raise_floor(floor, group, score, 2)
    # Group 0 rises to its second best; group 1's and group 3's second best are below
    # their floors, which stay; group 2 has one pair only.
    assert floor.tolist() == [0.2, 0.5, -np.inf, 0.1]


@pytest.mark.parametrize("threads", [2, 3])
def test_scoring_on_threads_changes_nothing(index, threads):
    index = index.tuned(SMALL)
    alone = index.select(4)
    timings: dict[str, float] = {}
    threaded = index.select(4, threads=threads, timings=timings)
    for name in ("offer", "want", "distance_km", "text_sim", "score", "offer_top"):
        assert np.array_equal(getattr(threaded, name), getattr(alone, name))
    assert threaded.candidates == alone.candidates
    assert timings["candidates_s"] > 0 and timings["score_s"] > 0


def test_a_unit_failing_on_a_thread_fails_the_selection(index, monkeypatch):
    index = index.tuned(Tuning(unit_pairs=40))
    calls = []
    real = MatchIndex._reduce

    def failing(self, *args):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("unit 3 failed")
        return real(self, *args)

    monkeypatch.setattr(MatchIndex, "_reduce", failing)
    with pytest.raises(RuntimeError, match="unit 3 failed"):
        index.select(4, threads=2)


def test_radix_order_is_lexsorts_order():
    from matching.engine.index import radix_order

    rng = np.random.default_rng(5)
    for top in (3, 1 << 16, 1 << 40):  # one digit, a key just past one digit, three digits
        a = rng.integers(0, top, 5000)
        b = rng.integers(0, 50, 5000)  # many ties on b: stability decides
        assert np.array_equal(radix_order(a, b), np.lexsort((b, a)))
        assert np.array_equal(radix_order(b), np.argsort(b, kind="stable"))
    assert len(radix_order(np.empty(0, np.int64))) == 0


# Group ids of one 16-bit digit, or of two where many share their low digit.
@pytest.mark.parametrize("high", [1, 1 << 16])
def test_top_k_pre_cut_keeps_exactly_the_sorted_ranks(high):
    rng = np.random.default_rng(3)
    n = 20_000
    ids = np.arange(300) % 15 + (np.arange(300) // 15) * high
    group = rng.choice(ids, n)
    # Ties of every kind: equal scores, scores closer than the coarse step, 0 and 1.
    score = rng.choice([0.0, 1.0, 0.5, 0.5 + 1e-13, 0.5 - 1e-13, 0.25], n)
    score = np.where(rng.random(n) < 0.5, rng.random(n), score)
    tiebreak = rng.permutation(n).astype(np.int64)
    for k in (1, 5, 20):
        cut = np.sort(ranking._ranked_below(group, score, tiebreak, k))
        exact = np.sort(ranking._ranked_exact(group, score, tiebreak, k))
        assert np.array_equal(cut, exact)
        assert len(exact) == sum(min(k, c) for c in np.bincount(group))


def test_first_shared_block_from_packed_bits_equals_the_first_common_flag():
    from matching.engine.index.geometry import _first_shared

    rng = np.random.default_rng(3)
    o_flags = rng.random((60, 21)) < 0.3
    w_flags = rng.random((50, 21)) < 0.3
    o_bits = np.packbits(o_flags, axis=1, bitorder="little")
    w_bits = np.packbits(w_flags, axis=1, bitorder="little")
    for block in range(21):
        o = np.flatnonzero(o_flags[:, block]).repeat(50)
        w = np.tile(np.arange(50), len(o) // 50)
        w, o = w[w_flags[w, block]], o[w_flags[w, block]]
        expected = np.argmax(o_flags[o] & w_flags[w], axis=1) == block
        assert np.array_equal(_first_shared(o_bits, w_bits, o, w, block), expected)
        if block >= 9:
            assert not expected.all() and expected.any()  # both outcomes are exercised


def _merged_dot(a, b, i: int, j: int) -> float:
    # The baseline's order: shared features ascending, added to 0.0 one at a time.
    ra = dict(zip(a.indices[a.indptr[i] : a.indptr[i + 1]].tolist(),
                  a.data[a.indptr[i] : a.indptr[i + 1]].tolist(), strict=True))
    total = 0.0
    for f, value in zip(b.indices[b.indptr[j] : b.indptr[j + 1]].tolist(),
                        b.data[b.indptr[j] : b.indptr[j + 1]].tolist(), strict=True):
        if f in ra:
            total += ra[f] * value
    return total


@pytest.mark.parametrize("dense_cells", [4_000_000, 10])  # dense slabs; sparse fallback
@pytest.mark.parametrize("product_cells", [2_000_000, 7])  # whole slabs; slabs split
def test_pair_products_have_the_bits_of_a_merge_of_sorted_rows(dense_cells, product_cells):
    tuning = Tuning(dense_cells=dense_cells, product_cells=product_cells, slab_offers=16)
    rng = np.random.default_rng(11)
    matrices = []
    for features in (9_000, 40):  # over dense_features (laid out by used features), under
        a = sp.random(60, features, density=30 / features, format="csr", random_state=rng)
        b = sp.random(50, features, density=20 / features, format="csr", random_state=rng)
        # Shared features: a few columns every row uses.
        a = sp.csr_matrix(a + sp.csr_matrix(np.outer(np.ones(60), np.r_[rng.random(3),
                                                                     np.zeros(features - 3)])))
        b = sp.csr_matrix(b + sp.csr_matrix(np.outer(np.ones(50), np.r_[rng.random(3),
                                                                     np.zeros(features - 3)])))
        a.sort_indices()
        b.sort_indices()
        matrices.append((a, b))
    offers = rng.integers(0, 60, 700)
    wants = rng.integers(0, 50, 700)
    found = pair_products(matrices, offers, wants, tuning=tuning)
    for (a, b), values in zip(matrices, found, strict=True):
        expected = [_merged_dot(a, b, o, w) for o, w in zip(offers.tolist(), wants.tolist(),
                                                             strict=True)]
        assert values.tolist() == expected  # bit for bit
        assert (values > 0).all()
