"""The reference data the product uses (EWC codes, material categories), read once.

The engine owns parsing (``matching.engine.knowledge``); this module binds it to the
project's data folder and offers Django-friendly choices and validators.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from matching.engine import Knowledge


def knowledge(
    *, components: str | None = None, blocking: bool | None = None, semantic: str | None = None
) -> Knowledge:
    """The project's knowledge base with the configured score components (cached).

    Each option left ``None`` comes from its setting (``MATCH_COMPONENTS``,
    ``MATCH_BLOCKING``, ``SEMANTIC_BACKEND``); the evaluation harness passes its own.
    """
    from matching.engine import Knowledge, load_embedder

    if semantic is None:
        semantic = getattr(settings, "SEMANTIC_BACKEND", "")
    if components is None:
        components = getattr(settings, "MATCH_COMPONENTS", "")
    if blocking is None:
        blocking = getattr(settings, "MATCH_BLOCKING", True)
    return Knowledge.load(settings.DATA_DIR).configured(
        components=components or None, blocking=blocking, embedder=load_embedder(semantic)
    )


def category_choices() -> list[tuple[str, str]]:
    kb = knowledge()
    return [("", "—")] + [(slug, kb.categories[slug].name) for slug in kb.categories]


def validate_category(value: str) -> None:
    if value and value not in knowledge().categories:
        raise ValidationError(_("Unknown material category “%(value)s”."), params={"value": value})


def normalise_ewc(value: str) -> str:
    """'10 01 02*' → '100102'; the star is informational, the code says hazard."""
    return "".join(ch for ch in (value or "") if ch.isdigit())


def validate_ewc(value: str) -> None:
    if value and value not in knowledge().ewc:
        raise ValidationError(
            _("“%(value)s” is not a European List of Waste entry (six digits, e.g. 10 01 02)."),
            params={"value": value},
        )


def ewc_display(code: str) -> str:
    """'100102' → '10 01 02' (with a star when hazardous); '' stays ''."""
    if not code:
        return ""
    entry = knowledge().ewc.get(code)
    spaced = " ".join(code[i : i + 2] for i in range(0, len(code), 2))
    return spaced + ("*" if entry is not None and entry.hazardous else "")


@lru_cache(maxsize=1)
def nace_titles() -> dict[str, str]:
    """NACE Rev. 2 code → title, from data/nace_rev2.csv."""
    with open(settings.DATA_DIR / "nace_rev2.csv", encoding="utf-8") as handle:
        return {row["code"]: row["title"] for row in csv.DictReader(handle)}
