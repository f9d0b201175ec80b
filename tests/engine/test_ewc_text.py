"""Jargon, abbreviations and long messages before EWC ranking (engine only, no Django)."""

from __future__ import annotations

import csv
import re

import pytest

from matching.engine import DEFAULT_DATA_DIR, EwcSuggester
from matching.engine.ewc_text import (
    ABBREVIATIONS_FILE,
    PACKAGING_CONTENTS,
    PACKAGING_EMPTY,
    JargonTable,
    expand_jargon,
    jargon_table,
    material_focus,
    read_focus,
    split_sentences,
    term_role,
)

TABLE_PATH = DEFAULT_DATA_DIR / "knowledge" / ABBREVIATIONS_FILE


def _rows() -> list[dict[str, str]]:
    with TABLE_PATH.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _rule_cases() -> list[tuple[str, str, str]]:
    """(term, context word or "", expected expansion) for every term of every row."""
    cases = []
    for row in _rows():
        context = [w for w in row["context_words"].split("|") if w]
        for term in row["term"].split("|"):
            cases.append((term, context[0] if context else "", row["expansion"]))
    return cases


@pytest.mark.parametrize(("term", "context", "expansion"), _rule_cases())
def test_every_rule_of_the_table_resolves_to_its_own_reading(term, context, expansion):
    # A rule shadowed by an earlier one (same term, overlapping context) would fail here.
    text = f"{term} from the {context} site" if context else f"some {term} to go"
    reading = jargon_table().resolve(term, text)
    assert reading is not None
    assert reading.expansion == expansion


def test_table_rows_are_complete_and_cited():
    sources = (DEFAULT_DATA_DIR / "knowledge" / "SOURCES.md").read_text(encoding="utf-8")
    for row in _rows():
        assert row["term"] and row["expansion"] and row["source"], row
        assert f"`{row['source']}`" in sources, row["source"]
        # "for ..." would start a purpose clause in the suggester and weaken the expansion.
        assert not re.search(r"\b(?:for|to replace|used|sold)\b", row["expansion"]), row


def test_a_term_with_only_context_readings_stays_as_written_without_context():
    assert expand_jargon("PCB waste") == "PCB waste"


@pytest.mark.parametrize(
    ("text", "expected", "other"),
    [
        ("PFA from the power station lagoon", "coal fly ash", "fluoropolymer"),
        ("PFA tubing offcuts from plant maintenance", "fluoropolymer", "coal fly ash"),
        ("IBA from the EfW after metal recovery", "incineration", "isobutyl"),
        ("IBA solvent from the lab, off-spec", "isobutyl", "incineration"),
        ("DAF sludge from the dairy", "on-site effluent treatment", "vehicles"),
        ("Three old DAF trucks from our fleet", "end-of-life vehicles", "effluent"),
        ("IPA from a failed brew, 20 casks", "beer", "isopropyl"),
        ("IPA from the print room", "isopropyl", "beer"),
        ("skip waste from a refurb site", "construction and demolition", "municipal"),
        ("skip waste from the office clear-out", "mixed municipal waste", "construction"),
        ("brass swarf from the screw machines", "non-ferrous metal filings", "machining"),
        ("steel swarf from the lathes", "ferrous metal filings", "non-ferrous"),
        ("OCC from the supermarket back of house", "paper and cardboard packaging", "mechanical"),
        ("OCC recovered at the MRF picking line", "mechanical treatment", "packaging"),
        ("PCB from old capacitors", "polychlorinated biphenyls", "circuit"),
        ("PCB assemblies from the electronics line", "printed circuit boards", "biphenyls"),
        ("zinc dross from the galvanising kettle", "hard zinc", "aluminium"),
        ("dross from our aluminium remelt furnace", "aluminium", "zinc"),
        ("fly ash from the municipal waste incinerator", "incineration", "peat"),
        ("fly ash from the wood pellet boiler", "peat and untreated wood", "coal fly ash"),
        ("coolant drained from the vans", "antifreeze", "machining"),
        ("road planings with tar found in the test", "coal tar", "nothing"),
    ],
)
def test_ambiguous_terms_are_resolved_by_their_context(text, expected, other):
    expanded = expand_jargon(text)
    assert expected in expanded.lower()
    assert other not in expanded.lower().replace(text.lower(), "")


def test_expansion_follows_the_term_once_and_keeps_the_original_words():
    text = "IBA from the EfW, more IBA and still more IBA"
    expanded = expand_jargon(text)
    assert expanded.startswith("IBA (bottom ash and slag from incineration) from the EfW, more IBA")
    assert expanded.count("bottom ash") == 1


