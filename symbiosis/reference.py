"""Reference data every app reads: NACE Rev. 2 sectors and the European List of Waste.

It lives here, below the apps, so that accounts (a company's sector) and matching (a
listing's EWC code, a counterpart's sector) both read it without one importing the other.
The files are read once from ``settings.DATA_DIR`` (provenance in data/PROVENANCE.md).
The engine parses the same EWC file for its scoring tables (``matching.engine.knowledge``
may not import Django); tests/project/test_reference.py checks that the two agree.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from django.conf import settings

# Divisions (23), groups (23.5) and classes (23.51): the levels a company may pick.
_NACE_CODE = re.compile(r"^\d{2}(\.\d{1,2})?$")


@dataclass(frozen=True)
class EwcCode:
    """One entry (six digits) of the European List of Waste."""

    code: str  # digits only: "100102"
    description: str
    hazardous: bool

    @property
    def display(self) -> str:
        """'10 01 02', with a star when the entry is hazardous."""
        return ewc_display(self.code)


@lru_cache(maxsize=1)
def nace_titles() -> dict[str, str]:
    """NACE Rev. 2 code → title (sections, divisions, groups, classes), from nace_rev2.csv."""
    with open(settings.DATA_DIR / "nace_rev2.csv", encoding="utf-8") as handle:
        return {row["code"]: row["title"] for row in csv.DictReader(handle)}


def nace_title(code: str) -> str:
    """The title of a NACE code, or the code itself when the list does not know it."""
    return nace_titles().get(code, code)


def nace_options() -> list[tuple[str, str]]:
    """(code, title) of the NACE divisions, groups and classes a company may pick."""
    return [(code, title) for code, title in nace_titles().items() if _NACE_CODE.match(code)]


def normalise_ewc(value: str | None) -> str:
    """'10 01 02*' → '100102'; the star is informational, the code says hazard."""
    return "".join(ch for ch in (value or "") if ch.isdigit())


@lru_cache(maxsize=1)
def ewc_codes() -> Mapping[str, EwcCode]:
    """Every entry of the List of Waste by its six digits (chapters and sub-chapters left out)."""
    codes: dict[str, EwcCode] = {}
    with open(settings.DATA_DIR / "ewc_list_of_waste.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["level"].strip() != "3":
                continue
            code = normalise_ewc(row["code"])
            codes[code] = EwcCode(
                code=code,
                description=row.get("description_en_sentence_case") or row["description_en"],
                hazardous=row["hazardous"].strip().lower() == "true",
            )
    return MappingProxyType(codes)


def ewc_display(code: str | None) -> str:
    """'100102' → '10 01 02' (with a star when hazardous); '' stays ''."""
    digits = normalise_ewc(code)
    if not digits:
        return ""
    entry = ewc_codes().get(digits)
    spaced = " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))
    return spaced + ("*" if entry is not None and entry.hazardous else "")
