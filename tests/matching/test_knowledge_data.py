"""Integrity checks of the material knowledge base in ``data/knowledge/`` (no database).

The files are reference data for the matcher: materials (producer vocabulary), uses (receiver
vocabulary), known material → use pathways with sources, synonym groups and NACE sector flows.
See ``data/knowledge/README.md`` for the formats.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
KB = DATA / "knowledge"

HEADERS = {
    "materials.csv": ["slug", "category", "name", "ewc", "terms", "state"],
    "uses.csv": ["slug", "name", "terms", "nace", "accepts_categories"],
    "pathways.csv": [
        "id",
        "material",
        "use",
        "evidence",
        "process",
        "source",
        "source_year",
        "source_url",
    ],
    "synonyms.csv": ["group", "terms"],
    "nace_flows.csv": ["nace", "direction", "material_or_use", "source"],
}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
STATES = {"solid", "liquid", "sludge", "gas", "energy"}
EVIDENCE = {"established", "documented-case", "emerging"}
GENERIC_SOURCES = {
    "literature",
    "various",
    "various sources",
    "general knowledge",
    "industry practice",
    "common practice",
    "expert judgement",
    "internet",
    "wikipedia",
    "see sources.md",
    "n/a",
    "none",
    "unknown",
}


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _split(cell: str | None) -> list[str]:
    return [t.strip() for t in cell.split("|")] if cell and cell.strip() else []


@pytest.fixture(scope="module")
def kb() -> dict[str, list[dict[str, str]]]:
    return {name: _read(KB / name) for name in HEADERS}


@pytest.fixture(scope="module")
def materials(kb):
    return {row["slug"]: row for row in kb["materials.csv"]}


@pytest.fixture(scope="module")
def uses(kb):
    return {row["slug"]: row for row in kb["uses.csv"]}


@pytest.fixture(scope="module")
def category_parent() -> dict[str, str]:
    return {row["slug"]: row["parent"] for row in _read(DATA / "material_categories.csv")}


@pytest.fixture(scope="module")
def ewc_codes() -> set[str]:
    return {row["code"] for row in _read(DATA / "ewc_list_of_waste.csv")}


@pytest.fixture(scope="module")
def nace_codes() -> set[str]:
    return {row["code"] for row in _read(DATA / "nace_rev2.csv")}


@pytest.fixture(scope="module")
def sources_md() -> str:
    return (KB / "SOURCES.md").read_text(encoding="utf-8")


# --- files -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_file_parses_with_expected_header(name):
    with open(KB / name, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        body = list(reader)
    assert header == HEADERS[name]
    assert body, f"{name} has no rows"
    for line_no, row in enumerate(body, start=2):
        assert len(row) == len(header), f"{name}:{line_no} has {len(row)} cells"
        for cell in row:
            assert cell == cell.strip(), f"{name}:{line_no} cell with stray whitespace: {cell!r}"


def test_documentation_files_exist():
    assert (KB / "README.md").is_file()
    assert (KB / "SOURCES.md").is_file()


# --- materials and uses ------------------------------------------------------------------------


def test_slugs_are_unique_and_well_formed(kb):
    for name in ("materials.csv", "uses.csv"):
        slugs = [row["slug"] for row in kb[name]]
        duplicates = [s for s, n in Counter(slugs).items() if n > 1]
        assert not duplicates, f"duplicate slugs in {name}: {duplicates}"
        bad = [s for s in slugs if not SLUG.match(s)]
        assert not bad, f"malformed slugs in {name}: {bad}"
    both = {r["slug"] for r in kb["materials.csv"]} & {r["slug"] for r in kb["uses.csv"]}
    assert not both, f"slugs used for a material and a use: {both}"


def test_coverage_sizes(kb):
    assert len(kb["materials.csv"]) >= 120
    assert len(kb["uses.csv"]) >= 100
    assert len(kb["synonyms.csv"]) >= 150
    assert len(kb["nace_flows.csv"]) >= 80


def test_every_material_category_exists(materials, category_parent):
    unknown = {
        slug: row["category"]
        for slug, row in materials.items()
        if row["category"] not in category_parent
    }
    assert not unknown


def test_material_rows_are_complete(materials):
    for slug, row in materials.items():
        assert row["name"], slug
        assert row["state"] in STATES, slug
        terms = _split(row["terms"])
        assert len(terms) >= 5, f"{slug}: too few terms"
        assert all(terms), f"{slug}: empty term"
        assert all(t == t.lower() for t in terms), f"{slug}: terms must be lower-case"
        assert len(set(terms)) == len(terms), f"{slug}: duplicate terms"


def test_every_cited_ewc_code_exists(materials, ewc_codes):
    unknown = []
    for slug, row in materials.items():
        for code in _split(row["ewc"]):
            if not (code.isdigit() and len(code) in (2, 4, 6) and code in ewc_codes):
                unknown.append((slug, code))
    assert not unknown, unknown


def test_waste_materials_cite_ewc_codes(materials):
    """Solid, liquid and sludge materials are wastes or by-products with a List of Waste code,
    except waters and condensate, which the List of Waste does not cover as such."""
    exempt_categories = {"water", "process-water", "cooling-water", "wastewater"}
    missing = [
        slug
        for slug, row in materials.items()
        if row["state"] in {"solid", "liquid", "sludge"}
        and row["category"] not in exempt_categories
        and not _split(row["ewc"])
    ]
    assert not missing


def test_energy_and_water_flows_are_covered(materials):
    categories = {row["category"] for row in materials.values()}
    for needed in ("heat", "steam", "fuel-gas", "co2", "process-water", "cooling-water", "water"):
        assert needed in categories, needed


def test_use_rows_are_complete(uses, category_parent, nace_codes):
    for slug, row in uses.items():
        assert row["name"], slug
        terms = _split(row["terms"])
        assert len(terms) >= 6, f"{slug}: too few terms"
        assert all(terms), f"{slug}: empty term"
        assert all(t == t.lower() for t in terms), f"{slug}: terms must be lower-case"
        assert len(set(terms)) == len(terms), f"{slug}: duplicate terms"
        accepts = _split(row["accepts_categories"])
        assert accepts, f"{slug}: accepts no category"
        assert set(accepts) <= set(category_parent), f"{slug}: unknown categories"
        codes = _split(row["nace"])
        assert codes, f"{slug}: no NACE code"
        unknown = [c for c in codes if c not in nace_codes]
        assert not unknown, f"{slug}: unknown NACE codes {unknown}"


# --- pathways ----------------------------------------------------------------------------------


def test_every_pathway_material_and_use_exist(kb, materials, uses):
    for row in kb["pathways.csv"]:
        assert row["material"] in materials, row["id"]
        assert row["use"] in uses, row["id"]


def test_at_least_150_distinct_pathways_and_no_duplicate_pair(kb):
    pairs = [(row["material"], row["use"]) for row in kb["pathways.csv"]]
    duplicates = [p for p, n in Counter(pairs).items() if n > 1]
    assert not duplicates, duplicates
    assert len(set(pairs)) >= 150


def test_pathway_ids_are_unique(kb):
    ids = [row["id"] for row in kb["pathways.csv"]]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"P\d{3,}", i) for i in ids)


def test_pathway_fields(kb):
    for row in kb["pathways.csv"]:
        assert row["evidence"] in EVIDENCE, row["id"]
        assert row["process"], row["id"]
        year = row["source_year"]
        assert year == "" or (year.isdigit() and 1950 <= int(year) <= 2030), row["id"]
        url = row["source_url"]
        assert url == "" or url.startswith("https://"), row["id"]


def test_every_pathway_has_a_specific_source_listed_in_sources_md(kb, sources_md):
    for row in kb["pathways.csv"]:
        source = row["source"]
        assert source, f"{row['id']}: no source"
        assert source.lower() not in GENERIC_SOURCES, f"{row['id']}: generic source {source!r}"
        assert len(source.split()) >= 4, f"{row['id']}: source too vague: {source!r}"
        assert source in sources_md, (
            f"{row['id']}: source not in SOURCES.md bibliography: {source!r}"
        )


def test_pathway_material_category_is_accepted_by_its_use(kb, materials, uses, category_parent):
    for row in kb["pathways.csv"]:
        category = materials[row["material"]]["category"]
        accepts = set(_split(uses[row["use"]]["accepts_categories"]))
        ok = (
            category in accepts
            or category_parent.get(category, "") in accepts
            or any(category_parent.get(a) == category for a in accepts)
        )
        assert ok, f"{row['id']}: {row['use']} does not accept category {category}"


def test_every_material_and_use_has_a_pathway(kb, materials, uses):
    assert set(materials) == {row["material"] for row in kb["pathways.csv"]}
    assert set(uses) == {row["use"] for row in kb["pathways.csv"]}


def test_symbiosis_examples_are_bridged(kb, materials, uses):
    """The motivating cases: different words on each side, joined by a pathway."""
    pairs = {(row["material"], row["use"]) for row in kb["pathways.csv"]}

    def material_for(term):
        return {slug for slug, row in materials.items() if term in _split(row["terms"])}

    def use_for(term):
        return {slug for slug, row in uses.items() if term in _split(row["terms"])}

    cases = [
        ("fly ash", "pozzolanic material"),
        ("spent grain", "protein-rich feed for cattle"),
        ("low-grade waste heat", "heat source for our glasshouses"),
    ]
    for offer, need in cases:
        found = {(m, u) for m in material_for(offer) for u in use_for(need)}
        assert found & pairs, f"no pathway joins {offer!r} and {need!r}"


# --- synonyms and sector flows -----------------------------------------------------------------


def test_synonym_groups_have_no_empty_terms(kb):
    groups = [row["group"] for row in kb["synonyms.csv"]]
    assert len(groups) == len(set(groups)), "duplicate group names"
    for row in kb["synonyms.csv"]:
        assert row["group"], "unnamed group"
        terms = _split(row["terms"])
        assert len(terms) >= 2, row["group"]
        assert all(terms), f"{row['group']}: empty term"
        assert all(t == t.lower() for t in terms), f"{row['group']}: terms must be lower-case"


def test_a_synonym_term_belongs_to_one_group(kb):
    owner: dict[str, str] = {}
    clashes = []
    for row in kb["synonyms.csv"]:
        for term in set(_split(row["terms"])):
            if term in owner:
                clashes.append((term, owner[term], row["group"]))
            owner[term] = row["group"]
    assert not clashes, clashes


def test_nace_flows(kb, materials, uses, nace_codes, sources_md):
    keys = []
    for row in kb["nace_flows.csv"]:
        assert row["nace"] in nace_codes, row
        assert row["direction"] in {"input", "output"}, row
        if row["direction"] == "output":
            assert row["material_or_use"] in materials, row
        else:
            assert row["material_or_use"] in materials or row["material_or_use"] in uses, row
        assert row["source"] and row["source"] in sources_md, row
        keys.append((row["nace"], row["direction"], row["material_or_use"]))
    assert len(keys) == len(set(keys)), "duplicate flow rows"
