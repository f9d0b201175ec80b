"""Reference knowledge: the European List of Waste and the material categories.

Loaded from the project's CSV files (``data/``); pure functions compare codes so the
scorer can use them on scalars and NumPy arrays alike.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"

EWC_SAME_ENTRY = 1.0
EWC_SAME_SUB_CHAPTER = 0.6
EWC_SAME_CHAPTER = 0.3
CATEGORY_SAME = 1.0
CATEGORY_RELATED = 0.5


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
    """Vectorised EWC proximity on ``ewc_keys`` (string arrays broadcast)."""
    entry_a, sub_a, chap_a = (np.asarray(x, dtype=str) for x in (entry_a, sub_a, chap_a))
    entry_b, sub_b, chap_b = (np.asarray(x, dtype=str) for x in (entry_b, sub_b, chap_b))
    return np.select(
        [
            (entry_a == entry_b) & (entry_a != ""),
            (sub_a == sub_b) & (sub_a != ""),
            (chap_a == chap_b) & (chap_a != ""),
        ],
        [EWC_SAME_ENTRY, EWC_SAME_SUB_CHAPTER, EWC_SAME_CHAPTER],
        default=0.0,
    )


def ewc_proximity(a: str | None, b: str | None) -> float:
    """1.0 same entry, 0.6 same sub-chapter, 0.3 same chapter, 0.0 otherwise or if empty."""
    return float(ewc_proximity_keys(*ewc_keys(a), *ewc_keys(b)))


def category_proximity_keys(
    slug_a: ArrayLike, group_a: ArrayLike, slug_b: ArrayLike, group_b: ArrayLike
) -> np.ndarray:
    """Vectorised category proximity on (slug, group) string arrays."""
    slug_a, group_a, slug_b, group_b = (
        np.asarray(x, dtype=str) for x in (slug_a, group_a, slug_b, group_b)
    )
    return np.select(
        [(slug_a == slug_b) & (slug_a != ""), (group_a == group_b) & (group_a != "")],
        [CATEGORY_SAME, CATEGORY_RELATED],
        default=0.0,
    )


@dataclass(frozen=True, eq=False)
class Knowledge:
    """EWC entries and material categories, read once per data folder."""

    ewc: Mapping[str, EwcEntry]
    chapters: Mapping[str, str]  # "10" → title
    sub_chapters: Mapping[str, str]  # "1001" → title
    categories: Mapping[str, Category]
    data_dir: Path | None = None

    @classmethod
    def load(cls, data_dir: Path | str | None = None) -> Knowledge:
        """Load (and cache per resolved folder) from ``data_dir`` (default: the repo's data)."""
        return _load_cached(Path(data_dir or DEFAULT_DATA_DIR).resolve())

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
    # Read-only views: the instance is cached and shared by every caller in the process.
    return Knowledge(
        ewc=MappingProxyType(ewc),
        chapters=MappingProxyType(chapters),
        sub_chapters=MappingProxyType(sub_chapters),
        categories=MappingProxyType(categories),
        data_dir=data_dir,
    )
