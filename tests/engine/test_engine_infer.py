"""Knowledge-based components on a tiny knowledge base with known answers.

The tiny base (written to a temporary data folder) has a few materials, uses, pathways,
synonyms and sector flows, so every expected value can be worked out by hand.
"""

from __future__ import annotations

import hashlib
import pickle
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from matching.engine import (
    COMPONENTS,
    DEFAULT_DATA_DIR,
    OFFER,
    WANT,
    CachedEmbedder,
    Knowledge,
    ListingRecord,
    MatchIndex,
    listing_text,
    parse_components,
    score_pair,
)
from matching.engine.config import PATHWAY_WEIGHT, TAXONOMY_WEIGHT, pathway_weight
from matching.engine.infer import CATEGORY_STATED, NACE_CONFIDENCE, short_source, stem, tokens
from matching.engine.score import ListingArrays, material_blocks, material_score, rowdot

MATERIALS = """slug,category,name,ewc,terms,state
coal-fly-ash,ash,coal fly ash,100102,fly ash;pulverised fuel ash;PFA,solid
bottom-ash,ash,bottom ash,100101,bottom ash;boiler slag,solid
fgd-gypsum,gypsum,FGD gypsum,100105,desulphurisation gypsum;flue gas gypsum,solid
spent-grain,food-residues,spent grain,020799,spent grain;brewers grain,solid
waste-heat,heat,waste heat,,residual heat;surplus heat;low-grade heat,energy
wood-chips,wood,wood chips,030105,sawdust;wood chips;bark,solid
"""
USES = """slug,name,terms,nace,accepts_categories
clinker-substitute,clinker substitute,supplementary cementitious material;blended cement,23.51,\
ash slag
plasterboard,plasterboard making,plasterboard;gypsum board,23.62,gypsum
animal-feed,animal feed,cattle feed;pig feed;livestock feed,01.4,food-residues
district-heating,district heating,district heating;heat network,35.30,heat steam
biomass-fuel,biomass fuel,biomass boiler;biomass fuel,35.11,wood
"""
PATHWAYS = """id,material,use,evidence,process,source,source_year,source_url
P1,coal-fly-ash,clinker-substitute,commercial,blending,EU cement BREF,2013,https://example.org/1
P2,fgd-gypsum,plasterboard,commercial,board making,Gypsum report,2018,https://example.org/2
P3,spent-grain,animal-feed,commercial,feeding,Feed guide,2020,https://example.org/3
P4,waste-heat,district-heating,commercial,heat exchange,Heat atlas,2019,https://example.org/4
P5,wood-chips,biomass-fuel,commercial,combustion,Biomass handbook,2015,https://example.org/5
"""
SYNONYMS = """group,terms
spent-grain,spent grain;draff
"""
NACE_FLOWS = """nace,direction,material_or_use,source
11.05,output,spent-grain,brewing statistics
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Knowledge:
    root = tmp_path_factory.mktemp("kb")
    for name in ("ewc_list_of_waste.csv", "material_categories.csv"):
        shutil.copy(Path(DEFAULT_DATA_DIR) / name, root / name)
    (root / "knowledge").mkdir()
    for name, text in {
        "materials.csv": MATERIALS,
        "uses.csv": USES,
        "pathways.csv": PATHWAYS,
        "synonyms.csv": SYNONYMS,
        "nace_flows.csv": NACE_FLOWS,
    }.items():
        (root / "knowledge" / name).write_text(text, encoding="utf-8")
    return Knowledge.load(root)


def rec(rid: int, kind: str, title: str, description: str = "", **fields) -> ListingRecord:
    return ListingRecord(
        id=rid,
        kind=kind,
        title=title,
        description=description,
        lat=60.0,
        lon=24.0,
        max_km=100.0,
        **fields,
    )


def profile(kb: Knowledge, record: ListingRecord) -> dict[str, float]:
    model = kb.inference
    row = model.profiles([record]).material
    return {model.materials[i].slug: float(v) for i, v in zip(row.indices, row.data, strict=True)}


def use_profile(kb: Knowledge, record: ListingRecord) -> dict[str, float]:
    model = kb.inference
    row = model.profiles([record]).use
    return {model.uses[i].slug: float(v) for i, v in zip(row.indices, row.data, strict=True)}


# --- text handling ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ashes", "ash"),
        ("heating", "heat"),
        ("dried", "dry"),
        ("sulphate", "sulfates"),
        ("fibres", "fiber"),
        ("tyres", "tires"),
        ("pelletised", "pelletizing"),
        ("gasification", "gasified"),
        ("carbonation", "carbonate"),
        ("neutralisation", "neutralize"),
        ("digestion", "digest"),
        ("gaseous", "gas"),
        ("mined", "mine"),
        ("liming", "lime"),
        ("oxidant", "oxidising"),
        ("oxidizer", "oxidising"),
        ("bedding", "bed"),
    ],
)
def test_stemmer_joins_word_forms(a, b):
    assert stem(a) == stem(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("glass", "gas"), ("cement", "concrete"), ("co2", "co"), ("oxide", "oxidant")],
)
def test_stemmer_keeps_words_apart(a, b):
    assert stem(a) != stem(b)


def test_tokens_drop_stop_words_and_fold_accents():
    assert tokens("The CO₂ from our Brauerei’s tanks, approx. 500 t/yr") == [
        "co2",
        "brauerei",
        "tank",
        "500",
    ]


# --- inference ---------------------------------------------------------------------------


def test_profiles_are_distributions_scaled_by_confidence(tiny):
    records = [
        rec(1, OFFER, "Coal fly ash", "Dry fly ash from the boiler"),
        rec(2, WANT, "Zzqv kkjj"),
        rec(3, OFFER, "Fly ash and bottom ash"),
    ]
    profiles = tiny.inference.profiles(records)
    sums = np.asarray(profiles.material.sum(axis=1)).ravel()
    assert sums == pytest.approx([1.0, 0.0, 1.0])  # a named material in the title is sure
    assert profile(tiny, records[0]) == {"coal-fly-ash": pytest.approx(1.0)}
    assert set(profile(tiny, records[2])) == {"coal-fly-ash", "bottom-ash"}
    # A partial, one-word resemblance is much less sure than a named material.
    vague = profile(tiny, rec(4, OFFER, "Fuel ash"))
    assert list(vague) == ["coal-fly-ash"] and 0 < vague["coal-fly-ash"] < 0.5


def test_stated_code_and_category_are_evidence(tiny):
    coded = rec(1, OFFER, "Residue from our boiler", ewc_code="100105")
    assert max(profile(tiny, coded), key=profile(tiny, coded).get) == "fgd-gypsum"
    by_category = rec(2, OFFER, "Residue", category="wood")
    assert profile(tiny, by_category) == {"wood-chips": pytest.approx(CATEGORY_STATED)}
    # A "not otherwise specified" entry says less than a specific one.
    nos = sum(profile(tiny, rec(3, OFFER, "Residue", ewc_code="020799")).values())
    exact = sum(profile(tiny, rec(4, OFFER, "Residue", ewc_code="100105")).values())
    assert 0 < nos < exact


def test_synonyms_reach_the_material(tiny):
    draff = rec(1, OFFER, "Draff from our distillery")
    found = profile(tiny, draff)
    assert list(found) == ["spent-grain"] and found["spent-grain"] > 0.5
    assert tiny.inference.synonyms_of("draff") == ["spent grain"]
    # The TF-IDF text is not expanded (measured to add noise, docs/matching.md).
    assert listing_text(draff, knowledge=tiny) == "Draff from our distillery"


def test_sector_is_a_prior(tiny):
    vague = rec(1, OFFER, "By-product of our production", sector="11.05")
    assert profile(tiny, vague) == {"spent-grain": pytest.approx(NACE_CONFIDENCE)}
    assert profile(tiny, replace(vague, sector="")) == {}
    # Words outweigh the prior.
    chips = rec(2, OFFER, "Wood chips", sector="11.05")
    assert max(profile(tiny, chips), key=profile(tiny, chips).get) == "wood-chips"


def test_want_purpose_clause_counts_less_for_material(tiny):
    want = rec(1, WANT, "Gaseous fuel for drying ovens in plasterboard production")
    assert "fgd-gypsum" not in profile(tiny, want)
    assert list(use_profile(tiny, want)) == ["plasterboard"]


def test_use_profile_of_a_want(tiny):
    want = rec(1, WANT, "Heat for 5,000 homes", "Heat for our town's district heating network")
    assert max(use_profile(tiny, want), key=use_profile(tiny, want).get) == "district-heating"


def test_only_wants_get_a_use_profile_and_a_batch_reads_each_as_alone(tiny):
    # Pathways run from an offer's materials to a want's uses: an offer's uses are never
    # read, so they are not inferred, and leaving them out changes no want.
    text = ("Heat for 5,000 homes", "Heat for our town's district heating network")
    offer, want = rec(1, OFFER, *text, sector="35.30"), rec(2, WANT, *text, sector="35.30")
    assert use_profile(tiny, offer) == {}
    assert use_profile(tiny, want)
    batch = tiny.inference.profiles([offer, want, rec(3, OFFER, "Fly ash")])
    alone = tiny.inference.profiles([want])
    assert (batch.use[1] != alone.use).nnz == 0
    assert (batch.material[1] != alone.material).nnz == 0


# --- components ----------------------------------------------------------------------


def test_taxonomy_component(tiny):
    offer = rec(1, OFFER, "Coal fly ash")
    same = score_pair(
        offer, rec(2, WANT, "Fly ash wanted"), text_sim=0.1, distance_km=1, knowledge=tiny
    )
    sibling = score_pair(
        offer, rec(3, WANT, "Bottom ash wanted"), text_sim=0.1, distance_km=1, knowledge=tiny
    )
    assert same.components["taxonomy"] == pytest.approx(1.0)
    assert sibling.components["taxonomy"] == pytest.approx(0.6)
    assert same.explanation.startswith("same material: coal fly ash")
    assert sibling.explanation.startswith("related materials: coal fly ash and bottom ash")


def test_pathway_component_and_its_explanation(tiny):
    offer = rec(1, OFFER, "Coal fly ash", "From our power station")
    want = rec(2, WANT, "Supplementary cementitious material for blended cement")
    match = score_pair(offer, want, text_sim=0.0, distance_km=12.4, knowledge=tiny)
    assert match.components["pathway"] == pytest.approx(1.0)
    assert match.components["taxonomy"] == 0.0
    assert match.explanation == (
        "coal fly ash → clinker substitute (EU cement BREF, 2013), 12 km, quantity unknown"
    )
    # Without a documented pathway, a use accepting the category still counts (half).
    bottom = rec(3, OFFER, "Bottom ash")
    accepted = score_pair(bottom, want, text_sim=0.0, distance_km=1, knowledge=tiny)
    assert accepted.components["pathway"] == pytest.approx(0.5)


def test_material_is_a_noisy_or_never_below_text():
    assert material_score(0.4) == pytest.approx(0.4)
    assert material_score(0.0, taxonomy=1.0) == pytest.approx(TAXONOMY_WEIGHT)
    assert material_score(0.3, pathway=1.0) > material_score(0.3, pathway=0.5) > 0.3
    values = material_score(np.array([0.0, 0.5, 1.0]), np.array([1.0, 1.0, 0.0]), 1.0, 1.0)
    assert np.all((values >= np.array([0.0, 0.5, 1.0])) & (values <= 1.0))


def test_pathway_weighs_less_for_a_want_that_names_its_material(tiny):
    offer = rec(1, OFFER, "Coal fly ash")
    purpose_only = rec(2, WANT, "Supplementary cementitious material for blended cement")
    named = rec(3, WANT, "Bottom ash for blended cement")
    wants = ListingArrays.from_records([purpose_only, named], knowledge=tiny)
    confidence = wants.material_confidence
    assert confidence == pytest.approx(np.asarray(wants.material.sum(axis=1)).ravel())
    assert confidence[0] == 0.0 and confidence[1] > 0.5
    assert pathway_weight(confidence[0]) > PATHWAY_WEIGHT > pathway_weight(confidence[1])
    for want, sure in zip((purpose_only, named), confidence, strict=True):
        match = score_pair(offer, want, text_sim=0.0, distance_km=1, knowledge=tiny)
        parts = match.components
        assert parts["pathway"] == pytest.approx(1.0)  # fly ash → clinker substitute
        assert parts["material"] == pytest.approx(
            material_score(0.0, parts["taxonomy"], 1.0, pathway_weight=pathway_weight(sure))
        )
    # The same evidence counts for more when the purpose is all a want says.
    assert material_score(0.1, 0.2, 0.8, pathway_weight=pathway_weight(0.0)) > material_score(
        0.1, 0.2, 0.8, pathway_weight=pathway_weight(1.0)
    )
    assert pathway_weight(0.5) == pytest.approx(PATHWAY_WEIGHT)


def test_ablation_switches_components_off(tiny):
    offer = rec(1, OFFER, "Coal fly ash")
    want = rec(2, WANT, "Supplementary cementitious material for blended cement")
    text_only = tiny.configured(components="text")
    assert score_pair(offer, want, text_sim=0.0, distance_km=1, knowledge=text_only) is None
    match = score_pair(offer, want, text_sim=0.2, distance_km=1, knowledge=text_only)
    assert match.components["pathway"] == 0.0 and match.components["taxonomy"] == 0.0
    assert match.components["material"] == pytest.approx(0.2)
    assert set(match.components) == set(COMPONENTS)
    no_paths = tiny.configured(components="text,taxonomy")
    assert score_pair(offer, want, text_sim=0.0, distance_km=1, knowledge=no_paths) is None


def test_parse_components():
    assert parse_components("text, taxonomy") == {"text", "taxonomy"}
    assert parse_components("") == {"text", "taxonomy", "pathway"}
    with pytest.raises(ValueError, match="unknown"):
        Knowledge.load().configured(components="text,magic")


@pytest.mark.parametrize(("old", "new"), [("pathways", "pathway"), ("embeddings", "semantic")])
def test_a_component_named_the_old_way_is_refused_naming_the_accepted_ones(old, new):
    with pytest.raises(ValueError) as refused:
        parse_components(f"text,{old}")
    message = str(refused.value)
    assert "text, taxonomy, pathway, semantic" in message
    assert f"{old!r} is now {new!r}" in message


# --- blocks ------------------------------------------------------------------------------


def test_material_blocks_shape_and_catch_all(tiny):
    records = [
        rec(1, OFFER, "Coal fly ash"),
        rec(2, WANT, "Residual heat wanted", "Surplus heat for our district heating network"),
        rec(3, OFFER, "Zzqv kkjj"),
        rec(4, WANT, "Something for our district heating network"),
    ]
    blocks = material_blocks(records, tiny)
    assert sp.isspmatrix_csr(blocks) and blocks.shape == (4, len(tiny.inference.blocks))
    rows = blocks.toarray()
    names = tiny.inference.blocks
    # Blocks are material categories: fly ash is in the ash block only, not in slag's.
    assert {names[b] for b in np.flatnonzero(rows[0])} == {"ash"}
    assert "heat" in {names[b] for b in np.flatnonzero(rows[1])}
    assert not rows[1].all()
    assert rows[2].all()  # nothing inferable: meets everything
    assert rows[3].all()  # only the purpose is known, not the material: meets everything


def test_pairs_in_disjoint_blocks_are_rejected(tiny):
    ash = rec(1, OFFER, "Coal fly ash")
    heat = rec(2, WANT, "Residual heat wanted", "Surplus heat for our district heating network")
    assert score_pair(ash, heat, text_sim=0.9, distance_km=1, knowledge=tiny) is None
    unblocked = tiny.configured(components="text,taxonomy,pathway", blocking=False)
    assert score_pair(ash, heat, text_sim=0.9, distance_km=1, knowledge=unblocked) is not None
    assert material_blocks([ash, heat], unblocked).shape == (2, 1)


def test_index_equals_brute_force_with_knowledge(tiny, naive, same_matches):
    records = [
        rec(1, OFFER, "Coal fly ash", "dry, from a power station"),
        rec(2, OFFER, "Draff", "wet spent grain from our brewery"),
        rec(3, OFFER, "Surplus heat", "low-grade heat at 40 °C"),
        rec(4, OFFER, "Wood chips and bark"),
        rec(5, WANT, "Blended cement", "supplementary cementitious material"),
        rec(6, WANT, "Cattle feed", "protein-rich livestock feed"),
        rec(7, WANT, "Heat", "for our district heating network"),
        rec(8, WANT, "Fuel for our biomass boiler"),
    ]
    index = MatchIndex.build(records, tiny)
    for record in records:
        same_matches(index.query(record, k=5), naive(index, record, 5))
    assert index.query(records[4], k=1)[0].offer_id == 1
    assert index.query(records[5], k=1)[0].offer_id == 2
    assert index.query(records[6], k=1)[0].offer_id == 3
    assert index.query(records[7], k=1)[0].offer_id == 4


# --- arrays --------------------------------------------------------------------------


def test_take_carries_profiles_and_rowdot_broadcasts(tiny):
    records = [rec(i, OFFER, t) for i, t in enumerate(["Fly ash", "Draff", "Sawdust"], 1)]
    arrays = ListingArrays.from_records(records, knowledge=tiny)
    taken = arrays.take(np.array([2, 0]))
    assert taken.ids.tolist() == [3, 1]
    assert (taken.material != arrays.material[[2, 0]]).nnz == 0
    assert taken.block_matrix.shape == (2, arrays.block_matrix.shape[1])
    one = arrays.take([0])
    squares = np.asarray(arrays.material.multiply(arrays.material).sum(axis=1)).ravel()
    assert rowdot(one.material, arrays.material).tolist() == pytest.approx([squares[0], 0, 0])
    assert rowdot(arrays.material, arrays.material).tolist() == pytest.approx(squares.tolist())


# --- semantic backend (plumbing, with a fake embedder) ----------------------------------


class FakeModel:
    """Deterministic 16-d vectors from word hashes: texts sharing words are close."""

    calls = 0

    def __call__(self, texts):
        FakeModel.calls += 1
        out = np.zeros((len(texts), 16), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % 16] += 1.0
        return out


def test_semantic_component_with_an_injected_embedder(tiny):
    embedder = CachedEmbedder("fake", FakeModel())
    kb = tiny.configured(embedder=embedder)
    assert kb.config.on("semantic")
    offer = rec(1, OFFER, "alpha beta gamma")
    close = score_pair(
        offer, rec(2, WANT, "alpha beta gamma"), text_sim=0.1, distance_km=1, knowledge=kb
    )
    assert close.components["semantic"] == pytest.approx(1.0)
    far = score_pair(
        offer, rec(3, WANT, "delta epsilon"), text_sim=0.1, distance_km=1, knowledge=kb
    )
    assert far is None or far.components["semantic"] < close.components["semantic"]
    # Off by default, and cached per text.
    plain = score_pair(
        offer, rec(2, WANT, "alpha beta gamma"), text_sim=0.1, distance_km=1, knowledge=tiny
    )
    assert plain.components["semantic"] == 0.0
    before = FakeModel.calls
    embedder.encode(["alpha beta gamma"])
    assert FakeModel.calls == before


def test_the_semantic_component_needs_an_embedder(tiny):
    with pytest.raises(ValueError, match="embedder"):
        tiny.configured(components="text,semantic")


def test_configured_variants_are_cached_and_share_the_model(tiny):
    text_only = tiny.configured(components="text")
    assert text_only is tiny.configured(components="text")
    assert text_only.inference is tiny.inference
    assert tiny.configured(components="text,taxonomy,pathway") is tiny
    assert not text_only.config.infers and tiny.config.infers


@pytest.mark.parametrize(
    ("source", "year", "short"),
    [
        (
            "Best Available Techniques (BAT) Reference Document for the Production of "
            "Cement, Lime and Magnesium Oxide (European Commission JRC)",
            "2013",
            "BREF Production of Cement, Lime and Magnesium…, 2013",
        ),
        ("EN 197-1:2011 Cement - Part 1: Composition (CEN)", "2011", "EN 197-1, 2011"),
        ("EU cement BREF", "2013", "EU cement BREF, 2013"),
        ("", "", ""),
    ],
)
def test_short_source(source, year, short):
    assert short_source(source, year) == short


# --- reading wants with the project's knowledge base ------------------------------------


def test_a_qualifier_alone_does_not_expand_its_synonym_group(kb):
    # "clean" shares a group with "inert", and "dry" with "kiln-dried": neither makes a
    # want for rinse water a nitrogen-inerting use, nor dry sand a drying use.
    rinse = use_profile(kb, rec(1, WANT, "Clean water for rinsing crates"))
    assert "nitrogen-inerting" not in rinse
    sand = use_profile(kb, rec(2, WANT, "Dry sand for engineering fill"))
    assert "drying" not in sand
    assert max(sand, key=sand.get) == "structural-fill"


def test_an_oxidising_chemical_is_read_as_an_oxidant_for_disinfection(kb):
    want = rec(1, WANT, "Oxidising agent", "Oxidising solution to dose our cooling circuits")
    uses = use_profile(kb, want)
    assert max(uses, key=uses.get) == "water-disinfection"
    model = kb.inference
    row = model.profiles([want]).material
    materials = {model.materials[i].slug for i in row.indices}
    assert "surplus-hypochlorite" in materials


def test_mined_out_voids_point_to_mine_backfill(kb):
    uses = use_profile(kb, rec(1, WANT, "Backfill", "Backfill for mined-out stopes"))
    assert "mine-backfill" in uses


def test_a_word_inside_a_longer_phrase_names_only_that_phrase(kb):
    # "slurry" alone is manure, and "scrap" alone steel scrap; inside "yeast slurry" and
    # "plastic scrap" they are neither.
    model = kb.inference

    def materials(title):
        row = model.profiles([rec(1, OFFER, title)]).material
        pairs = zip(row.indices, row.data, strict=True)
        return {model.materials[i].slug: float(v) for i, v in pairs}

    assert "manure" in materials("Pig slurry")
    yeast = materials("Surplus yeast slurry")
    assert yeast.get("manure", 0.0) < 0.5 * yeast["brewers-yeast"]
    assert "steel-scrap" not in materials("Plastic scrap from injection moulding")


def test_scattered_words_earn_no_phrase_bonus_for_their_qualifiers():
    from matching.engine.infer import Concept, ConceptMatcher, weighted_tokens

    concepts = [
        Concept("hydrogen", "use", "hydrogen use", ("hydrogen feedstock",), "hydrogen"),
        Concept("gasify", "use", "gasification", ("gasification",), "gasification"),
    ]
    matcher = ConceptMatcher(concepts, [])
    text = weighted_tokens("Feedstock to be gasified, hydrogen as the product")
    scores = matcher.scores([text]).toarray()[0]
    # "feedstock ... hydrogen" covers the two-word term in any order, but no more than
    # the one word "hydrogen" would: the named process decides.
    assert scores[1] >= scores[0] > 0


def test_a_longer_phrase_matches_with_one_word_left_out():
    from matching.engine.infer import GAP_WEIGHT, Concept, ConceptMatcher, weighted_tokens

    concepts = [
        Concept("effluent", "material", "strong effluent", ("high strength effluent",), "cod"),
        Concept("other", "material", "bottom ash", ("bottom ash",), "bottom ash"),
    ]
    matcher = ConceptMatcher(concepts, [])
    whole = matcher.hits([weighted_tokens("High strength effluent")]).toarray()[0, 0]
    gapped = matcher.hits([weighted_tokens("High strength dairy effluent")]).toarray()[0, 0]
    assert gapped == pytest.approx(whole * GAP_WEIGHT)
    # Two words left out are too many.
    assert matcher.hits([weighted_tokens("High strength cheese dairy effluent")]).nnz == 0


def test_an_index_pickled_by_an_older_engine_is_refused(tiny):
    index = MatchIndex.build([rec(1, OFFER, "Coal fly ash"), rec(2, WANT, "Fly ash")], tiny)
    index.attach(tiny)
    # An index pickled before the confidence column existed unpickles without it.
    object.__delattr__(index.side(OFFER).arrays, "material_confidence")
    with pytest.raises(ValueError, match="older engine"):
        index.attach(tiny)


def test_an_index_fitted_with_other_knowledge_is_refused(tiny):
    index = MatchIndex.build([rec(1, OFFER, "Coal fly ash"), rec(2, WANT, "Fly ash")], tiny)
    copy = pickle.loads(pickle.dumps(index))
    copy.attach(tiny)
    # The same data less a pathway: a new listing's rows would not match the stored ones.
    other = replace(tiny, pathways=tiny.pathways[1:], _shared={})
    with pytest.raises(ValueError, match="another knowledge base"):
        copy.attach(other)


def test_bread_wanted_for_the_mash_reaches_brewing(kb):
    # Breweries replace part of the malt with surplus bread: a want phrased by its mash
    # is a brewing use, and bakery surplus has a documented pathway to it.
    want = rec(1, WANT, "Stale loaves", "Stale loaves as a starch adjunct in our grain bill")
    uses = use_profile(kb, want)
    assert max(uses, key=uses.get) == "brewing-adjunct"
    model = kb.inference
    m, u = model.material_index["bakery-waste"], model.use_index["brewing-adjunct"]
    assert model.pathway_dense[m, u] >= 0.85


def test_feed_alone_is_no_millfeed(kb):
    # "feed" names what a kiln, a smelter or an animal is given, not cereal bran.
    for title in ("Iron-bearing kiln feed", "Copper-bearing smelter feed", "Liquid feed"):
        assert "cereal-bran" not in profile(kb, rec(1, WANT, title))
    assert "cereal-bran" in profile(kb, rec(2, OFFER, "Millfeed and wheat middlings"))


def test_a_glasshouse_names_the_grower_not_the_heat(kb):
    # Growers buy both heat and CO2: where the glasshouse is only the customer, what
    # is asked for decides the use.
    co2 = use_profile(kb, rec(1, WANT, "CO2", "CO2 dosing of cucumbers in our tomato glasshouse"))
    assert max(co2, key=co2.get) == "greenhouse-co2-enrichment"
    assert co2.get("greenhouse-heating", 0.0) < 0.5 * co2["greenhouse-co2-enrichment"]
    heat = use_profile(kb, rec(2, WANT, "Warm water", "Warm water to heat our tomato glasshouse"))
    assert max(heat, key=heat.get) == "greenhouse-heating"


def test_a_documented_case_counts_almost_as_routine_practice():
    from matching.engine.infer import evidence_weight

    # Exchanges practised at named sites are proven partners: they stand close to
    # standardised practice, clearly above pilots and ideas.
    established = evidence_weight("established")
    documented = evidence_weight("documented-case")
    emerging = evidence_weight("emerging")
    assert established >= documented >= 0.9 * established
    assert documented - emerging >= 0.2


def test_soft_counts_equal_the_vectorizers_own(kb):
    # The integer-id counting must give exactly CountVectorizer.transform's matrix,
    # including pairs across a "|" and words dropped for a low weight.
    matcher = kb.inference.material_matcher
    texts = [
        [("fly", 1.5), ("ash", 1.5), ("|", 0.0), ("coal", 1.0), ("fly", 1.0), ("ash", 1.0)],
        [("spent", 1.0), ("grain", 1.0), ("brew", 0.15), ("grain", 1.0), ("spent", 1.0)],
        [("unheardofword", 1.0), ("wood", 1.0), ("chip", 1.0), ("wood", 1.0), ("chip", 1.0)],
        [],
        [("|", 0.0), ("|", 0.0)],
        [("gypsum", 0.5), ("plasterboard", 0.49), ("offcut", 0.5)],
    ]
    ours = matcher._soft_counts(texts)
    theirs = super(type(matcher.vectorizer), matcher.vectorizer).transform(
        [matcher._soft_tokens([t for t, w in toks if w >= 0.5]) for toks in texts]
    )
    assert ours.shape == theirs.shape
    assert (abs(ours - theirs)).nnz == 0
    assert ours[0].sum() > 0 and ours[2].sum() > 0  # the texts did hit the vocabulary


def _occurrences_by_brute_force(index, toks):
    """Every span of up to ``max_len`` words, in order or with one inner word left out."""
    from collections import Counter

    from matching.engine.infer import GAP_WEIGHT

    words, weights = [t for t, _ in toks], [w for _, w in toks]
    n, found = len(words), Counter()
    for i in range(n):
        for j in range(i, min(n, i + index.max_len)):
            key = " ".join(words[i : j + 1])
            if key in index.phrases:
                found[(i, j + 1, key, min(weights[i : j + 1]))] += 1
        for skip in range(i + 1, n - 1):
            if words[skip] == "|":
                continue
            for j in range(skip + 1, min(n, i + index.max_len + 1)):
                kept = list(range(i, skip)) + list(range(skip + 1, j + 1))
                key = " ".join(words[p] for p in kept)
                if key in index.phrases:
                    weight = min(weights[p] for p in kept) * GAP_WEIGHT
                    found[(i, j + 1, key, weight)] += 1
    return found


def test_phrase_occurrences_equal_a_brute_force_scan(kb):
    import random
    from collections import Counter

    index = kb.inference.material_matcher._joint
    # Words of real phrases (so that phrases, prefixes and gaps occur), a separator and
    # words no phrase holds.
    vocabulary = sorted({w for key in index.phrases for w in key.split(" ")})
    rng = random.Random(5)
    common = rng.sample(vocabulary, 60) + ["|", "zzz", "qqq"]
    phrases = [key.split(" ") for key in index.phrases if " " in key]
    hits = 0
    for _ in range(400):
        words: list[str] = []
        while len(words) < 30:
            words += rng.choice(phrases) if rng.random() < 0.4 else [rng.choice(common)]
        toks = [(w, rng.choice((1.5, 1.0, 0.5, 0.15))) for w in words]
        ours = Counter(index.occurrences(toks))
        assert ours == _occurrences_by_brute_force(index, toks)
        hits += len(ours)
    assert hits > 1000  # the sequences did hold phrases, gapped ones too


# --- issue 21: wants worded by their use alone -------------------------------------------


@pytest.mark.parametrize(
    ("offer", "want", "use"),
    [
        ("Fluorosilicic acid", "Fluoride chemical for drinking water fluoridation",
         "water-fluoridation"),
        ("Sugarcane bagasse", "Non-wood fibre for our pulp mill", "non-wood-pulping"),
        ("Spent methanol", "Carbon source for denitrification", "denitrification-carbon-source"),
        ("Mixed municipal waste", "Fuel for our waste-fired boiler", "efw-fuel"),
        ("Dried sewage sludge", "Fuel for co-firing in our coal boiler", "coal-cofiring"),
        ("Maize stover", "Feedstock for anaerobic digestion", "biogas-feedstock"),
    ],
)
def test_a_want_worded_by_its_use_links_to_the_materials_serving_it(kb, offer, want, use):
    offer_rec, want_rec = rec(1, OFFER, offer), rec(2, WANT, want)
    assert max(use_profile(kb, want_rec), key=use_profile(kb, want_rec).get) == use
    model = kb.inference
    profiles = model.profiles([offer_rec, want_rec])
    link = float((profiles.material[0] @ model.pathway).multiply(profiles.use[1]).sum())
    assert link >= 0.5
    assert score_pair(offer_rec, want_rec, text_sim=0.0, distance_km=1, knowledge=kb) is not None


def test_a_use_phrase_in_a_want_counts_less_as_its_material(kb):
    """"Alternative fuel" names a use (kiln fuel) as well as SRF: in a want it is mostly
    the purpose, in an offer the material."""
    as_offer = profile(kb, rec(1, OFFER, "Alternative fuel"))
    as_want = profile(kb, rec(2, WANT, "Alternative fuel"))
    assert as_want.get("srf", 0.0) < as_offer["srf"]
    # A phrase that is no use's term is read the same on both sides.
    assert profile(kb, rec(3, WANT, "Coal fly ash")) == profile(kb, rec(4, OFFER, "Coal fly ash"))
