"""The neutral reference data (symbiosis.reference) that accounts and matching both read."""

from __future__ import annotations

from symbiosis import reference


def test_ewc_codes_agree_with_the_engines_reading_of_the_same_file():
    from matching import catalogue

    engine = catalogue.knowledge().ewc
    codes = reference.ewc_codes()
    assert len(codes) > 800
    assert set(codes) == set(engine)
    for code, entry in codes.items():
        assert (entry.hazardous, entry.description) == (
            engine[code].hazardous, engine[code].description
        ), code


def test_ewc_display_spaces_the_digits_and_stars_hazardous_entries():
    assert reference.ewc_display("100102") == "10 01 02"
    assert reference.ewc_codes()["130205"].hazardous
    assert reference.ewc_display("13 02 05") == "13 02 05*"
    assert reference.ewc_codes()["130205"].display == "13 02 05*"
    assert reference.ewc_display("") == ""
    assert reference.normalise_ewc(" 10 01 02* ") == "100102"


def test_nace_titles_and_options():
    assert reference.nace_title("23.51") == "Manufacture of cement"
    assert reference.nace_title("99.99") == "99.99"  # unknown: the code itself
    codes = [code for code, _title in reference.nace_options()]
    assert {"23", "23.5", "23.51"} <= set(codes)
    assert "C" not in codes  # sections are not picked by a company
