"""EWC code suggestions for the portal, the API and the command (the engine does the work)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from matching import catalogue
from matching.engine import (
    HAZARD_DEPENDS,
    HAZARD_NO,
    HAZARD_YES,
    EwcAdvice,
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
NOT_WASTE = _(
    "No waste code: “%(flow)s” is an energy, water or gas flow, not a waste. List it as a "
    "flow; a List of Waste code only applies to a substance or object discarded (such as a "
    "sludge, or contaminated water taken away as waste)."
)


def ewc_suggester() -> EwcSuggester:
    """The suggester for the project's knowledge base (fitted once per process)."""
    return EwcSuggester.fit(catalogue.knowledge())


def ewc_advice(*, text: str, k: int = 3, nace: str = "") -> EwcAdvice:
    """Suggestions for a listing's text with their reasons, or why there is none.

    ``nace`` is the producing company's NACE Rev. 2 sector: it steers the chapter.
    """
    text = (text or "").strip()[:MAX_TEXT_LENGTH]
    if not text:
        return EwcAdvice()
    return ewc_suggester().advise(text, k=max(1, min(k, MAX_SUGGESTIONS)), nace=nace or "")


def ewc_suggest(*, text: str, k: int = 3, nace: str = "") -> list[Suggestion]:
    """The ``k`` most likely List of Waste entries for a listing's text, best first."""
    return list(ewc_advice(text=text, k=k, nace=nace).suggestions)


def hazard_hint(suggestion: Suggestion) -> str:
    """The translated hazard hint of a suggestion."""
    return str(HAZARD_HINTS[suggestion.likely_hazardous])


def not_waste_message(advice: EwcAdvice) -> str:
    """Why no code is suggested, translated ("" when codes are suggested)."""
    if not advice.not_waste:
        return ""
    return str(NOT_WASTE) % {"flow": advice.flow or advice.not_waste}


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
        "mirror_partner": suggestion.mirror_partner,
        "mirror_question": suggestion.mirror_question,
        "why": {
            "words": list(suggestion.why.words),
            "chapter_rule": suggestion.why.chapter_rule,
            "hazard_signal": suggestion.why.hazard_signal,
        },
    }


def advice_as_dict(advice: EwcAdvice) -> dict:
    """The whole advice as plain data: suggestions, refusal, mirror question, readings."""
    return {
        "suggestions": [suggestion_as_dict(s) for s in advice.suggestions],
        "not_waste": not_waste_message(advice),
        "mirror_question": advice.mirror_question,
        "source": list(advice.source),
        "hazard_signal": advice.hazard.describe(),
    }
