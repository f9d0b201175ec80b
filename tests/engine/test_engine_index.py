"""The match index: candidates, ranking, match_all."""

from __future__ import annotations

from dataclasses import replace

import pytest

from matching.engine import OFFER, WANT, ListingRecord, MatchIndex, haversine_km

CEMENT = (60.30, 22.30)


def near(km_north: float, km_east: float = 0.0) -> dict[str, float]:
    """Coordinates roughly ``km_north``/``km_east`` from the cement works."""
    return {"lat": CEMENT[0] + km_north / 111.2, "lon": CEMENT[1] + km_east / 55.2}


def scenario() -> list[ListingRecord]:
    def rec(**fields):
        return ListingRecord(**{"max_km": 100.0, "lat": CEMENT[0], "lon": CEMENT[1], **fields})

    return [
        rec(
            id=1,
            kind=OFFER,
            title="Coal fly ash",
            ewc_code="100102",
            category="ash",
            description="Dry fly ash from the electrostatic precipitators of our coal boiler.",
            amount_per_year=50000.0,
            canonical_unit="t",
            **near(20),
        ),
        rec(
            id=2,
            kind=OFFER,
            title="Coal fly ash",
            ewc_code="100102",
            category="ash",
            description="Fly ash from a coal-fired power plant, silo storage.",
            amount_per_year=50000.0,
            canonical_unit="t",
            max_km=200.0,
            **near(150),
        ),
        rec(
            id=3,
            kind=OFFER,
            title="Wood chips",
            ewc_code="030105",
            category="wood",
            description="Clean softwood chips and sawdust from our sawmill.",
            amount_per_year=20000.0,
            canonical_unit="t",
            **near(0, 5),
        ),
        rec(
            id=4,
            kind=OFFER,
            title="Steel slag",
            ewc_code="100202",
            category="slag",
            description="Unprocessed slag from the electric arc furnace.",
            **near(30, 10),
        ),
        rec(
            id=5,
            kind=OFFER,
            title="Waste heat",
            category="heat",
            description="Hot water at 70 C from process cooling.",
            **near(3, 3),
        ),
        rec(
            id=6,
            kind=OFFER,
            title="FGD gypsum",
            ewc_code="100105",
            category="gypsum",
            description="Gypsum from flue-gas desulphurisation.",
            **near(25),
        ),
        rec(
            id=10,
            kind=WANT,
            title="Pozzolanic material",
            description="Pozzolanic material / fly ash for cement, to replace part of the "
            "clinker in our blended cements.",
            amount_per_year=30000.0,
            canonical_unit="t",
        ),
        rec(
            id=11,
            kind=WANT,
            title="Biomass fuel",
            description="Wood chips or bark for our biomass boiler.",
            **near(10, 10),
        ),
        rec(
            id=12,
            kind=WANT,
            title="Recycled aggregate",
            description="Crushed concrete or aggregate for road base.",
            **near(15, -5),
        ),
    ]


@pytest.fixture()
def index(kb) -> MatchIndex:
    return MatchIndex.build(scenario(), kb, version="test")


def by_id(index: MatchIndex, rid: int) -> ListingRecord:
    return next(r for r in index.records if r.id == rid)


def test_fly_ash_scenario_ranking(index):
    cement = by_id(index, 10)
    ranked = [m.offer_id for m in index.query(cement, k=10)]
    assert ranked[:2] == [1, 2]  # the near fly ash beats the far one
    assert 3 not in ranked or ranked.index(3) > 1  # wood chips never above fly ash
    scores = {m.offer_id: m.score for m in index.query(cement, k=10)}
    assert scores[1] > scores[2]
    assert scores[1] > scores.get(3, 0.0) * 2
    top = index.query(cement, k=1)[0]
    assert top.explanation.startswith("same category: Ashes") or "fly ash" in top.explanation
    assert top.distance_km == pytest.approx(haversine_km(*CEMENT, **_ll(by_id(index, 1))))


def _ll(record):
    return {"lat2": record.lat, "lon2": record.lon}


def test_fly_ash_offer_finds_the_cement_works_first(index):
    assert index.query(by_id(index, 1), k=3)[0].want_id == 10
    assert index.query(by_id(index, 3), k=3)[0].want_id == 11  # chips → biomass boiler


