"""The bibliography of the knowledge base can be checked by anyone (issue 21, point 8).

Every document cited by ``data/knowledge/pathways.csv`` and ``nace_flows.csv`` is an entry of
``data/knowledge/SOURCES.md``; every entry says on its own line when and how it was checked
(``Checked on <date>: …``) or why it could not be confirmed (``Unverified (…): …``), and a
checked entry carries something a reader can look up: a DOI, an ISBN, an address, a standard or
report number, or the section it was read in. A pathway whose only source could not be
confirmed is not presented as routine practice. (``materials.csv`` and ``uses.csv`` cite no
sources: they have no source column.)
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

KB = Path(__file__).resolve().parents[2] / "data" / "knowledge"

STATUS = re.compile(
    r"^(?:Checked on \d{4}-\d{2}-\d{2}"
    r"|Unverified \((?:searched \d{4}-\d{2}-\d{2}|not yet searched)\)): \S"
)
IDENTIFIER = re.compile(
    r"\bDOI 10\.\d{4,}/\S+"  # DOI
    r"|doi\.org/10\.\d{4,}/"
    r"|\bISBN(?:-1[03])? [\d-]{10,}"  # book
    r"|<https?://[^>\s]+>"  # stable address
    r"|\b(?:section|chapter|annex|table)\s+[\dIVX]"  # where in a document
    r"|^(?:EN|EN ISO|PAS) \d+(?:-\d+)?:\d{4}"  # a standard is identified by its number
    r"|\b(?:FHWA-[A-Z]+-\d{2}-\d{3}|EPA/\d{3}/R-\d{2}/\d{3})\b"  # report numbers
    r"|\b(?:Regulation|Directive|Decision|Notice)\b.*\((?:EU|EC|EEC)\)|\b\d{4}/C \d+/\d+\b",
    re.IGNORECASE | re.MULTILINE,
)


def _read(name: str) -> list[dict[str, str]]:
    with open(KB / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _entries() -> list[tuple[str, list[str]]]:
    """(citation line, its indented continuation lines) for each bullet of the bibliography."""
    text = (KB / "SOURCES.md").read_text(encoding="utf-8")
    bibliography = text[text.index("## Bibliography") :]
    entries: list[tuple[str, list[str]]] = []
    for line in bibliography.splitlines():
        if line.startswith("- "):
            entries.append((line[2:], []))
        elif line.startswith("  ") and line.strip() and entries:
            entries[-1][1].append(line.strip())
    return entries


@pytest.fixture(scope="module")
def entries():
    return _entries()


def _entry_for(source: str, entries) -> tuple[str, list[str]] | None:
    matches = [entry for entry in entries if source in entry[0]]
    return matches[0] if len(matches) == 1 else None


def test_the_bibliography_has_entries(entries):
    assert len(entries) >= 150


@pytest.mark.parametrize("name", ["pathways.csv", "nace_flows.csv"])
def test_every_cited_source_is_exactly_one_bibliography_entry(name, entries):
    missing = sorted(
        {row["source"] for row in _read(name) if _entry_for(row["source"], entries) is None}
    )
    assert not missing, f"{name} cites sources missing from (or ambiguous in) SOURCES.md: {missing}"


def test_every_entry_states_how_it_was_checked(entries):
    without = [
        citation[:80]
        for citation, notes in entries
        if sum(bool(STATUS.match(note)) for note in notes) != 1
    ]
    assert not without, f"entries without exactly one 'Checked on'/'Unverified' line: {without}"


def test_every_checked_entry_carries_an_identifier(entries):
    without = [
        citation[:80]
        for citation, notes in entries
        if any(note.startswith("Checked on") for note in notes)
        and not IDENTIFIER.search("\n".join([citation, *notes]))
    ]
    assert not without, f"checked entries with no DOI, ISBN, address, number or section: {without}"


def test_unverified_entries_say_why(entries):
    terse = [
        citation[:80]
        for citation, notes in entries
        for note in notes
        if note.startswith("Unverified") and len(note.split(":", 1)[1].split()) < 8
    ]
    assert not terse, f"unverified entries need a reason: {terse}"


def test_pathways_resting_on_an_unverified_source_are_not_called_established(entries):
    unverified = {
        citation
        for citation, notes in entries
        if any(note.startswith("Unverified (searched") for note in notes)
    }
    overstated = [
        row["id"]
        for row in _read("pathways.csv")
        if (entry := _entry_for(row["source"], entries)) is not None
        and entry[0] in unverified
        and row["evidence"] == "established"
    ]
    assert not overstated, f"established pathways whose only source is unverified: {overstated}"


def test_smelter_acid_is_not_labelled_spent_acid():
    """P473: sulphuric acid made from smelter off-gas is a product, not spent acid."""
    rows = {row["id"]: row for row in _read("pathways.csv")}
    assert rows["P473"]["material"] == "smelter-acid"
    materials = {row["slug"]: row for row in _read("materials.csv")}
    assert "smelter acid" in materials["smelter-acid"]["terms"].split("|")
    assert "smelter acid" not in materials["spent-sulphuric-acid"]["terms"].split("|")


def test_press_mud_pathways_cite_sources_about_those_uses():
    """The nutrient/pyrolysis characterisation paper is no longer the source of these uses."""
    rows = [row for row in _read("pathways.csv") if row["material"] == "press-mud"]
    assert {row["use"] for row in rows} >= {
        "composting",
        "organic-fertiliser-landspreading",
        "biogas-feedstock",
    }
    assert not [row["id"] for row in rows if "Characterization of pressmud" in row["source"]]
