"""Reference knowledge: the List of Waste, material categories, and the material knowledge base.

Loaded from the project's CSV files: ``data/`` (EWC list, categories) and
``data/knowledge/`` (fine-grained materials, receiving uses, material→use pathways,
synonyms, NACE sector flows; see ``data/knowledge/README.md``). The knowledge-base files
are optional: without them the matcher falls back to text, codes and categories. Pure
functions compare codes so the scorer can use them on scalars and NumPy arrays alike.

``Knowledge.config`` says which score components are switched on (``ScoringConfig``);
``Knowledge.configured(...)`` gives a variant sharing the loaded data and derived models.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from matching.engine.config import (
    CATEGORY_RELATED,
    CATEGORY_SAME,
    EWC_SAME_CHAPTER,
    EWC_SAME_ENTRY,
    EWC_SAME_SUB_CHAPTER,
    SEMANTIC,
    ScoringConfig,
    parse_components,
)

if TYPE_CHECKING:
    from matching.engine.infer import InferenceModel

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"



@dataclass(frozen=True, slots=True)
class EwcEntry:
    """One six-digit entry of the List of Waste."""

    code: str  # "100102"
    description: str
    hazardous: bool  # the entry carries a star (absolute or mirror hazardous)
    mirror: bool  # one side of a mirror pair
    mirror_counterparts: tuple[str, ...]
    chapter: str  # "10"
    sub_chapter: str  # "1001"


@dataclass(frozen=True, slots=True)
class Category:
    """A material category of ``material_categories.csv`` (a two-level tree)."""

    slug: str
    name: str
    parent: str  # "" for a top-level category
    keywords: tuple[str, ...]

    @property
    def group(self) -> str:
        """The top-level slug: siblings and parent/child share it."""
        return self.parent or self.slug


@dataclass(frozen=True, slots=True)
class Material:
    """A fine-grained material of ``knowledge/materials.csv`` (e.g. coal fly ash)."""

    slug: str
    category: str  # a slug of material_categories.csv
    name: str
    ewc: tuple[str, ...]  # EWC entries or prefixes (chapter, sub-chapter) it covers
    terms: tuple[str, ...]  # how producers name it
    state: str = ""


@dataclass(frozen=True, slots=True)
class Use:
    """A receiving use of ``knowledge/uses.csv`` (e.g. clinker substitute in cement)."""

    slug: str
    name: str
    terms: tuple[str, ...]  # how receivers phrase the need
    nace: tuple[str, ...]  # sectors that have this use
    accepts_categories: tuple[str, ...]  # material categories the use can take


@dataclass(frozen=True, slots=True)
class Pathway:
    """A documented material → use pathway, with its source."""

    id: str
    material: str
    use: str
    evidence: str
    process: str
    source: str
    source_year: str
    source_url: str


@dataclass(frozen=True, slots=True)
class NaceFlow:
    """A sector's typical output material or input use."""

    nace: str
    direction: str  # "output" or "input"
    target: str  # a material slug (output) or a use slug (input); either is accepted
    source: str = ""


_KEEP = object()

def normalise_ewc(code: str | None) -> str:
    """``'10 01 02*'`` → ``'100102'`` (digits only; ``None`` → ``''``)."""
    return "".join(ch for ch in (code or "") if ch.isdigit())


def ewc_display(code: str | None) -> str:
    """``'100102'`` → ``'10 01 02'``; also for chapters and sub-chapters (``'10 01'``)."""
    digits = normalise_ewc(code)
    return " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def ewc_keys(code: str | None) -> tuple[str, str, str]:
    """(entry, sub-chapter, chapter) keys of a code; ``''`` where the code is too short."""
    digits = normalise_ewc(code)
    return (
        digits if len(digits) == 6 else "",
        digits[:4] if len(digits) >= 4 else "",
        digits[:2] if len(digits) >= 2 else "",
    )


