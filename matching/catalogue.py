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


# ``scoring_knowledge``'s default: the ranker in use (``selectors.ranker_current``).
CURRENT = "current"


def scoring_knowledge(
    *, components: str | None = None, blocking: bool | None = None,
    semantic: str | None = None, ranker=CURRENT,
) -> Knowledge:
    """``knowledge()`` with the ranker that gives the final score: by default the one in
    use (the active ``RankerModel``, or the hand-set weights when none is), or the given
    ``LearnedRanker`` (``None``: the hand-set weights). For everything that scores pairs."""
    kb = knowledge(components=components, blocking=blocking, semantic=semantic)
    if ranker == CURRENT:
        from matching.selectors import ranker_current

        ranker = ranker_current()
    return kb.configured(components=kb.config.components, blocking=kb.config.blocking,
                         ranker=ranker)


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
