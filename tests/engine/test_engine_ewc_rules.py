"""The List of Waste's rules on top of the EWC suggester (engine only, no Django): mirror
pairs and their deciding question, hazard signals with negation, the source deciding the
chapter, packaging, no code for energy, water and gas flows, and "why" on every suggestion."""

from __future__ import annotations

import numpy as np
import pytest

import matching.engine.suggest as suggest_module
from matching.engine import EwcSuggester, evaluate
from matching.engine.suggest import is_packaging, mirror_table, not_a_waste


@pytest.fixture(scope="module")
def suggester() -> EwcSuggester:
    return EwcSuggester.fit()


def _codes(suggester, text, k=3, nace=""):
    return [s.code for s in suggester.suggest(text, k=k, nace=nace)]


# --- the mirror table, derived from the descriptions -----------------------------------


def test_non_hazardous_entry_names_its_starred_counterpart(suggester):
    mirrors = suggester.rules.mirrors

    assert mirrors["170504"] == ("170503",)
    assert "170504" in mirrors["170503"]


def test_a_range_reference_pairs_every_starred_entry_in_it(suggester):
    # 16 02 14: "discarded equipment other than those mentioned in 16 02 09 to 16 02 13".
    assert set(suggester.rules.mirrors["160214"]) >= {"160209", "160211", "160213"}


def test_an_unnamed_starred_entry_defined_by_hazardous_substances_pairs_its_sub_chapter(
    suggester,
):
    # 15 01 10* "packaging containing residues of or contaminated by hazardous substances".
    assert set(suggester.rules.mirrors["150110"]) >= {"150101", "150102", "150104"}
    assert "150110" in suggester.rules.mirrors["150102"]


def test_absolute_entries_are_not_in_the_mirror_table(suggester):
    assert "100102" not in suggester.rules.mirrors  # coal fly ash
    assert "130205" not in suggester.rules.mirrors  # mineral engine oil


def test_mirror_table_ignores_references_to_non_hazardous_entries(suggester):
    table = mirror_table(suggester.knowledge.ewc)

    for code, others in table.items():
        sides = {suggester.knowledge.ewc[code].hazardous} | {
            suggester.knowledge.ewc[other].hazardous for other in others
        }
        assert sides == {True, False}, code


# --- mirror pairs: shown together, the question asked ---------------------------------


def test_a_mirror_pair_is_shown_together_with_the_deciding_question(suggester):
    advice = suggester.advise("Excavated soil and stones from a building site", 3)
    first, second = advice.suggestions[:2]

    assert {first.code, second.code} == {"170503", "170504"}
    assert first.mirror_partner == second.code and second.mirror_partner == first.code
    assert advice.mirror_question.startswith("Does it contain dangerous substances, e.g.")
    assert "17 05 03*" in advice.mirror_question and "17 05 04" in advice.mirror_question
    assert first.mirror_question == advice.mirror_question


def test_the_question_gives_examples_fitting_the_entry(suggester):
    soil = suggester.rules.question("170503", "170504")
    packaging = suggester.rules.question("150110", "150102")

    assert "tar" in soil and "asbestos" in soil
    assert "residues of hazardous contents" in packaging


def test_an_absolute_entry_asks_no_question(suggester):
    advice = suggester.advise("Coal fly ash from the power station", 3)

    assert advice.mirror_question == ""
    assert advice.suggestions[0].mirror_partner == ""