def ewc_proximity_keys(
    entry_a: ArrayLike,
    sub_a: ArrayLike,
    chap_a: ArrayLike,
    entry_b: ArrayLike,
    sub_b: ArrayLike,
    chap_b: ArrayLike,
) -> np.ndarray:
    """Vectorised EWC proximity on ``ewc_keys`` (string arrays broadcast, or their
    ``string_codes``)."""
    entry_a, sub_a, chap_a, entry_b, sub_b, chap_b = (
        _keys(x) for x in (entry_a, sub_a, chap_a, entry_b, sub_b, chap_b)
    )
    unset = _unset(entry_a)
    return np.select(
        [
            (entry_a == entry_b) & (entry_a != unset),
            (sub_a == sub_b) & (sub_a != unset),
            (chap_a == chap_b) & (chap_a != unset),
        ],
        [EWC_SAME_ENTRY, EWC_SAME_SUB_CHAPTER, EWC_SAME_CHAPTER],
        default=0.0,
    )


def string_codes(*columns: np.ndarray) -> list[np.ndarray]:
    """Integer codes for string arrays that are compared with each other: equal strings
    get equal codes across all ``columns``, and ``''`` (unset) is 0.

    The proximity functions take codes in place of strings and give the same values;
    comparing and gathering int32 codes is much cheaper, pair by pair, than strings."""
    values = np.concatenate([np.asarray(c, dtype=str) for c in columns])
    distinct, codes = np.unique(values, return_inverse=True)
    codes = codes.astype(np.int32).reshape(-1)
    if not len(distinct) or distinct[0] != "":
        codes += 1  # "" sorts first: 0 is kept for it alone
    return np.split(codes, np.cumsum([len(c) for c in columns])[:-1])


def _keys(x: ArrayLike) -> np.ndarray:
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.integer) else np.asarray(x, dtype=str)


def _unset(keys: np.ndarray) -> str | int:
    return 0 if np.issubdtype(keys.dtype, np.integer) else ""


def ewc_proximity(a: str | None, b: str | None) -> float:
    """1.0 same entry, 0.6 same sub-chapter, 0.3 same chapter, 0.0 otherwise or if empty."""
    return float(ewc_proximity_keys(*ewc_keys(a), *ewc_keys(b)))


def category_proximity_keys(
    slug_a: ArrayLike, group_a: ArrayLike, slug_b: ArrayLike, group_b: ArrayLike
) -> np.ndarray:
    """Vectorised category proximity on (slug, group) string arrays, or their
    ``string_codes``."""
    slug_a, group_a, slug_b, group_b = (_keys(x) for x in (slug_a, group_a, slug_b, group_b))
    unset = _unset(slug_a)
    return np.select(
        [(slug_a == slug_b) & (slug_a != unset), (group_a == group_b) & (group_a != unset)],
        [CATEGORY_SAME, CATEGORY_RELATED],
        default=0.0,
    )