def test_query_equals_brute_force(index, naive, same_matches):
    for record in index.records:
        for k in (1, 3, 20):
            same_matches(index.query(record, k=k), naive(index, record, k))


def test_new_and_changed_records(index, naive, same_matches):
    new_want = ListingRecord(
        id=99,
        kind=WANT,
        title="Fly ash wanted",
        description="fly ash for concrete",
        lat=CEMENT[0],
        lon=CEMENT[1],
        max_km=100.0,
    )
    found = index.query(new_want, k=5)
    assert found and found[0].offer_id == 1
    same_matches(found, naive(index, new_want, 5))
    # Same id as an indexed want, new wording: scored as given, not as stored.
    changed = replace(by_id(index, 10), title="Wood chips", description="wood chips, bark")
    assert index.query(changed, k=1)[0].offer_id == 3


def test_far_reaching_counterpart_is_found(kb):
    # The want carries 500 km, the offer only 10 km: the pair may be 300 km apart.
    records = [
        ListingRecord(id=1, kind=OFFER, title="fly ash", lat=60.0, lon=24.0, max_km=10.0),
        ListingRecord(id=2, kind=WANT, title="fly ash", lat=62.7, lon=24.0, max_km=500.0),
        ListingRecord(id=3, kind=WANT, title="fly ash", lat=62.7, lon=24.1, max_km=5.0),
    ]
    index = MatchIndex.build(records, kb)
    assert [m.want_id for m in index.query(records[0], k=5)] == [2]
    assert [m.offer_id for m in index.query(records[1], k=5)] == [1]
    assert index.query(records[2], k=5) == []


def test_match_all_is_union_of_both_top_k(kb):
    def rec(rid, kind, title, lon):
        return ListingRecord(id=rid, kind=kind, title=title, lat=60.0, lon=lon, max_km=100.0)

    records = [
        rec(1, OFFER, "fly ash coal fly ash", 24.0),
        rec(2, WANT, "coal fly ash fly ash", 24.0),  # the offer's favourite
        rec(3, WANT, "fly ash wanted urgently", 24.5),  # only candidate: the offer
    ]
    index = MatchIndex.build(records, kb)
    assert [m.want_id for m in index.query(records[0], k=1)] == [2]
    pairs = {(m.offer_id, m.want_id) for m in index.match_all(k=1)}
    assert pairs == {(1, 2), (1, 3)}


def test_match_all_order_and_sides(index):
    matches = index.match_all(k=20)
    assert matches
    keys = [(-m.score, m.offer_id, m.want_id) for m in matches]
    assert keys == sorted(keys)
    assert len({(m.offer_id, m.want_id) for m in matches}) == len(matches)
    kinds = {r.id: r.kind for r in index.records}
    assert all(kinds[m.offer_id] == OFFER and kinds[m.want_id] == WANT for m in matches)


def test_k_limits(index):
    cement = by_id(index, 10)
    assert index.query(cement, k=0) == []
    assert len(index.query(cement, k=2)) == 2
    with pytest.raises(ValueError):
        index.query(cement, k=-1)


def test_empty_and_one_sided_indexes(kb):
    empty = MatchIndex.build([], kb)
    assert empty.match_all() == []
    lone = ListingRecord(id=1, kind=OFFER, title="fly ash", lat=60.0, lon=24.0, max_km=50.0)
    assert empty.query(lone) == []
    assert MatchIndex.build([lone], kb).match_all() == []


def test_build_validates(kb):
    a = ListingRecord(id=1, kind=OFFER, title="x", lat=60.0, lon=24.0, max_km=50.0)
    with pytest.raises(ValueError, match="unique"):
        MatchIndex.build([a, replace(a, kind=WANT)], kb)
    with pytest.raises(ValueError, match="listing 1"):
        MatchIndex.build([replace(a, max_km=-1.0)], kb)
    with pytest.raises(ValueError):
        MatchIndex.build([replace(a, kind="swap")], kb)