# --- hazard signals decide the order --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "starred"),
    [
        ("Excavated soil from a former petrol station, smells of diesel", "170503"),
        ("Railway ballast from track renewal, oil-stained", "170507"),
        ("Demolition timber painted with red lead", "170204"),
        ("Concrete and brick rubble with PCB sealant in the joints", "170106"),
        ("Sawdust from planing CCA-treated timber", "030104"),
        ("Spent blasting grit from stripping a bridge coated in lead paint", "120116"),
        ("Empty steel drums that held solvent, not cleaned", "150110"),
        ("Mixed construction and demolition waste soaked with hydraulic oil", "170903"),
        ("Scrap steel from old transformers, contaminated with PCB oil", "170409"),
    ],
)
def test_a_named_hazardous_constituent_puts_the_starred_entry_first(suggester, text, starred):
    first = suggester.suggest(text, 3)[0]

    assert first.code == starred
    assert first.hazardous
    assert first.why.hazard_signal.startswith("hazardous constituent named")


def test_a_named_constituent_brings_the_hazardous_sibling_of_an_absolute_entry_first(suggester):
    # 17 01 01 concrete has no mirror; 17 01 06* (concrete, bricks ... containing hazardous
    # substances) is the entry the firm must weigh against it.
    advice = suggester.advise("Concrete from demolition with PCB in the joint sealant", 3)

    assert [s.code for s in advice.suggestions[:2]] == ["170106", "170101"]
    assert "17 01 06*" in advice.mirror_question


def test_an_unrelated_hazardous_entry_of_the_sub_chapter_is_no_sibling(suggester):
    # Mill scale (10 02 10) is not a gas-treatment sludge (10 02 13*).
    assert not suggester._hazardous_sibling("100210", "100213")
    assert suggester._hazardous_sibling("170101", "170106")


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Soil and stones from foundations, tested below limits", "170504"),
        ("Track ballast, tested clean, no dangerous substances", "170508"),
        ("Spent garnet abrasive from blast cleaning, non-hazardous per WAC test", "120117"),
        ("Cotton wiping cloths from the print room, no solvents", "150203"),
    ],
)
def test_a_stated_test_result_puts_the_non_hazardous_entry_first(suggester, text, plain):
    first = suggester.suggest(text, 3)[0]

    assert first.code == plain
    assert not first.hazardous


MIRROR_MATERIALS = [
    "Excavated soil and stones", "Track ballast", "Demolition wood", "Window glass from strip-out",
    "Insulation from the roof", "Mixed construction and demolition waste", "Scrap metal",
    "Spent blasting grit", "Empty plastic drums", "Sawdust and shavings",
]
CONSTITUENTS = [
    "lead", "cadmium", "chromium VI", "mercury", "arsenic", "PCB", "asbestos", "mineral oil",
    "solvents", "biocides", "isocyanates", "coal tar", "cyanide", "PAH",
]


@pytest.mark.parametrize("material", MIRROR_MATERIALS)
def test_never_the_non_hazardous_mirror_first_when_a_constituent_is_named(suggester, material):
    for constituent in CONSTITUENTS:
        advice = suggester.advise(f"{material}, contaminated with {constituent}", 3)
        first = advice.suggestions[0]

        assert advice.hazard.named, constituent
        assert first.hazardous or first.code not in suggester.rules.mirrors, (
            material, constituent, first.code
        )


@pytest.mark.parametrize(
    "text",
    [
        "Mineral wool insulation, asbestos-free",
        "Crushed concrete, no PCB, no asbestos",
        "Sheet glass free of lead",
        "Timber not treated with creosote",
        "Soil without any oil contamination",
        "Lead: not detected",
    ],
)
def test_a_negated_constituent_is_not_a_hazard_signal(suggester, text):
    signal = suggester.rules.hazard(text)

    assert signal.named == ()
    assert signal.negated
    assert signal.verdict == "clear"


def test_chatter_is_not_a_hazard_signal(suggester):
    for text in ("We can pitch in with transport", "Happy to take the lead on logistics",
                 "Short lead times", "We don't think it's hazardous"):
        assert suggester.rules.hazard(text).named == (), text


def test_negation_in_one_clause_does_not_clear_another(suggester):
    signal = suggester.rules.hazard("Soil with no asbestos, but contaminated with diesel")

    assert signal.verdict == "hazardous"
    assert any("diesel" in item for item in signal.named)