@dataclass(frozen=True, eq=False)
class Knowledge:
    """Reference data read once per data folder, plus the scoring configuration."""

    ewc: Mapping[str, EwcEntry]
    chapters: Mapping[str, str]  # "10" → title
    sub_chapters: Mapping[str, str]  # "1001" → title
    categories: Mapping[str, Category]
    data_dir: Path | None = None
    materials: Mapping[str, Material] = field(default_factory=dict)
    uses: Mapping[str, Use] = field(default_factory=dict)
    pathways: tuple[Pathway, ...] = ()
    synonyms: tuple[tuple[str, ...], ...] = ()
    nace_flows: tuple[NaceFlow, ...] = ()
    config: ScoringConfig = field(default_factory=ScoringConfig)
    # Derived models shared by every configured variant of one load.
    _shared: dict = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, data_dir: Path | str | None = None) -> Knowledge:
        """Load (and cache per resolved folder) from ``data_dir`` (default: the repo's data)."""
        return _load_cached(_resolved(str(data_dir or DEFAULT_DATA_DIR)))

    def configured(
        self,
        *,
        components: frozenset[str] | str | None = None,
        blocking: bool = True,
        embedder: Any = _KEEP,
        ranker: Any = _KEEP,
    ) -> Knowledge:
        """The same knowledge with another scoring configuration (cached per configuration).

        ``components`` as a set or a comma-separated string; ``None`` → the default set,
        plus ``semantic`` when there is an ``embedder`` (by default the current one);
        ``ranker``: a learned ranker (``score.learned.LearnedRanker``) giving the final
        score, ``None`` for the hand-set weights (by default the current one).
        """
        if embedder is _KEEP:
            embedder = self.config.embedder
        if ranker is _KEEP:
            ranker = self.config.ranker
        if components is None or isinstance(components, str):
            parsed = parse_components(components)
            if components in (None, "") and embedder is not None:
                parsed = parsed | {SEMANTIC}
            components = parsed
        config = ScoringConfig(
            components=frozenset(components),
            blocking=blocking,
            embedder=embedder if SEMANTIC in components else None,
            ranker=ranker,
        )
        if config == self.config:
            return self
        variants = self._shared.setdefault("variants", {})
        own = (self.config.components, self.config.blocking, id(self.config.embedder),
               self.config.ranker)
        variants.setdefault(own, (self, self.config.embedder))
        key = (config.components, config.blocking, id(config.embedder), config.ranker)
        if key not in variants:
            variants[key] = (replace(self, config=config), config.embedder)
        return variants[key][0]

    @property
    def fingerprint(self) -> str:
        """A hash of the reference data (not the configuration): a model version names it,
        so a changed knowledge base gives new versions even for the same listings."""
        found = self._shared.get("fingerprint")
        if found is None:
            content = (self.ewc, self.chapters, self.sub_chapters, self.categories,
                       self.materials, self.uses, self.pathways, self.synonyms, self.nace_flows)
            digest = hashlib.sha1(repr(content).encode(), usedforsecurity=False)
            found = self._shared["fingerprint"] = digest.hexdigest()
        return found

    @property
    def inference(self) -> InferenceModel:
        """Matrices and matchers derived from the knowledge base (built once per load)."""
        model = self._shared.get("inference")
        if model is None:
            from matching.engine.infer import InferenceModel

            model = self._shared["inference"] = InferenceModel.build(self)
        return model

    # --- EWC -------------------------------------------------------------------------

    def is_hazardous(self, code: str | None) -> bool:
        """True when the code is a starred (hazardous) entry of the List of Waste."""
        entry = self.ewc.get(normalise_ewc(code))
        return bool(entry and entry.hazardous)

    def ewc_text(self, code: str | None) -> str:
        """Entry description plus its sub-chapter and chapter titles ('' when unknown)."""
        entry_key, sub_key, chap_key = ewc_keys(code)
        entry = self.ewc.get(entry_key)
        parts = [
            entry.description if entry else "",
            self.sub_chapters.get(sub_key, ""),
            self.chapters.get(chap_key, ""),
        ]
        return ". ".join(part for part in parts if part)

    def ewc_description(self, code: str | None) -> str:
        entry = self.ewc.get(normalise_ewc(code))
        return entry.description if entry else ""

    # --- categories ------------------------------------------------------------------

    def category_name(self, slug: str) -> str:
        category = self.categories.get(slug)
        return category.name if category else slug

    def category_group(self, slug: str) -> str:
        """Top-level slug of a category; unknown slugs are their own group."""
        category = self.categories.get(slug)
        return category.group if category else slug

    def category_proximity(self, a: str, b: str) -> float:
        """1.0 same category, 0.5 same parent (siblings, or parent and child), else 0.0.

        A want for a top-level category ('Mineral residues') is served by any of its
        children ('Ashes'), so parent/child counts as related, like siblings.
        """
        return float(
            category_proximity_keys(
                a or "", self.category_group(a or ""), b or "", self.category_group(b or "")
            )
        )


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@functools.lru_cache(maxsize=8)
def _resolved(data_dir: str) -> Path:
    # Resolving walks the file system (an lstat a path part); callers ask per listing.
    return Path(data_dir).resolve()


