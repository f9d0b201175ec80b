"""EWC code suggestions for the portal, the API and the command (the engine does the work)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from matching import catalogue
from matching.engine import (
    HAZARD_DEPENDS,
    HAZARD_NO,
    HAZARD_YES,
    EwcSuggester,
    Suggestion,
)

# Longer texts add nothing a firm would type into a listing, only work.
MAX_TEXT_LENGTH = 2000
MAX_SUGGESTIONS = 10

HAZARD_HINTS = {
    HAZARD_YES: _("Yes — an absolute hazardous entry"),
    HAZARD_DEPENDS: _("Depends — mirror entry, you decide from your analysis"),
    HAZARD_NO: _("No — an absolute non-hazardous entry"),
}


def ewc_suggester() -> EwcSuggester:
    """The suggester for the project's knowledge base (fitted once per process)."""
    return EwcSuggester.fit(catalogue.knowledge())


def ewc_suggest(*, text: str, k: int = 3) -> list[Suggestion]:
    """The ``k`` most likely List of Waste entries for a listing's text, best first."""
    text = (text or "").strip()[:MAX_TEXT_LENGTH]
    if not text:
        return []
    return ewc_suggester().suggest(text, k=max(1, min(k, MAX_SUGGESTIONS)))


def hazard_hint(suggestion: Suggestion) -> str:
    """The translated hazard hint of a suggestion."""
    return str(HAZARD_HINTS[suggestion.likely_hazardous])


def suggestion_as_dict(suggestion: Suggestion) -> dict:
    """A suggestion as plain data, for the API and ``suggest_ewc --json``."""
    return {
        "code": suggestion.code,
        "display": suggestion.display,
        "description": suggestion.description,
        "sub_chapter": suggestion.sub_chapter,
        "score": suggestion.score,
        "hazardous": suggestion.hazardous,
        "mirror": suggestion.mirror,
        "mirror_counterparts": list(suggestion.mirror_counterparts),
        "likely_hazardous": suggestion.likely_hazardous,
        "hazard_hint": hazard_hint(suggestion),
    }