def test_a_limit_exceeded_in_the_clause_keeps_the_constituent_named(suggester):
    signal = suggester.rules.hazard("Soil with lead above limits, other metals below limits")

    assert signal.verdict == "hazardous"
    assert signal.named == ("lead (heavy metal)",)


@pytest.mark.parametrize(
    "text",
    ["Soil, below hazardous thresholds", "Spoil, passes inert WAC", "Rubble classed as inert",
     "Ballast, non-haz", "Tested non-hazardous according to the lab"],
)
def test_ways_of_stating_a_clean_test_result(suggester, text):
    assert suggester.rules.hazard(text).verdict == "clear"


def test_non_hazardous_is_not_read_as_hazardous(suggester):
    signal = suggester.rules.hazard("Classified as non-hazardous after analysis")

    assert signal.named == () and signal.verdict == "clear"


def test_harmless_lookalikes_are_not_constituents(suggester):
    for text in ("Citric acid whey from the dairy", "Lead flashing from roof repairs",
                 "Used cooking oil from the canteen", "Alkaline batteries from the offices"):
        assert suggester.rules.hazard(text).named == (), text


def test_without_a_signal_the_model_keeps_its_order_but_the_pair_stays_together(suggester):
    advice = suggester.advise("Excavated soil and stones from a building site", 3)

    assert advice.hazard.verdict == ""
    assert advice.suggestions[0].code == _codes(suggester, "Excavated soil and stones "
                                                "from a building site", k=1)[0]


# --- the source decides the chapter ---------------------------------------------------


@pytest.mark.parametrize(
    ("nace", "code"),
    [("10.51", "020502"), ("11.05", "020705"), ("17.12", "030311")],
)
def test_the_sector_decides_the_chapter_of_a_generic_text(suggester, nace, code):
    text = "Sludge from the on-site effluent treatment"

    first = suggester.suggest(text, 1, nace=nace)[0]

    assert first.code == code
    assert first.why.chapter_rule.startswith(f"producing process: sector NACE {nace}")


def test_the_most_specific_nace_row_wins(suggester):
    source = suggester.rules.source("", "24.51")

    assert "1009" in source and "1010" not in source


def test_site_words_in_the_text_name_the_producer(suggester):
    source = suggester.rules.source("Rubble from the demolition of a warehouse")

    assert "17" in source
    assert "demolition" in source["17"]


def test_rule_bonus_follows_the_list_of_waste_order(suggester):
    codes = suggester.codes
    bonus = suggester._rule_bonus({"02": "food"}, packaging=False)
    value = dict(zip(codes, bonus, strict=True))

    assert value["020502"] == pytest.approx(suggest_module.SOURCE_BONUS)  # source chapter
    assert value["130205"] == 0.0  # chapters 13-15: no gain, no loss
    assert value["160306"] == pytest.approx(-suggest_module.CHAPTER16_PENALTY)  # 16 after
    assert value["020799"] == pytest.approx(  # a 99 entry only when nothing else fits
        suggest_module.SOURCE_BONUS - suggest_module.NOS_PENALTY
    )
    assert value["100102"] == 0.0


def test_without_a_source_chapter_16_is_not_penalised(suggester):
    bonus = dict(zip(suggester.codes, suggester._rule_bonus({}, packaging=False), strict=True))

    assert bonus["160306"] == 0.0
    assert bonus["100199"] == pytest.approx(-suggest_module.NOS_PENALTY)


def test_separately_collected_packaging_goes_to_15_01_whatever_the_source(suggester):
    for nace in ("10.51", "24.10", "43.11"):
        first = suggester.suggest("Empty plastic drums, rinsed", 1, nace=nace)[0]

        assert first.code.startswith("1501"), nace
        assert first.why.chapter_rule.startswith("separately collected packaging")