@functools.lru_cache(maxsize=8)
def _load_cached(data_dir: Path) -> Knowledge:
    ewc: dict[str, EwcEntry] = {}
    chapters: dict[str, str] = {}
    sub_chapters: dict[str, str] = {}
    for row in _read_csv(data_dir / "ewc_list_of_waste.csv"):
        code = normalise_ewc(row["code"])
        description = row.get("description_en_sentence_case") or row["description_en"]
        level = row["level"].strip()
        if level == "1":
            chapters[code] = description
        elif level == "2":
            sub_chapters[code] = description
        elif level == "3":
            ewc[code] = EwcEntry(
                code=code,
                description=description,
                hazardous=row["hazardous"].strip().lower() == "true",
                mirror=row["mirror_entry"].strip().lower() == "true",
                mirror_counterparts=tuple(row["mirror_counterparts"].split()),
                chapter=code[:2],
                sub_chapter=code[:4],
            )
    categories: dict[str, Category] = {}
    for row in _read_csv(data_dir / "material_categories.csv"):
        slug = row["slug"].strip()
        categories[slug] = Category(
            slug=slug,
            name=row["name"].strip(),
            parent=row["parent"].strip(),
            keywords=tuple(row["keywords"].split()),
        )
    base = data_dir / "knowledge"
    # Read-only views: the instance is cached and shared by every caller in the process.
    return Knowledge(
        ewc=MappingProxyType(ewc),
        chapters=MappingProxyType(chapters),
        sub_chapters=MappingProxyType(sub_chapters),
        categories=MappingProxyType(categories),
        data_dir=data_dir,
        materials=MappingProxyType(_load_materials(base / "materials.csv")),
        uses=MappingProxyType(_load_uses(base / "uses.csv")),
        pathways=_load_pathways(base / "pathways.csv"),
        synonyms=_load_synonyms(base / "synonyms.csv"),
        nace_flows=_load_nace_flows(base / "nace_flows.csv"),
    )


def _optional_csv(path: Path) -> list[dict[str, str]]:
    return _read_csv(path) if path.is_file() else []


def _cell(row: Mapping[str, str | None], name: str) -> str:
    return (row.get(name) or "").strip()


def _codes(value: str) -> tuple[str, ...]:
    """Codes in a cell, separated by spaces, commas, semicolons or bars."""
    return tuple(part for part in re.split(r"[\s,;|]+", value or "") if part)


def _terms(value: str) -> tuple[str, ...]:
    """Terms in a cell, separated by semicolons or bars (commas may be inside a term)."""
    return tuple(part.strip() for part in re.split(r"[;|]", value or "") if part.strip())


def _load_materials(path: Path) -> dict[str, Material]:
    materials = {}
    for row in _optional_csv(path):
        slug = _cell(row, "slug")
        if slug:
            materials[slug] = Material(
                slug=slug,
                category=_cell(row, "category"),
                name=_cell(row, "name") or slug,
                ewc=tuple(normalise_ewc(c) for c in _codes(_cell(row, "ewc")) if normalise_ewc(c)),
                terms=_terms(_cell(row, "terms")),
                state=_cell(row, "state"),
            )
    return materials


def _load_uses(path: Path) -> dict[str, Use]:
    uses = {}
    for row in _optional_csv(path):
        slug = _cell(row, "slug")
        if slug:
            uses[slug] = Use(
                slug=slug,
                name=_cell(row, "name") or slug,
                terms=_terms(_cell(row, "terms")),
                nace=_codes(_cell(row, "nace")),
                accepts_categories=_codes(_cell(row, "accepts_categories")),
            )
    return uses


def _load_pathways(path: Path) -> tuple[Pathway, ...]:
    return tuple(
        Pathway(
            id=_cell(row, "id"),
            material=_cell(row, "material"),
            use=_cell(row, "use"),
            evidence=_cell(row, "evidence"),
            process=_cell(row, "process"),
            source=_cell(row, "source"),
            source_year=_cell(row, "source_year"),
            source_url=_cell(row, "source_url"),
        )
        for row in _optional_csv(path)
        if _cell(row, "material") and _cell(row, "use")
    )


def _load_synonyms(path: Path) -> tuple[tuple[str, ...], ...]:
    groups: dict[str, list[str]] = {}
    for row in _optional_csv(path):
        terms = _terms(_cell(row, "terms"))
        key = _cell(row, "group") or (terms[0] if terms else "")
        groups.setdefault(key, []).extend(terms)
    return tuple(tuple(dict.fromkeys(terms)) for terms in groups.values() if len(terms) > 1)


def _load_nace_flows(path: Path) -> tuple[NaceFlow, ...]:
    return tuple(
        NaceFlow(
            nace=_cell(row, "nace"),
            direction=_cell(row, "direction").lower(),
            target=_cell(row, "material_or_use"),
            source=_cell(row, "source"),
        )
        for row in _optional_csv(path)
        if _cell(row, "nace") and _cell(row, "material_or_use")
    )
