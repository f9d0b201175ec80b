"""Words of a listing: folding, stemming, stop words and the weight of each token by
where it stands (title, purpose clause, source, components).
"""

from __future__ import annotations

import functools
import re

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from matching.engine.ngrams import strip_accents

MAX_NGRAM = 4
# Words that carry no material meaning in listings (kept out of phrases and soft matching).
DOMAIN_STOP_WORDS = frozenset(
    {
        "available", "availability", "approx", "approximately", "around", "tonne", "tonnes",
        "ton", "tons", "year", "yearly", "annual", "annually", "month", "monthly", "week",
        "weekly", "day", "daily", "per", "ca", "etc", "ie", "eg", "t", "kg", "m3",
        "mwh", "gj", "kwh", "mw", "kw", "yr", "l", "site", "plant", "company", "firm",
        "looking", "seeking", "need", "needs", "needed", "wanted", "want", "offer", "offered",
        "supply", "supplied", "regular", "quantity", "quantities", "local", "nearby",
    }
)  # fmt: skip
# English stop words that name things in industry ("bottom ash", "fill", "mill scale").
KEPT_WORDS = frozenset(
    {
        "bottom",
        "fire",
        "fill",
        "mill",
        "mine",
        "top",
        "thick",
        "thin",
        "empty",
        "co",
        "well",
        "full",
        "system",
        "part",
    }
)
STOP_WORDS = (frozenset(ENGLISH_STOP_WORDS) - KEPT_WORDS) | DOMAIN_STOP_WORDS
# Words that qualify a material rather than name it ("dry", "spent", "mixed"): alone they
# never identify a material or a use.
MODIFIERS = frozenset(
    {
        "dry", "dried", "wet", "moist", "clean", "fresh", "mixed", "used", "spent", "surplus",
        "ground", "crushed", "recycled", "recovered", "reclaimed", "raw", "fine", "coarse",
        "hot", "warm", "cold", "cool", "liquid", "solid", "low", "high", "grade", "quality",
        "industrial", "organic", "inorganic", "treated", "untreated", "contaminated",
        "hazardous", "non", "secondary", "primary", "post", "pre", "consumer", "new", "old",
        "light", "heavy", "pure", "purity", "rich", "excess", "residual", "byproduct",
        "product", "material", "materials", "stream", "type", "process", "production",
        "sorted", "separated", "segregated", "shredded", "dewatered", "bulk", "loose",
        "small", "large", "medium", "good", "virgin", "cheap", "cost", "waste", "residue",
        "scrap", "reject", "off", "cut", "end", "life", "based", "free", "containing",
        "source", "supply", "feedstock", "input", "output", "plant", "unit",
        "arising", "arisings", "removal", "generated", "remaining", "left",
    }
)  # fmt: skip
TEXT_STOP_WORDS = sorted(frozenset(ENGLISH_STOP_WORDS) - KEPT_WORDS)
# A want's purpose starts at these words; the material it asks for comes before.
PURPOSE_MARKERS = frozenset({"for", "to", "into", "as"})
PURPOSE_WEIGHT = 0.15
# An offer's source ("… from our dairy", "… in cement making") hints at the material.
SOURCE_MARKERS = frozenset({"from", "in", "at"})
SOURCE_WEIGHT = 0.5
# What a material contains or carries ("sludge containing paint") is not what it is.
COMPONENT_MARKERS = frozenset({"containing", "contaminated", "including", "with"})
COMPONENT_WEIGHT = 0.5
TITLE_WEIGHT = 1.5
GAP_WEIGHT = 0.8
MODIFIER_ONLY = 0.3  # a phrase made of modifiers only ("drying") is weak evidence
NESTED_WEIGHT = 0.4  # a phrase seen only inside a longer phrase of other concepts

# British and American spellings meet in one form.
_SPELLING = (
    (re.compile(r"sulph"), "sulf"),
    (re.compile(r"^(fib|lit|cent|met|lust)re(s?)$"), r"\1er\2"),
    (re.compile(r"^tyre"), "tire"),
    (re.compile(r"^aluminium"), "aluminum"),
    (re.compile(r"^(\w{4,})is(e|ed|es|ing|ation|er)$"), r"\1iz\2"),
    (re.compile(r"^colour"), "color"),
    (re.compile(r"^gaseous$"), "gas"),
    (re.compile(r"^mould"), "mold"),
    # The agent and its action meet: an oxidant is an oxidising (oxidizing) chemical.
    (re.compile(r"^oxid(?:ants?|i[sz]ers?|i[sz]ing|i[sz]e[sd]?)$"), "oxidiz"),
)
_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)?")
_POSSESSIVE = re.compile(r"['’]s\b")
# "e-waste", "c&d waste", "x-ray": a lone letter joins the word it prefixes.
_LETTER_PREFIX = re.compile(r"\b([a-z])\s?[-&]\s?(?=[a-z])")