def test_terms_match_whole_words_only_and_in_any_case():
    assert expand_jargon("Weee from offices") != "Weee from offices"
    assert expand_jargon("tweeezers and a capful") == "tweeezers and a capful"


def test_a_term_the_text_rules_out_is_not_expanded():
    assert "biphenyls" not in expand_jargon("transformer oil, PCB-free")
    assert "biphenyls" not in expand_jargon("transformer oil with no PCB")


def test_a_mixed_load_is_not_read_as_each_of_its_parts():
    expanded = expand_jargon("skip waste from a refurb site: plasterboard and rubble")
    assert "mixed construction and demolition wastes" in expanded
    assert "gypsum-based" not in expanded


def test_an_empty_table_changes_nothing():
    assert JargonTable([]).expand("PFA and IBA") == "PFA and IBA"


CHATTY = (
    "Hi, hope you are well. We are a small engineering firm near Leeds. "
    "Every month we fill a skip with steel swarf contaminated with cutting oil from the lathes. "
    "Could you give us a price for a monthly collection? "
    "Access is via the back gate on weekdays. Thanks, Dave"
)


def test_a_long_message_keeps_its_material_sentence_and_drops_the_chatter():
    focus = read_focus(CHATTY)
    assert "steel swarf contaminated with cutting oil" in focus.text
    assert "price" not in focus.text
    assert "back gate" not in focus.text
    assert "Hi, hope you are well." in focus.dropped
    assert "Thanks, Dave" in focus.dropped


def test_a_short_text_is_ranked_whole():
    text = "Hi. Steel swarf, please collect"
    assert material_focus(text) == text


def test_a_message_without_any_material_sentence_keeps_its_best_sentence():
    text = (
        "Hello there, hope all is well with you and the team this week. "
        "Please call me on my mobile about a collection next Tuesday. "
        "Thanks again for your help last month, regards, Sam and the office team"
    )
    focus = read_focus(text)
    assert len(focus.dropped) == 2
    assert focus.text in text


def test_sentences_split_on_stops_and_lines():
    assert split_sentences("Hi. We make bread.\nPrice? Thanks") == [
        "Hi.", "We make bread.", "Price?", "Thanks"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "empty drums that held solvent",
        "Empty 25 l plastic containers which contained herbicide, not rinsed",
        "IBCs with paint residues",
    ],
)
def test_empty_packaging_that_held_a_hazardous_product_is_read_as_packaging(text):
    focus = read_focus(text)
    assert focus.packaging == PACKAGING_EMPTY
    assert "packaging containing residues of or contaminated by hazardous substances" in focus.text


def test_cleaned_packaging_gets_no_hazard_wording():
    focus = read_focus("triple rinsed steel drums that held solvent")
    assert focus.packaging == PACKAGING_EMPTY
    assert "metallic packaging" in focus.text
    assert "hazardous" not in focus.text


@pytest.mark.parametrize(
    ("text", "contents"),
    [
        ("20 drums of waste solvent", "waste solvent"),
        ("waste solvent in 205 litre drums", "waste solvent"),
        ("sludge stored in IBCs", "sludge"),
    ],
)
def test_packaging_that_only_carries_the_material_is_left_out(text, contents):
    focus = read_focus(text)
    assert focus.packaging == PACKAGING_CONTENTS
    assert focus.text == contents


def test_aerosols_are_not_read_as_empty_packaging():
    assert read_focus("empty aerosol cans").packaging == ""


@pytest.fixture(scope="module")
def suggester() -> EwcSuggester:
    return EwcSuggester.fit()


def test_the_suggester_tells_packaging_from_contents(suggester):
    packaging = suggester.rank("empty drums that held solvent, not cleaned", 1)[0][0]
    contents = suggester.rank("20 drums of waste solvent", 1)[0][0]
    assert packaging == "150110"
    assert not contents.startswith("1501")


def test_a_term_that_only_qualifies_another_thing_is_not_expanded():
    assert expand_jargon("used oil filters from servicing") == "used oil filters from servicing"
    assert "lubricating oils" in expand_jargon("used oil from servicing")


def test_the_word_mixed_marks_a_mixture_but_mixed_with_does_not():
    assert "ceramics" not in expand_jargon("Mixed site waste: wood, plastics and rubble")
    assert "hazardous" in expand_jargon("abrasive mixed with flakes of red lead")


@pytest.mark.parametrize(
    "text", ["sludge stored in IBCs", "empty IBCs that held caustic soda", "3 IBCs of DAF sludge"]
)
def test_focus_reads_packaging_the_same_before_or_after_jargon_expansion(text):
    # The suggester may call the two steps in either order.
    first, after = read_focus(text), read_focus(expand_jargon(text))
    assert first.packaging == after.packaging != ""
    if first.packaging == PACKAGING_CONTENTS:
        assert "packaging" not in after.text


