"""EWC code suggestions (engine only, no Django): ranking, hazard hints, determinism."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from matching.engine import (
    DEFAULT_DATA_DIR,
    HAZARD_DEPENDS,
    HAZARD_NO,
    HAZARD_YES,
    EwcSuggester,
    Knowledge,
    evaluate,
)
from matching.engine.suggest import clean_description, codes_in_text, likely_hazardous


@pytest.fixture(scope="module")
def suggester() -> EwcSuggester:
    return EwcSuggester.fit()


def _codes(suggester: EwcSuggester, text: str, k: int = 3) -> list[str]:
    return [s.code for s in suggester.suggest(text, k=k)]


def test_coal_fly_ash_text_suggests_100102_in_top_three(suggester):
    text = "Coal fly ash from our boiler's electrostatic precipitators"

    assert "100102" in _codes(suggester, text)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("PFA from the power station", "100102"),
        ("FGD gypsum from the flue gas scrubber", "100105"),
        ("Brewers' spent grain", "020799"),
        ("Used engine oil from our workshop", "130205"),
        ("Crushed concrete from demolition", "170101"),
    ],
)
def test_trade_wording_finds_the_entry_first(suggester, text, code):
    assert _codes(suggester, text, k=1) == [code]


def test_industry_words_pick_the_sub_chapter_of_a_generic_entry(suggester):
    # "Sludges from on-site effluent treatment" exists in many sub-chapters: the industry
    # named in the text decides which one.
    dairy = _codes(suggester, "Sludge from the effluent treatment plant of our dairy", k=1)
    brewery = _codes(suggester, "Sludge from the effluent treatment plant of our brewery", k=1)

    assert dairy == ["020502"]
    assert brewery == ["020705"]


def test_absolute_hazardous_entry_is_flagged_yes(suggester):
    top = suggester.suggest("Used lead-acid car batteries", k=1)[0]

    assert top.code == "160601"
    assert top.hazardous is True
    assert top.likely_hazardous == HAZARD_YES
    assert top.display == "16 06 01*"


def test_mirror_entry_is_flagged_for_the_firm_to_decide(suggester):
    top = suggester.suggest("Excavated soil and stones from foundation works", k=1)[0]

    assert top.code in {"170504", "170503"}
    assert top.mirror is True
    assert top.likely_hazardous == HAZARD_DEPENDS
    assert top.hazard_hint.startswith("depends")
    assert set(top.mirror_counterparts) & {"170503", "170504"}


def test_absolute_non_hazardous_entry_is_flagged_no(suggester):
    top = suggester.suggest("Coal fly ash", k=1)[0]

    assert top.likely_hazardous == HAZARD_NO
    assert top.hazardous is False


def test_likely_hazardous_follows_the_entry_type():
    kb = Knowledge.load()
    by_type = {"AH": HAZARD_YES, "ANH": HAZARD_NO, "MNH": HAZARD_DEPENDS}
    with open(DEFAULT_DATA_DIR / "ewc_list_of_waste.csv", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["level"] == "3"]
    for row in rows:
        expected = by_type.get(row["entry_type"])
        if row["entry_type"] == "MH":
            # A starred mirror entry with no non-hazardous alternative leaves nothing to decide.
            expected = HAZARD_DEPENDS if row["mirror_counterparts"] else HAZARD_YES
        assert likely_hazardous(kb.ewc[row["code"]]) == expected, row["code"]


def test_suggestions_are_deterministic_across_fits(tmp_path):
    # A copy of the data folder is a separate cache entry, so this really fits twice.
    copy = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, copy)
    first, second = EwcSuggester.fit(), EwcSuggester.fit(copy)
    texts = ["scrap", "oily sludge", "Spent caustic soda", "wood", "ash from the boiler"]

    assert first is not second
    for text in texts:
        assert first.suggest(text, k=5) == second.suggest(text, k=5)
        assert first.suggest(text, k=5) == first.suggest(text, k=5)


def test_fit_is_cached_per_data_folder():
    assert EwcSuggester.fit() is EwcSuggester.fit(Knowledge.load())


def test_scores_are_ordered_and_within_zero_and_one(suggester):
    suggestions = suggester.suggest("Waste printing ink with solvents", k=5)
    scores = [s.score for s in suggestions]

    assert len(suggestions) == 5
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert sum(scores) <= 1.0 + 1e-6


def test_empty_text_gives_no_suggestion(suggester):
    assert suggester.suggest("   ") == []
    assert suggester.suggest("") == []


def test_a_code_typed_in_the_text_comes_first(suggester):
    assert _codes(suggester, "gypsum, code 10 01 05", k=1) == ["100105"]
    assert _codes(suggester, "ash 100102*", k=1) == ["100102"]


def test_codes_in_text_ignores_unknown_and_longer_numbers():
    kb = Knowledge.load()

    assert codes_in_text("10 01 02 and 999999 and 1234567", kb.ewc) == ["100102"]


def test_clean_description_drops_cross_references():
    cleaned = clean_description(
        "tailings other than those mentioned in 01 03 04 and 01 03 05"
    )

    assert cleaned == "tailings"
    assert clean_description("spent activated carbon (except 06 07 02)") == (
        "spent activated carbon"
    )


def test_knowledge_files_are_optional(tmp_path):
    # Only the List of Waste and the categories: the suggester still works on descriptions.
    for name in ("ewc_list_of_waste.csv", "material_categories.csv"):
        shutil.copy(DEFAULT_DATA_DIR / name, tmp_path / name)
    bare = EwcSuggester.fit(tmp_path)

    assert "100102" in _codes(bare, "coal fly ash")


def test_training_rows_teach_phrasings_and_industry_context(tmp_path):
    # A made-up trade name for one entry, and a made-up industry for a sub-chapter prefix.
    copy = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, copy)
    training = copy / "knowledge" / "ewc_training.csv"
    training.write_text(
        training.read_text(encoding="utf-8")
        + "160601,zorblax blocks,test\n0207,quuxworks,test\n",
        encoding="utf-8",
    )
    taught = EwcSuggester.fit(copy)
    plain = EwcSuggester.fit()

    assert _codes(taught, "zorblax blocks", k=1) == ["160601"]
    assert _codes(plain, "zorblax blocks", k=1) != ["160601"]
    assert _codes(taught, "sludge from the quuxworks", k=1)[0].startswith("0207")
    assert not _codes(plain, "sludge from the quuxworks", k=1)[0].startswith("0207")


def test_evaluate_scores_top1_and_top3(suggester):
    items = [
        {"text": "Coal fly ash", "codes": ["10 01 02"]},  # spaced codes are accepted
        {"text": "Coal fly ash", "codes": [_codes(suggester, "Coal fly ash", k=3)[2]]},
        {"text": "Coal fly ash", "codes": ["200301"]},
    ]

    assert evaluate(suggester, items) == {"top1": round(1 / 3, 4), "top3": round(2 / 3, 4),
                                          "items": 3, "no_code": 0, "wrong_mirror_side": 0}


def test_dev_file_is_in_the_benchmark_format():
    path = Path(__file__).resolve().parents[2] / "bench" / "data" / "ewc-dev.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    kb = Knowledge.load()

    assert len(data["items"]) >= 100
    assert len({item["id"] for item in data["items"]}) == len(data["items"])
    for item in data["items"]:
        assert item["text"].strip()
        assert item["codes"] and all(code in kb.ewc for code in item["codes"])
