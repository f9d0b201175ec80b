"""The reference data the product uses (EWC codes, material categories), read once.

The engine owns the knowledge base (``matching.engine.knowledge``); this module binds it to the
project's data folder and offers Django-friendly choices and validators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# NACE titles and EWC codes live with the other reference data, below the apps (accounts
# reads them too); re-exported here for matching's modules.
from symbiosis import reference
from symbiosis.reference import ewc_display, nace_titles, normalise_ewc  # noqa: F401

if TYPE_CHECKING:
    from matching.engine.knowledge import Knowledge


def knowledge() -> Knowledge:
    """The project's knowledge base with the configured score components (cached)."""
    from matching.engine.knowledge import Knowledge
    from matching.engine.semantic import load_embedder

    embedder = load_embedder(getattr(settings, "SEMANTIC_BACKEND", ""))
    return Knowledge.load(settings.DATA_DIR).configured(
        components=getattr(settings, "MATCH_COMPONENTS", "") or None,
        blocking=getattr(settings, "MATCH_BLOCKING", True),
        embedder=embedder,
    )


def category_choices() -> list[tuple[str, str]]:
    kb = knowledge()
    return [("", "—")] + [(slug, kb.categories[slug].name) for slug in kb.categories]


def validate_category(value: str) -> None:
    if value and value not in knowledge().categories:
        raise ValidationError(_("Unknown material category “%(value)s”."), params={"value": value})


def validate_ewc(value: str) -> None:
    if value and value not in reference.ewc_codes():
        raise ValidationError(
            _("“%(value)s” is not a European List of Waste entry (six digits, e.g. 10 01 02)."),
            params={"value": value},
        )