def test_ties_break_by_counterpart_id_not_input_order(kb):
    def offer(rid):
        return ListingRecord(id=rid, kind=OFFER, title="fly ash", lat=60.0, lon=24.0, max_km=50.0)

    want = ListingRecord(id=1, kind=WANT, title="fly ash", lat=60.1, lon=24.0, max_km=50.0)
    index = MatchIndex.build([offer(9), offer(7), offer(3), want], kb)
    found = index.query(want, k=3)
    assert len({m.score for m in found}) == 1
    assert [m.offer_id for m in found] == [3, 7, 9]
    assert [m.offer_id for m in index.query(want, k=2)] == [3, 7]


def test_text_fit_on_a_thread_builds_the_same_index(kb):
    import numpy as np

    from bench.generate import generate_region
    from matching.engine import Tuning

    records = generate_region(600, seed=21, knowledge=kb).records()
    alone = MatchIndex.build(records, kb, version="v", tuning=Tuning(overlap_fit=10**9))
    overlapped = MatchIndex.build(records, kb, version="v", tuning=Tuning(overlap_fit=1))
    for kind in (OFFER, WANT):
        a, b = alone.side(kind), overlapped.side(kind)
        assert (a.matrix != b.matrix).nnz == 0
        for name in ("material", "use", "block_matrix", "material_near", "use_potential"):
            assert (getattr(a.arrays, name) != getattr(b.arrays, name)).nnz == 0, name
        assert np.array_equal(a.arrays.material_confidence, b.arrays.material_confidence)
    assert alone.match_all(5) == overlapped.match_all(5)


def _same_bits(a, b) -> bool:
    import numpy as np

    a, b = a.tocsr(), b.tocsr()
    return all(np.array_equal(getattr(a, n), getattr(b, n)) for n in ("indptr", "indices", "data"))


def test_fit_shared_with_forked_helpers_builds_the_same_index(kb):
    from bench.generate import generate_region
    from matching.engine import Tuning

    records = generate_region(600, seed=21, knowledge=kb).records()
    alone = MatchIndex.build(records, kb, version="v")
    assert alone.fit_info == {"processes": 1}
    tuning = Tuning(overlap_fit=1, profile_batch=70)  # 9 batches, shared out
    shared = MatchIndex.build(records, kb, version="v", processes=3, tuning=tuning)
    assert shared.fit_info["processes"] == 3
    assert shared.fit_info["helper_failures"] == 0
    assert shared.fit_info["helper_peak_rss_mb"] > 0
    for kind in (OFFER, WANT):
        a, b = alone.side(kind), shared.side(kind)
        assert _same_bits(a.matrix, b.matrix)
        for name in ("material", "use", "block_matrix", "material_near", "use_potential"):
            assert _same_bits(getattr(a.arrays, name), getattr(b.arrays, name)), name
    assert alone.text_model.n_features == shared.text_model.n_features
    assert alone.match_all(5) == shared.match_all(5)
    # Profiles inferred elsewhere (a distributed rematch's parts): only the text model's
    # two blocks are shared out, and the index is the same again.
    profiles = kb.inference.profiles(records)
    given = MatchIndex.build(records, kb, version="v", profiles=profiles, processes=2,
                             tuning=Tuning(overlap_fit=1))
    assert given.fit_info == {"processes": 2, "helper_failures": 0}
    for kind in (OFFER, WANT):
        assert _same_bits(alone.side(kind).matrix, given.side(kind).matrix)
    assert alone.match_all(5) == given.match_all(5)


def test_pairs_in_write_order_are_the_same_pairs_grouped_by_place(kb):
    import numpy as np

    from bench.generate import generate_region
    from matching.engine.index import z_order

    index = MatchIndex.build(generate_region(800, seed=8, knowledge=kb).records(), kb)
    selection = index.select(10)
    placed = index.by_place(selection)
    ranked = sorted(zip(selection.offer.tolist(), selection.want.tolist(),
                        selection.score.tolist(), strict=True))
    assert sorted(zip(placed.offer.tolist(), placed.want.tolist(), placed.score.tolist(),
                      strict=True)) == ranked
    offers = index.side(OFFER).arrays
    place = z_order(offers.lat, offers.lon)[placed.offer]
    assert np.all(np.diff(place.astype(np.int64)) >= 0)
    # Each offer's pairs are consecutive.
    starts = np.flatnonzero(np.r_[True, placed.offer[1:] != placed.offer[:-1]])
    assert len(starts) == len(np.unique(placed.offer))
    assert len(selection) > 100
