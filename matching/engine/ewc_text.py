"""Waste descriptions as firms write them, made readable for EWC ranking (no Django).

Two steps run on a listing's text before the suggester ranks List of Waste entries:

- ``expand_jargon(text)``: trade jargon and abbreviations ("PFA", "IBA", "swarf",
  "red lead", "tar-bound planings") get the List of Waste's own words inserted after
  them, from ``data/knowledge/ewc_abbreviations.csv``. A term with several readings is
  resolved by context words elsewhere in the text: "PFA" beside "power station" is
  pulverised fuel ash, on its own it is the fluoropolymer; "DAF" beside "sludge" is
  dissolved-air flotation, beside "trucks" a vehicle make.
- ``material_focus(text)``: a long, chatty message keeps only its sentences about the
  material, its process or its hazard (greetings, prices, logistics and dates go), and
  packaging is told apart from its contents: "empty drums that held solvent" gains the
  15 01 packaging wording, "drums of waste solvent" loses the drum wording. ``read_focus``
  gives the same result as a ``Focus`` with what was decided, for explanations.

Both return plain text, so the suggester's own normalisation and models run unchanged.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from matching.engine.knowledge import DEFAULT_DATA_DIR

ABBREVIATIONS_FILE = "ewc_abbreviations.csv"

# A message is "long" above either limit; shorter ones are ranked whole.
LONG_CHARS = 300
LONG_SENTENCES = 2
# Long words are compared on their first letters (see ``_stem``).
KEY_LETTERS = 6
# A word in more than this share of List of Waste entries ("wastes", "containing") says
# nothing about which material a sentence is about.
GENERIC_SHARE = 0.04

PACKAGING_CONTENTS = "contents"
PACKAGING_EMPTY = "packaging"

_WORD = re.compile(r"[a-z]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+|(?<=[.!?])$")

# Words of the message around the material: greetings, logistics, prices and dates.
_CHATTER = frozenset(
    """
    hi hello dear morning afternoon evening thanks thank cheers regards kind best wishes hope
    please let know asap urgent urgently soon call ring phone email mail contact number mobile
    mate guys team sir madam yours sincerely faithfully appreciate help advise advice wondering
    price prices pricing cost costs costing quote quotes quotation rate rates invoice invoices
    pay paid payment budget cheap cheaper cheapest money charge charges charged fee fees
    collect collects collection collections collected pick pickup pickups lift lifts haulage
    haulier lorry lorries truck trucks van vans driver drivers delivery deliveries deliver
    access gate gates forklift booking book booked slot slots arrange arrange arranged
    schedule scheduled scheduling date dates day days week weeks weekly fortnight fortnightly
    month months monthly year tomorrow today yesterday monday tuesday wednesday thursday friday
    saturday sunday am pm time times contractor contractors supplier suppliers broker company
    account manager office reception paperwork
    """.split()
)
_STOP = frozenset(
    """
    a an the of and or from in for with our we us by to on at as is are be been it its this
    that these those which who has have had not than into out off about some any each all
    also other others otherwise specified mentioned except excluding including waste wastes
    there their them they you your i me my so but if can could would should will just get got
    very really quite more most much many lot lots only still yet here what when where how why
    do does did done being was were up down over under again new old
    """.split()
)
# Hazard words mark a material sentence even when the List of Waste vocabulary misses them.
_HAZARD = frozenset(
    """
    hazardous dangerous contaminated contamination toxic corrosive flammable asbestos lead
    mercury cadmium chromium arsenic pcb pcbs oil oily solvent solvents isocyanate biocide
    pesticide tested limits leachable coating coated paint
    """.split()
)

_PACK = (
    r"(?:drums?|barrels?|ibcs?|containers?|tins?|jerry ?cans?|jerricans?|kegs?|totes?|pails?"
    r"|tubs?|buckets?|canisters?|bottles?|cans|sacks?|bags?|cartridges?|packaging)"
)
# "empty drums", "drums that held solvent", "tins with paint residues": the packaging.
_EMPTY_PACKAGING = re.compile(
    rf"\bempty\b(?:\W+\w+){{0,4}}?\W+{_PACK}\b"
    rf"|\b{_PACK}\W+(?:\w+\W+){{0,2}}(?:that|which)?\s*(?:previously |once |had |have )?"
    rf"(?:held|contained|used to hold|used to contain)\b"
    rf"|\b{_PACK}\W+(?:with|containing|holding)\s+(?:\w+\s+)?(?:residues?|traces?|remnants?|dregs)\b"
    rf"|\b(?:residues?|traces?|remnants?)\s+(?:\w+\s+){{0,3}}in\s+(?:the\s+)?{_PACK}\b"
    rf"|\b(?:washed|rinsed|triple[- ]rinsed|cleaned|drained|used|emptied)\s+(?:\w+\s+)?{_PACK}\b",
    re.IGNORECASE,
)
# The words ``expand_jargon`` may have put after a packaging term ("IBCs (composite
# packaging ...)"), so both call orders read the same.
_EXPANDED = r"(?:\s*\([^()]*\))?"
_PARENTHESES = re.compile(r"\s*\([^()]*\)")
# "drums of waste solvent", "sludge in IBCs": the packaging only carries the material.
_CONTENTS_BEFORE = re.compile(
    rf"\b(?:\d+\s*(?:x\s*)?)?(?:\d+\s*(?:l|litre|liter|kg)s?\s+)?(?:full\s+)?{_PACK}"
    rf"{_EXPANDED}\s+(?:full of|filled with|of|containing)\s+",
    re.IGNORECASE,
)
_CONTENTS_AFTER = re.compile(
    rf"\s*\b(?:stored |held |kept |packed |supplied |delivered |sitting )?(?:in|into)\s+"
    rf"(?:\d+\s*(?:x\s*)?)?(?:\d+\s*(?:l|litre|liter|kg)s?\s+)?(?:\w+\s+)?{_PACK}\b{_EXPANDED}",
    re.IGNORECASE,
)
_CLEANED = re.compile(
    r"(?<!not )(?<!never )\b(?:washed|rinsed|triple[- ]rinsed|cleaned|decontaminated)\b", re.I
)
_HAZARDOUS_FORMER_CONTENTS = re.compile(
    r"\b(?:solvents?|thinners|oils?|diesel|petrol|fuel|paints?|inks?|acids?|alkali|caustic"
    r"|pesticides?|herbicides?|biocides?|chemicals?|resins?|adhesives?|glues?|isocyanates?"
    r"|toxic|corrosive|flammable|hazardous|dangerous|coshh)\b",
    re.IGNORECASE,
)
_PACKAGING_KIND = (
    (re.compile(r"\bibcs?\b", re.I), "composite packaging"),
    (re.compile(r"\b(?:steel|metal|metallic|tins?|cans|aluminium|aluminum)\b", re.I),
     "metallic packaging"),
    (re.compile(r"\b(?:plastic|hdpe|poly|polythene|jerry ?cans?|jerricans?)\b", re.I),
     "plastic packaging"),
    (re.compile(r"\b(?:paper|cardboard|fibre|fiber)\b", re.I), "paper and cardboard packaging"),
    (re.compile(r"\b(?:wood|wooden|timber)\b", re.I), "wooden packaging"),
)


@dataclass(frozen=True, slots=True)
class Reading:
    """One way to read a term: its List of Waste words, and when this reading applies."""

    expansion: str
    context: tuple[str, ...]  # empty: the reading when no other reading's context is met
    source: str


@dataclass(frozen=True, slots=True)
class Focus:
    """What ``material_focus`` did to a text.

    ``text`` is what to rank. ``dropped`` holds the sentences left out of a long message.
    ``packaging`` is ``"packaging"`` when the text lists empty packaging (15 01 wording
    added), ``"contents"`` when packaging only carries the material (packaging words
    removed), or ``""``.
    """

    text: str
    dropped: tuple[str, ...] = ()
    packaging: str = ""


_QUALIFIES = re.compile(
    r"\s+(?:filters?|drums?|tanks?|containers?|cans|tins?|bottles?|ibcs?|rags?|wipes?|cloths?"
    r"|absorbents?)\b",
    re.IGNORECASE,
)
_MIXED = re.compile(r"\bmix(?:ed|ture|tures)\b(?!\s+(?:in|into|up|with)\b)", re.IGNORECASE)
_NEGATED_AFTER = re.compile(r"[- ]?free\b", re.IGNORECASE)
_NEGATED_BEFORE = re.compile(r"\b(?:no|non|not|without|free of|free from)[- ]$", re.IGNORECASE)
# "scrap steel contaminated with oil and PCB residues": the term names what the material
# carries, not the material; the hazard rules read it from the firm's own words, and its
# List of Waste wording ("PCB ... insulating oils") would rank the contaminant instead.
_CONTAMINANT_BEFORE = re.compile(
    r"\b(?:contaminated|polluted|soiled|tainted|coated|stained)\s+(?:with|by)\s+"
    r"(?:[\w-]+(?:\s*,\s*|\s+and\s+|\s+or\s+|\s+)){0,3}$"
    r"|\b(?:traces?|residues?|remnants?)\s+of\s+(?:[\w-]+\s+){0,1}$",
    re.IGNORECASE,
)
_CONTAMINANT_AFTER = re.compile(
    r"[- ]?(?:residues?|traces?|contaminat\w*|contents?|-?laden|-?bearing)\b", re.IGNORECASE
)
# "screenings from the sewage works", "rejects from our OCC line": the term names the
# producer, which the source reading already weighs; its material wording ("sludges
# from ... urban waste water") would outrank the material the text names.
_PLACE_BEFORE = re.compile(
    r"\b(?:from|at|of|in|off)\s+(?:the|our|a|an|their|its|this|that)\s+(?:[\w-]+\s+){0,2}$",
    re.IGNORECASE,
)
_PLACE_AFTER = re.compile(
    r"\s+(?:plants?|lines?|works|sites?|facilit(?:y|ies)|mills?|units?|operations?|process"
    r"|halls?|shops?|yards?|depots?)\b",
    re.IGNORECASE,
)


def _context_pattern(word: str) -> re.Pattern[str]:
    # Short context words must match whole ("ale" is not "alert"); longer ones as a
    # word start, so "incinerat" covers incinerator and incineration.
    word = re.escape(word.lower())
    return re.compile(rf"\b{word}\b" if len(word) <= 3 else rf"\b{word}")


def term_role(text: str, start: int, end: int) -> str:
    """What a term at ``text[start:end]`` stands for: ``"contaminant"`` ("contaminated
    with PCB", "PCB residues"), ``"place"`` ("from the WWTP", "our OCC line") or
    ``"material"``. Only a material term gets its List of Waste wording."""
    before = text[max(0, start - 60):start]
    if _CONTAMINANT_BEFORE.search(before) or _CONTAMINANT_AFTER.match(text, end):
        return "contaminant"
    if _PLACE_AFTER.match(text, end) or _PLACE_BEFORE.search(before):
        return "place"
    return "material"


class JargonTable:
    """Terms with one or more readings, matched longest first, case-insensitively."""

    def __init__(self, rows: list[dict[str, str]]) -> None:
        self.readings: dict[str, list[Reading]] = {}
        self._context: dict[str, list[re.Pattern[str]]] = {}
        for row in rows:
            expansion = (row.get("expansion") or "").strip().lower()
            context = tuple(w.strip().lower() for w in (row.get("context_words") or "").split("|"))
            reading = Reading(expansion, tuple(w for w in context if w), row.get("source") or "")
            for term in (row.get("term") or "").split("|"):
                term = term.strip().lower()
                if term and expansion:
                    self.readings.setdefault(term, []).append(reading)
        for readings in self.readings.values():
            for reading in readings:
                self._context.setdefault(
                    "|".join(reading.context), [_context_pattern(w) for w in reading.context]
                )
        terms = sorted(self.readings, key=len, reverse=True)
        self.pattern = (
            re.compile(
                r"(?<![\w&])(?:" + "|".join(re.escape(term) for term in terms) + r")(?![\w&])",
                re.IGNORECASE,
            )
            if terms
            else None
        )

    @classmethod
    def load(cls, path: Path) -> JargonTable:
        if not path.is_file():
            return cls([])
        with path.open(encoding="utf-8", newline="") as handle:
            return cls(list(csv.DictReader(handle)))

    def resolve(self, term: str, text: str) -> Reading | None:
        """The reading of ``term`` in ``text``: the first whose context words occur in the
        text (with the term itself blanked out), else the one without context words."""
        readings = self.readings.get(term.lower(), [])
        context = re.sub(
            rf"(?<![\w&]){re.escape(term.lower())}(?![\w&])", " ", (text or "").lower()
        )
        default = None
        for reading in readings:
            if not reading.context:
                default = default or reading
            elif any(p.search(context) for p in self._context["|".join(reading.context)]):
                return reading
        return default

    def _resolve(self, term: str, text: str, context: str) -> Reading | None:
        # Other terms' meanings only choose between the readings of a term that would be
        # expanded anyway; they never make a context-only term ("offcuts": wood) apply.
        reading = self.resolve(term, text)
        if reading is not None and not reading.context and context != text:
            return self.resolve(term, context)
        return reading

    def expand(self, text: str, accept: Callable[[str], bool] | None = None) -> str:
        """``text`` with each resolved term followed by its List of Waste words, once.

        Only a term standing for the material is expanded (see ``term_role``), and only
        when ``accept(expansion)`` agrees: the suggester passes a check that the wording
        does not point to another producer's chapter than the source reading's.
        """
        if self.pattern is None or not text:
            return text or ""
        lowered = text.lower()
        seen: set[str] = set()
        # An ambiguous term is resolved by the other terms' meanings too: "C&D skip waste"
        # is a construction skip because C&D means construction and demolition.
        context = " ".join(
            [text, *(self.readings[m.group(0).lower()][0].expansion
                     for m in self.pattern.finditer(text)
                     if len(self.readings.get(m.group(0).lower(), ())) == 1)]
        )
        # A mixed load ("skip waste: timber, plasterboard, rubble") is its mixture, not
        # each of its parts: when a term reads as a mixture, only mixtures are expanded.
        mixed = bool(_MIXED.search(text)) or any(
            reading.expansion.startswith("mixed")
            for match in self.pattern.finditer(text)
            if (reading := self._resolve(match.group(0), text, context)) is not None
        )

        def insert(match: re.Match[str]) -> str:
            # "PCB-free", "no asbestos": a term the text rules out is not the material.
            if _NEGATED_AFTER.match(text, match.end()) or _NEGATED_BEFORE.search(
                text, 0, match.start()
            ):
                return match.group(0)
            # "used oil filters", "waste oil drums": the term only qualifies another thing.
            if _QUALIFIES.match(text, match.end()):
                return match.group(0)
            reading = self._resolve(match.group(0), text, context)
            if reading is None or reading.expansion in seen:
                return match.group(0)
            if mixed and not reading.expansion.startswith("mixed"):
                return match.group(0)
            if term_role(text, match.start(), match.end()) != "material":
                return match.group(0)
            if accept is not None and not accept(reading.expansion):
                return match.group(0)
            seen.add(reading.expansion)
            if reading.expansion in lowered:
                return match.group(0)
            return f"{match.group(0)} ({reading.expansion})"

        return self.pattern.sub(insert, text)


@functools.lru_cache(maxsize=4)
def jargon_table(data_dir: Path = DEFAULT_DATA_DIR) -> JargonTable:
    """The abbreviation table of a data folder, loaded once per process."""
    return JargonTable.load(Path(data_dir) / "knowledge" / ABBREVIATIONS_FILE)


def expand_jargon(
    text: str, data_dir: Path = DEFAULT_DATA_DIR, accept: Callable[[str], bool] | None = None
) -> str:
    """Insert the List of Waste's words after the jargon and abbreviations of ``text``
    ("IBA from our EfW" → "IBA (bottom ash and slag from incineration) from our EfW");
    ``accept`` may veto an expansion (see ``JargonTable.expand``)."""
    return jargon_table(Path(data_dir)).expand(text, accept)


def _stem(word: str) -> str:
    """A crude key that lets word forms meet: plural "s" dropped, long words cut to six
    letters ("demolishing" and "demolition", "processing" and "process")."""
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:KEY_LETTERS]


@functools.lru_cache(maxsize=4)
def material_vocabulary(data_dir: Path = DEFAULT_DATA_DIR) -> frozenset[str]:
    """Words that name a material, process, sector or hazard: the List of Waste's
    descriptions, the EWC training phrasings and the abbreviation table, without generic
    List of Waste words and without the chatter of a message."""
    data_dir = Path(data_dir)
    entries: list[str] = []
    path = data_dir / "ewc_list_of_waste.csv"
    if path.is_file():
        with path.open(encoding="utf-8", newline="") as handle:
            entries = [row.get("description_en") or "" for row in csv.DictReader(handle)]
    counts = Counter(w for text in entries for w in {_stem(w) for w in _WORD.findall(text.lower())})
    generic = {w for w, n in counts.items() if entries and n > GENERIC_SHARE * len(entries)}
    words = set(counts) - generic
    training = data_dir / "knowledge" / "ewc_training.csv"
    if training.is_file():
        with training.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                words.update(_stem(w) for w in _WORD.findall((row.get("text") or "").lower()))
    table = jargon_table(data_dir)
    for term, readings in table.readings.items():
        words.update(_stem(w) for w in _WORD.findall(term))
        for reading in readings:
            words.update(_stem(w) for w in _WORD.findall(reading.expansion))
    words.update(_HAZARD)
    return frozenset(w for w in words if len(w) > 2) - _STOP - {_stem(w) for w in _CHATTER}


def split_sentences(text: str) -> list[str]:
    """Sentences and lines of a message, stripped, empty ones dropped."""
    return [part.strip() for part in _SENTENCE_END.split(text or "") if part and part.strip()]


def _sentence_scores(
    sentence: str, vocabulary: frozenset[str], table: JargonTable
) -> tuple[int, int]:
    """(material words, chatter words) of one sentence; a jargon term counts as material."""
    words = [_stem(w) for w in _WORD.findall(sentence.lower())]
    material = len({w for w in words if w in vocabulary})
    chatter = sum(1 for w in _WORD.findall(sentence.lower()) if w in _CHATTER)
    if table.pattern is not None:
        material += len({m.group(0).lower() for m in table.pattern.finditer(sentence)})
    return material, chatter


def _focus_sentences(text: str, data_dir: Path) -> tuple[str, tuple[str, ...]]:
    sentences = split_sentences(text)
    if len(sentences) < 2 or (len(text) <= LONG_CHARS and len(sentences) <= LONG_SENTENCES):
        return text, ()
    vocabulary = material_vocabulary(data_dir)
    table = jargon_table(data_dir)
    scores = [_sentence_scores(sentence, vocabulary, table) for sentence in sentences]
    best = max(range(len(sentences)), key=lambda i: (scores[i][0] - scores[i][1], scores[i][0]))
    # Two material words make a material sentence even inside a greeting ("Dear Sir, we
    # run a meat processing plant"); one must outweigh the chatter around it.
    keep = [
        i == best or material >= 2 or (material > 0 and material >= chatter)
        for i, (material, chatter) in enumerate(scores)
    ]
    kept = [s for s, k in zip(sentences, keep, strict=True) if k]
    dropped = tuple(s for s, k in zip(sentences, keep, strict=True) if not k)
    return " ".join(kept), dropped


def _packaging_reading(text: str) -> tuple[str, str]:
    # Aerosols have entries of their own (16 05 04, 15 01 11), whatever their state.
    if re.search(r"\baerosols?\b", text, re.IGNORECASE):
        return text, ""
    if _EMPTY_PACKAGING.search(_PARENTHESES.sub("", text)):
        kinds = [words for pattern, words in _PACKAGING_KIND if pattern.search(text)]
        words = ["packaging", *kinds[:1]]
        if _HAZARDOUS_FORMER_CONTENTS.search(text) and not _CLEANED.search(text):
            words.append("packaging containing residues of or contaminated by hazardous substances")
        marker = f"({' '.join(words)})"
        # Idempotent: a text prepared twice is not weighted twice.
        return (text if marker in text else f"{text} {marker}"), PACKAGING_EMPTY
    stripped = _CONTENTS_BEFORE.sub(" ", text)
    stripped = _CONTENTS_AFTER.sub(" ", stripped)
    if stripped != text and re.search(r"\w", stripped):
        stripped = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s+", " ", stripped))
        return stripped.strip(), PACKAGING_CONTENTS
    return text, ""


def read_focus(text: str, data_dir: Path = DEFAULT_DATA_DIR) -> Focus:
    """``material_focus`` with what it decided (dropped sentences, packaging reading)."""
    focused, dropped = _focus_sentences(text or "", Path(data_dir))
    focused, packaging = _packaging_reading(focused)
    return Focus(text=focused, dropped=dropped, packaging=packaging)


def material_focus(text: str, data_dir: Path = DEFAULT_DATA_DIR) -> str:
    """The part of ``text`` that says what the material is: a long message reduced to its
    material sentences; empty packaging marked with the 15 01 wording; packaging that only
    holds the material ("drums of waste solvent") left out. Short plain texts come back
    unchanged."""
    return read_focus(text, data_dir).text