@pytest.mark.parametrize(
    ("text", "packaging"),
    [
        ("Empty IBCs", True),
        ("Broken wooden pallets", True),
        ("Plastic packaging film", True),
        ("Drums of waste oil", False),
        ("Rejected tablets from the packaging line", False),
        ("Mixed food and packaging waste from a hotel", False),
        ("Coal fly ash", False),
    ],
)
def test_packaging_is_told_from_its_contents(text, packaging):
    assert is_packaging(text) is packaging


# --- energy, water and gas flows get no code -------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Surplus heat from our kilns, 2 MW at 90 °C",
        "Process steam, 10 bar, weekends",
        "Hot water from the cooling circuit",
        "Biogenic CO2 from fermentation",
        "Carbon dioxide from the ammonia plant",
        "Treated effluent, 500 m3 a day",
        "Warm condensate return",
        "Flue gas CO2 from the lime kiln, 8% v/v",
        "Steam from our oil-fired boiler",
    ],
)
def test_energy_water_and_gas_flows_get_no_code_and_say_why(suggester, text):
    advice = suggester.advise(text, 3)

    assert advice.suggestions == ()
    assert "not a waste" in advice.not_waste
    assert advice.flow


@pytest.mark.parametrize(
    "text",
    [
        "Oily water from the interceptor",
        "Empty CO2 and nitrogen cylinders",
        "Sludge from the drinking water treatment works",
        "Heat-treated timber pallets, broken",
        "Water-based paint, leftover",
        "Biosludge from the refinery waste water treatment plant",
    ],
)
def test_wastes_that_mention_water_heat_or_co2_still_get_codes(suggester, text):
    assert not_a_waste(text) == ""
    assert suggester.suggest(text, 3)


# --- why ---------------------------------------------------------------------------------


def test_every_suggestion_says_why(suggester):
    for suggestion in suggester.suggest("Demolition timber painted with red lead", 3):
        assert suggestion.why.words
        assert all(
            word.split()[0] in "demolition timber painted with red lead"
            for word in suggestion.why.words
        )
        assert suggestion.why.chapter_rule
        assert "red lead" in suggestion.why.hazard_signal


def test_why_names_the_chapter_rule_for_chapter_16_and_99(suggester):
    rules = suggester.rules

    assert "only after the source chapter" in rules.chapter_rule("160306", {}, False)
    assert "only when no other entry fits" in rules.chapter_rule("020799", {}, False)


# --- evaluation counts what must not happen -------------------------------------------


def test_evaluate_counts_flows_without_a_code_and_wrong_mirror_sides(suggester):
    items = [
        {"text": "Process steam, 10 bar", "codes": []},
        {"text": "Excavated soil contaminated with diesel", "codes": ["170503"]},
        {"text": "Sludge from the on-site effluent treatment", "codes": ["020502"],
         "nace": "10.51"},
    ]

    result = evaluate(suggester, items)

    assert result == {"top1": 1.0, "top3": 1.0, "items": 3, "no_code": 1,
                      "wrong_mirror_side": 0}


def test_prepare_leaves_text_alone_without_the_jargon_module(monkeypatch):
    monkeypatch.setattr(suggest_module, "_jargon_module", lambda: None)

    assert suggest_module._prepare("PFA, 40 kt") == "PFA, 40 kt"


def test_rules_files_are_optional(tmp_path, suggester):
    rules = suggest_module.Rules(suggester.knowledge, tmp_path)

    assert rules.hazard("contaminated with lead").named == ()
    assert rules.source("demolition", "43.11") == {}
    assert rules.mirrors == suggester.rules.mirrors  # derived from the List of Waste itself
    assert np.all(np.isfinite(suggester.log_scores("fly ash")))


# --- the jargon module reconciled with the rules -------------------------------------------

URBAN_SLUDGE = "sludges from treatment of urban waste water"