def test_a_greeting_sentence_that_names_the_producing_process_is_kept():
    text = (
        "Dear Sir or Madam, I'm the environment manager at a meat processing plant. "
        "Our effluent plant produces DAF sludge, about 30 m3 a week. "
        "We would like a quote for haulage and your gate fee. Kind regards"
    )
    focus = read_focus(text)
    assert "meat processing plant" in focus.text
    assert "gate fee" not in focus.text


@pytest.mark.parametrize(
    "text",
    [CHATTY, "empty drums that held solvent", "IBA from the EfW", "20 drums of waste solvent"],
)
def test_preparing_a_text_twice_changes_nothing_more(text):
    once = expand_jargon(material_focus(text))
    assert expand_jargon(material_focus(once)) == once


# --- reconciliation with the List of Waste rules ------------------------------------------

_SMALL = [
    {"term": "pcb", "expansion": "printed circuit boards", "context_words": "board|solder",
     "source": "T"},
    {"term": "pcb", "expansion": "polychlorinated biphenyls", "context_words": "transformer",
     "source": "T"},
    {"term": "wwtp", "expansion": "sludges from treatment of urban waste water",
     "context_words": "", "source": "T"},
    {"term": "skip waste", "expansion": "mixed construction and demolition wastes",
     "context_words": "construct", "source": "T"},
    {"term": "skip waste", "expansion": "mixed municipal waste", "context_words": "",
     "source": "T"},
    {"term": "c&d", "expansion": "construction and demolition wastes", "context_words": "",
     "source": "T"},
    {"term": "offcuts", "expansion": "wood cuttings", "context_words": "wood", "source": "T"},
]


@pytest.mark.parametrize(
    ("text", "term", "role"),
    [
        ("Scrap steel contaminated with oil and PCB residues", "PCB", "contaminant"),
        ("Soil contaminated by PCB", "PCB", "contaminant"),
        ("Steel with PCB residues", "PCB", "contaminant"),
        ("Traces of PCB in the concrete", "PCB", "contaminant"),
        ("Screenings from the WWTP inlet", "WWTP", "place"),
        ("Grit collected at our WWTP", "WWTP", "place"),
        ("Rejects from the OCC line", "OCC", "place"),
        ("PCB capacitors from old switchgear", "PCB", "material"),
        ("Old transformers containing PCB", "PCB", "material"),
        ("WWTP sludge, dewatered", "WWTP", "material"),
    ],
)
def test_term_role_tells_material_from_contaminant_and_producer(text, term, role):
    start = text.index(term)
    assert term_role(text, start, start + len(term)) == role


def test_a_contaminant_term_is_not_expanded_but_the_same_term_as_material_is():
    table = JargonTable(_SMALL)
    scrap = "Scrap steel contaminated with oil and PCB residues from old transformers"
    assert table.expand(scrap) == scrap
    assert "polychlorinated biphenyls" in table.expand("Old transformer PCB oil drained")


def test_pcb_reading_follows_context_when_it_names_the_material():
    table = JargonTable(_SMALL)
    assert "printed circuit boards" in table.expand("PCB offcuts with solder")
    assert "polychlorinated biphenyls" in table.expand("PCB capacitors from a transformer bay")


def test_a_term_naming_the_producing_plant_is_not_expanded():
    table = JargonTable(_SMALL)
    text = "Screenings from the inlet of the WWTP"
    assert table.expand(text) == text
    assert "urban waste water" in table.expand("WWTP sludge cake")


def test_other_terms_meanings_resolve_an_ambiguous_term():
    table = JargonTable(_SMALL)
    assert "mixed construction and demolition" in table.expand("Mixed C&D skip waste")
    assert "mixed municipal waste" in table.expand("Mixed skip waste")


def test_other_terms_meanings_never_make_a_context_only_term_apply():
    table = JargonTable(
        [*_SMALL, {"term": "mdf", "expansion": "wood based board", "context_words": "",
                   "source": "T"}]
    )
    # "offcuts" reads as wood only when the firm's own words say wood.
    assert "wood cuttings" not in table.expand("Copper cable offcuts and MDF")
    assert "wood cuttings" in table.expand("Wood offcuts")


def test_accept_can_veto_an_expansion():
    table = JargonTable(_SMALL)
    text = "WWTP sludge cake"
    assert table.expand(text, accept=lambda expansion: "urban" not in expansion) == text
    assert table.expand(text, accept=lambda expansion: True) != text