def _fold(text: str) -> str:
    text = strip_accents(text).lower()  # "CO₂" and "m³" are ASCII once decomposed
    # Formulae and units that matter: "CO2", "CO₂", "H2S" stay one token.
    text = text.replace("₂", "2").replace("₃", "3")
    # Most texts have neither an apostrophe nor a joining mark: skip the scans.
    if "'" in text or "’" in text:
        text = _POSSESSIVE.sub("", text)
    if "-" in text or "&" in text:
        text = _LETTER_PREFIX.sub(r"\1", text)
    return text


@functools.lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """A light, deterministic English stemmer (plurals, -ing, -ed, spelling variants)."""
    word = token
    for pattern, replacement in _SPELLING:
        word = pattern.sub(replacement, word)
    if len(word) <= 3 or word[-1].isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ied") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "shes", "ches", "xes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is", "ys")):
        word = word[:-1]
    suffix = ""
    if word.endswith("ing") and len(word) >= 6:
        suffix = "ing"
    elif word.endswith("ed") and len(word) >= 5 and not word.endswith("eed"):
        suffix = "ed"
    if suffix:
        word = word[: -len(suffix)]
        if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
            word = word[:-1]
        elif _SHORT_STEM.match(word):
            # "mined", "liming", "cured": a short stem lost its final e (mine, lime, cure).
            word += "e"
    # Process nouns meet their verbs: gasification/gasified, carbonation/carbonate,
    # neutralisation/neutralise, digestion/digest, extraction/extract.
    for suffix, replacement in _DERIVATIONS:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + replacement
            break
    if len(word) > 4 and word.endswith("e") and not word.endswith("ee"):
        word = word[:-1]
    return word


_SHORT_STEM = re.compile(r"^[^aeiou][aeiou][^aeiouwxy]$")
_DERIVATIONS = (
    ("ification", "ify"),
    ("ization", "ize"),
    ("mentation", "ment"),
    ("ation", "ate"),
    ("ction", "ct"),
    ("stion", "st"),
)


def tokens(text: str) -> list[str]:
    """Stemmed content tokens of a text, stop words dropped, order kept."""
    words = _WORDS
    out = []
    for raw in _raw_tokens(text):
        word = words.get(raw)
        if word is None:
            word = _word(raw)
        if word:
            out.append(word)
    return out


# Raw token → its stemmed content word, or "" when it is dropped: the same decision for
# every occurrence, taken once (a national rematch reads tens of millions of tokens).
_WORDS: dict[str, str] = {}
_WORDS_MAX = 500_000


def _word(raw: str) -> str:
    if raw in STOP_WORDS or (len(raw) == 1 and not raw.isdigit()):
        word = ""
    else:
        word = stem(raw)
        if word in STOP_WORDS:
            word = ""
    if len(_WORDS) >= _WORDS_MAX:
        _WORDS.clear()
    _WORDS[raw] = word
    return word


@functools.lru_cache(maxsize=8)
def _raw_tokens(text: str) -> tuple[str, ...]:
    # A listing's title and description are read twice in a row (material, then use).
    return tuple(_TOKEN.findall(_fold(text)))


# The weight a marker word caps the rest of a text at, by (purpose_split, source_split).
_MARKERS = {
    (purpose, source): {
        **dict.fromkeys(COMPONENT_MARKERS, COMPONENT_WEIGHT),
        **(dict.fromkeys(SOURCE_MARKERS, SOURCE_WEIGHT) if source else {}),
        **(dict.fromkeys(PURPOSE_MARKERS, PURPOSE_WEIGHT) if purpose else {}),
    }
    for purpose in (False, True)
    for source in (False, True)
}


def weighted_tokens(
    text: str, *, purpose_split: bool = False, source_split: bool = False
) -> list[tuple[str, float]]:
    """Tokens with a weight: lower after a purpose marker ("for", "to", "as") when
    ``purpose_split`` (wants), or after "from" when ``source_split`` (offers: the
    source of a material hints at it but does not name it)."""
    markers = _MARKERS[(purpose_split, source_split)]
    words = _WORDS
    out = []
    weight = 1.0
    for raw in _raw_tokens(text):
        cap = markers.get(raw)
        if cap is not None and out:
            if cap < weight:
                weight = cap
            continue
        word = words.get(raw)
        if word is None:
            word = _word(raw)
        if word:
            out.append((word, weight))
    return out


def phrase_key(text: str) -> str:
    """The lookup key of a phrase: its stemmed content tokens joined by spaces."""
    return " ".join(tokens(text))