def test_an_expansion_naming_another_producers_chapter_yields_to_the_source(suggester):
    refinery = suggester.rules.source("at our oil refinery")

    assert suggester._expansion_fits(URBAN_SLUDGE, source={}) is True
    assert suggester._expansion_fits(URBAN_SLUDGE, source=refinery) is False
    assert suggester._expansion_fits(URBAN_SLUDGE, source={"1908": "sewerage"}) is True


def test_waste_type_and_construction_expansions_fit_any_producer(suggester):
    farm = {"0201": "farm"}

    assert suggester._expansion_fits("lubricating oils", source=farm) is True
    assert suggester._expansion_fits("construction materials containing asbestos",
                                     source=farm) is True


def test_prepare_drops_an_expansion_the_source_reading_vetoes(suggester):
    text = "Dewatered WWTP sludge at our oil refinery"
    source = suggester.rules.source(text)

    assert URBAN_SLUDGE in suggest_module._prepare(text)
    vetoed = suggest_module._prepare(
        text, lambda expansion: suggester._expansion_fits(expansion, source=source)
    )
    assert URBAN_SLUDGE not in vetoed


def test_sludge_named_by_plant_jargon_at_a_refinery_stays_in_the_refinery_chapter(suggester):
    assert _codes(suggester, "Dewatered WWTP sludge at our oil refinery")[0].startswith("05")
    assert _codes(suggester, "WWTP sludge, dewatered")[0].startswith("1908")


@pytest.mark.parametrize(
    "text",
    [
        "Steel scrap contaminated with oil and PCB residues from scrapped transformers",
        "Scrap iron from transformers with PCB residues",
    ],
)
def test_pcb_on_scrap_metal_is_a_contaminant_not_pcb_equipment(suggester, text):
    assert _codes(suggester, text)[0] == "170409"


def test_pcb_in_capacitors_reads_as_pcb_equipment(suggester):
    assert _codes(suggester, "Capacitors containing PCBs from old switchgear")[0] == "160209"


def test_asbestos_cement_off_a_farm_building_is_construction_waste(suggester):
    codes = _codes(suggester, "Broken AC sheets from a farm shed roof", nace="01.41")

    assert codes[0] == "170605"


def test_house_clearance_reads_as_household_source(suggester):
    assert "20" in suggester.rules.source("Old fridges from a house clearance")
    assert _codes(suggester, "Old fridges from a house clearance")[0] == "200123"


def test_why_words_are_the_firms_own_not_an_expansions(suggester):
    text = "Dewatered WWTP sludge"
    for suggestion in suggester.suggest(text, 3):
        assert all(word.split()[0] in text.lower() for word in suggestion.why.words)


def test_a_waste_type_expansion_rivals_the_source_only_when_the_source_has_a_near_entry(
    suggester,
):
    fridges = "discarded equipment containing chlorofluorocarbons"
    pot_lining = "carbon-based linings and refractories from metallurgical processes aluminium"

    # 20 01 23* reads the fridge wording nearly as well as 16 02 11*: the household wins.
    assert suggester._rivals_source(fridges, {"20": "household"}) is True
    # 10 03 has no lining entry: spent pot lining keeps its 16 11 reading at a smelter.
    assert suggester._rivals_source(pot_lining, {"1003": "aluminium"}) is False
    # Inside the producer's own chapter there is nothing to weigh down.
    assert suggester._rivals_source(fridges, {"16": "x"}) is False


def test_fridges_at_a_household_recycling_centre_take_the_municipal_entry(
    suggester, monkeypatch
):
    text = "Fridge freezers from the HWRC"
    assert _codes(suggester, text)[0] == "200123"
    # The expansion at full weight would have put the chapter 16 entry first.
    monkeypatch.setattr(suggest_module, "EXPANSION_OFF_SOURCE_WEIGHT", 1.0)
    assert _codes(suggester, text)[0] == "160211"
    assert _codes(suggester, "Spent pot lining from our aluminium smelter")[0].startswith("1611")
