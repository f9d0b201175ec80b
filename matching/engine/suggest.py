"""Assisted EWC coding: suggest List of Waste codes for a free-text listing (no Django).

``EwcSuggester.fit(data_dir_or_knowledge)`` learns one multinomial naive Bayes model over
TF-IDF word and character n-grams; ``suggest(text, k)`` returns the ``k`` most likely
codes with their hazard hint. Training texts, per code:

- the code's own description, with cross-references ("other than those mentioned in
  01 03 04") removed; a non-hazardous mirror entry, whose description is often only such a
  reference, also borrows its hazardous counterpart's wording;
- the sub-chapter and chapter titles and the industry context rows of
  ``knowledge/ewc_training.csv`` (rows whose code is a 2- or 4-digit prefix count for every
  entry under it: "brewery" is evidence for all of 02 07 and the material decides within);
- the producer phrasings of ``knowledge/ewc_training.csv`` (6-digit rows);
- the terms and name of every material of ``knowledge/materials.csv`` that lists the code
  (a prefix spreads, with a lower weight, to the entries under it), and the titles of the
  NACE sectors that ``knowledge/nace_flows.csv`` says produce that material;
- synonym groups (``knowledge/synonyms.csv``): every text mentioning a member of a group,
  in training and in the query, also gets the group's marker word, so "PFA" learnt for an
  entry also counts for "pulverised fuel ash".

A purpose clause in the query ("... ideal for concrete", "... for cement kilns") names a
destination, not the material: it counts less in the main model, and a second model reads
it against the uses each entry's material goes to (``knowledge/pathways.csv``).

Naive Bayes adds up evidence word by word, so "from our brewery" (industry) and "spent
grain" (material) each push the right way, and words the model never saw count for nothing.
The counts are kept sparse; fitting takes well under a second on the shipped data, and the
same data always gives the same ranking (ties resolve in code order).

On top of the model, ``advise`` applies the List of Waste's own rules (Decision 2000/532/EC,
Annex, "How to use the list"; Commission notice 2018/C 124/01):

- **Not a waste.** Heat, steam, water and CO2 flows get no code, and the advice says why.
- **The source decides the chapter.** The producer is read from the company's NACE sector
  (``knowledge/ewc_nace_chapters.csv``) and site or process words in the text
  (``knowledge/ewc_source_words.csv``); entries of the producing process's chapter (01-12,
  17-20) gain, chapters 13-15 and then 16 only serve when that chapter has nothing
  fitting, and a 99 entry ("not otherwise specified") loses a little everywhere.
  Separately collected packaging goes to 15 01 whatever the source.
- **Mirror entries.** A mirror table is derived from the descriptions (the non-hazardous
  entry names its starred counterpart: "other than those mentioned in 17 05 03"). When the
  best entry has a counterpart, both are shown with the deciding question, and the text's
  hazard signals (``knowledge/ewc_hazard_signals.csv``: named hazardous constituents, or a
  test result below limits, with negation such as "asbestos-free") decide their order;
  a named constituent never leaves the non-hazardous side first.
- **Why.** Every suggestion carries the words that led to it, the chapter rule applied
  and the hazard signal found.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.engine.knowledge import DEFAULT_DATA_DIR, EwcEntry, Knowledge, ewc_display

# Hazard hints for a suggested code (the Django side translates the labels).
HAZARD_YES = "yes"
HAZARD_DEPENDS = "depends"
HAZARD_NO = "no"
HAZARD_LABELS = {
    HAZARD_YES: "yes — hazardous entry",
    HAZARD_DEPENDS: "depends — mirror entry, you decide",
    HAZARD_NO: "no — non-hazardous entry",
}

TRAINING_FILE = "ewc_training.csv"
HAZARD_SIGNALS_FILE = "ewc_hazard_signals.csv"
MIRROR_EXAMPLES_FILE = "ewc_mirror_examples.csv"
NACE_CHAPTERS_FILE = "ewc_nace_chapters.csv"
SOURCE_WORDS_FILE = "ewc_source_words.csv"

# Model settings, tuned on bench/data/ewc-dev.json (see data/knowledge/EWC_TRAINING.md).
WORD_ALPHA = 0.05  # additive smoothing of the word model
CHAR_ALPHA = 0.1  # additive smoothing of the character model
PATHWAY_WEIGHT = 0.5  # the pathway model's log-likelihood of a purpose clause
PURPOSE_WEIGHT = 0.35  # words of a purpose clause ("... for cement kilns") count this much
CHAR_WEIGHT = 0.75  # the character model's log-likelihood counts this much
CONTEXT_WEIGHT = 1.0  # industry-context and title rows, per entry under their prefix
MATERIAL_WEIGHT = 0.5  # materials.csv terms for the first entry the material lists
MATERIAL_OTHER_WEIGHT = 0.15  # ... for its further entries (often a co-incineration twin)
MATERIAL_PREFIX_WEIGHT = 0.15  # ... and for the entries under a listed prefix
SECTOR_WEIGHT = 0.25  # titles of sectors producing a material, for its entries
SYNONYM_WEIGHT = 0.5  # a synonym group's marker word counts this much
TEMPERATURE = 1.2  # softens the posterior reported as ``score`` (ranking is unaffected)
# Rules of the List of Waste on top of the model (log-likelihood units), tuned on the build
# sets (bench/data/ewc-dev.json, ewc-heldout.json, ewc-build-hard.json; docs/matching.md).
SOURCE_BONUS = 2.5  # an entry under the producer's chapter or sub-chapter
NOS_PENALTY = 0.25  # a 99 entry ("wastes not otherwise specified"): only when nothing fits
EXPANSION_OFF_SOURCE_WEIGHT = 0.5  # a 13-16 expansion outside the producer's chapter
EXPANSION_NEAR_GAP = 4.0  # ... that an entry of the producer's chapter reads nearly as well
CHAPTER16_PENALTY = 1.0  # chapter 16 comes after the source chapter and 13-15
PACKAGING_BONUS = 5.0  # separately collected packaging: 15 01 whatever the source
MIRROR_REACH = 10  # a counterpart ranked this far down still joins the best entry
WHY_WORDS = 4  # words shown in a suggestion's "why"

STOP_WORDS = (
    "a an the of and or from in for with our we us by to on at as is are be been it its this "
    "that these those per which who has have had other others not otherwise specified mentioned "
    "than into out off about approx approximately around roughly some any each all also".split()
)

# Spellings folded before vectorising, so the model works without the synonyms file too.
_SPELLINGS = (
    (r"\bsulfur", "sulphur"),
    (r"\bsulfat", "sulphat"),
    (r"\baluminum\b", "aluminium"),
    (r"\bfiber", "fibre"),
    (r"\btires?\b", "tyre"),
    (r"\bpulverized\b", "pulverised"),
    (r"\bfluidized\b", "fluidised"),
    (r"\bdesulfuri[sz]ation\b", "desulphurisation"),
)
_CROSS_REFERENCE = re.compile(
    r"\((?:except|excluding)[^)]*\)"
    r"|\b(?:other|others) than (?:that|those|the wastes?) mentioned in[\d ,]*(?:(?:and|or)[\d ]+)*"
    r"|\bother than\s+\d\d \d\d \d\d"
    r"|\bincluded in[\d ,]*(?:(?:and|or)[\d ]+)*"
    r"|\bmentioned in[\d ,]*(?:(?:and|or)[\d ]+)*"
)
_HAZARD_WORDING = re.compile(
    r"\b(?:containing or contaminated with|contaminated with|contaminated by|containing|"
    r"consisting of or containing) (?:hazardous|dangerous) (?:substances|components)\b"
)
# A purpose clause names where the material could go, not what it is ("SRF pellets for
# cement kilns", "ash, ideal for concrete"); it runs to the end of its sentence.
_PURPOSE = re.compile(
    r"\b(?:(?:suitable|ideal|intended|destined|usable|good|perfect|sold|used|available)\s+)?"
    r"(?:for|to replace|as a replacement for|as a substitute for|could be used|can be used)\b"
    r"[^.;\n]*"
)
_CODE_IN_TEXT = re.compile(r"(?<!\d)(\d\d)[ .]?(\d\d)[ .]?(\d\d)\*?(?!\d)")


@dataclass(frozen=True, slots=True)
class Why:
    """What led to a suggestion: the text's words, the chapter rule, the hazard signal."""

    words: tuple[str, ...] = ()
    chapter_rule: str = ""
    hazard_signal: str = ""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested List of Waste entry for a text."""

    code: str  # "100102"
    display: str  # "10 01 02" (with a star when hazardous)
    description: str
    sub_chapter: str  # the sub-chapter's title: "Wastes not otherwise specified" needs it
    score: float  # relative confidence in [0, 1]; the suggestions of one text sum to ≤ 1
    hazardous: bool
    mirror: bool
    mirror_counterparts: tuple[str, ...]
    likely_hazardous: str  # HAZARD_YES, HAZARD_DEPENDS or HAZARD_NO
    why: Why = field(default_factory=lambda: Why())
    mirror_partner: str = ""  # the other side of the pair shown with it ("170504")
    mirror_question: str = ""  # the deciding question, on both sides of a shown pair

    @property
    def hazard_hint(self) -> str:
        """The English label of ``likely_hazardous``."""
        return HAZARD_LABELS[self.likely_hazardous]


def likely_hazardous(entry: EwcEntry) -> str:
    """``yes`` for an absolute hazardous entry, ``depends`` for either side of a mirror
    pair (the firm decides from its analysis), ``no`` for an absolute non-hazardous one.

    A starred mirror entry that names no non-hazardous counterpart (asbestos-containing
    construction materials) has no alternative to choose, so it counts as hazardous.
    """
    if entry.mirror and (entry.mirror_counterparts or not entry.hazardous):
        return HAZARD_DEPENDS
    return HAZARD_YES if entry.hazardous else HAZARD_NO


def _prepare(text: str, accept: Callable[[str], bool] | None = None) -> str:
    """The text as the ranking reads it: jargon expanded, long messages reduced to their
    material sentences, when the jargon module is installed (else unchanged). ``accept``
    may veto an expansion (see ``EwcSuggester._expansion_fits``)."""
    jargon = _jargon_module()
    if jargon is None:
        return text
    focused = jargon.material_focus(text)
    if accept is None:
        return jargon.expand_jargon(focused)
    return jargon.expand_jargon(focused, accept=accept)


@functools.cache
def _jargon_module():
    try:
        from matching.engine import ewc_text
    except ImportError:
        return None
    return ewc_text


def normalise_text(text: str) -> str:
    """Lower case, one spelling per British/American pair."""
    text = (text or "").lower()
    for pattern, replacement in _SPELLINGS:
        text = re.sub(pattern, replacement, text)
    return text


def split_purpose(text: str) -> tuple[str, str]:
    """(what the material is, where it could go): purpose clauses moved to the second."""
    purposes = [match.group(0) for match in _PURPOSE.finditer(text)]
    return _PURPOSE.sub(" ", text), " ".join(purposes)


def clean_description(description: str) -> str:
    """Drop the List of Waste's cross-references, which name codes rather than materials."""
    text = _CROSS_REFERENCE.sub(" ", description)
    text = re.sub(r"\d\d \d\d \d\d", " ", text)
    return re.sub(r"\s+", " ", text).strip(" ,.;")


def codes_in_text(text: str, known: Mapping[str, object]) -> list[str]:
    """List of Waste codes the firm typed itself ("10 01 02", "100102*"), in order."""
    found = []
    for match in _CODE_IN_TEXT.finditer(text or ""):
        code = "".join(match.groups())
        if code in known and code not in found:
            found.append(code)
    return found


class _NaiveBayes:
    """Multinomial naive Bayes over TF-IDF rows, with sparse per-code counts.

    ``log P(feature | code) = log(count + alpha) - log(total + alpha * n_features)``; only the
    ``log1p(count / alpha)`` part is stored (same sparsity as the counts), the rest is a
    per-code bias times the query's mass. (Dirichlet smoothing towards corpus frequencies
    was tried instead and ranked worse on the dev set.)
    """

    def __init__(
        self, vectorizer: TfidfVectorizer, alpha: float, *, marker_weight: float = 1.0
    ) -> None:
        self.vectorizer = vectorizer
        self.alpha = alpha
        self.marker_weight = marker_weight
        self._scale: sp.dia_matrix | None = None

    def _rows(self, texts: Sequence[str], *, fit: bool = False) -> sp.csr_matrix:
        if fit:
            rows = self.vectorizer.fit_transform(texts)
            # Synonym-marker features (and bigrams with them) count ``marker_weight``.
            weights = np.ones(rows.shape[1])
            for term, column in self.vectorizer.vocabulary_.items():
                if _SynonymTagger.PREFIX in term:
                    weights[column] = self.marker_weight
            self._scale = sp.diags(weights)
        else:
            rows = self.vectorizer.transform(texts)
        return sp.csr_matrix(rows @ self._scale)

    def fit(self, texts: Sequence[str], labels: sp.csr_matrix) -> _NaiveBayes:
        rows = self._rows(texts, fit=True)
        counts = (labels @ rows).tocsr()  # codes × features
        counts.sum_duplicates()
        totals = np.asarray(counts.sum(axis=1)).ravel()
        n_features = rows.shape[1]
        self.log_ratio = counts.copy()
        self.log_ratio.data = np.log1p(self.log_ratio.data / self.alpha)
        self.bias = np.log(self.alpha) - np.log(totals + self.alpha * n_features)
        return self

    def log_likelihood(self, parts: Sequence[tuple[str, float]]) -> np.ndarray:
        """Log-likelihood (up to a constant) of a text given as (words, weight) parts."""
        row = None
        for text, weight in parts:
            if text and weight > 0:
                part = weight * self._rows([text])
                row = part if row is None else row + part
        if row is None:
            return np.zeros(self.log_ratio.shape[0])
        mass = float(row.sum())
        return np.asarray((self.log_ratio @ row.T).todense()).ravel() + self.bias * mass


def _word_vectorizer(tagger: _SynonymTagger | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, stop_words=STOP_WORDS,
        token_pattern=r"(?u)\b[^\W\d_]+\b", preprocessor=tagger, dtype=np.float64,
    )


def _char_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2,
        preprocessor=lambda text: re.sub(r"\d+", " ", text), dtype=np.float64,
    )


class _Corpus:
    """Unique training texts and, for each, a weight per code it is evidence for."""

    def __init__(self, codes: Sequence[str]) -> None:
        self.codes = list(codes)
        self.index = {code: i for i, code in enumerate(self.codes)}
        self.texts: list[str] = []
        self._text_index: dict[str, int] = {}
        self._weights: dict[tuple[int, int], float] = defaultdict(float)

    def add(self, text: str, codes: Iterable[str], weight: float = 1.0) -> None:
        text = normalise_text(text).strip()
        targets = [self.index[code] for code in codes if code in self.index]
        if not text or not targets or weight <= 0:
            return
        column = self._text_index.setdefault(text, len(self.texts))
        if column == len(self.texts):
            self.texts.append(text)
        for row in targets:
            self._weights[(row, column)] = max(self._weights[(row, column)], weight)

    def expand(self, prefix: str) -> list[str]:
        """The entries a code or prefix stands for ("1001" → every 10 01 xx entry)."""
        if prefix in self.index:
            return [prefix]
        return [code for code in self.codes if len(prefix) < 6 and code.startswith(prefix)]

    def labels(self) -> sp.csr_matrix:
        keys = sorted(self._weights)
        rows = np.fromiter((key[0] for key in keys), dtype=np.int64, count=len(keys))
        cols = np.fromiter((key[1] for key in keys), dtype=np.int64, count=len(keys))
        data = np.fromiter((self._weights[key] for key in keys), dtype=np.float64, count=len(keys))
        return sp.csr_matrix((data, (rows, cols)), shape=(len(self.codes), len(self.texts)))


def _read_training(path: Path) -> list[tuple[str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            (re.sub(r"\D", "", row.get("code") or ""), (row.get("text") or "").strip())
            for row in csv.DictReader(handle)
        ]


def _nace_titles(data_dir: Path) -> dict[str, str]:
    path = data_dir / "nace_rev2.csv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["title"] for row in csv.DictReader(handle)}


class EwcSuggester:
    """Ranks List of Waste entries for a free text; build it with ``fit``."""

    def __init__(
        self,
        knowledge: Knowledge,
        corpus: _Corpus,
        synonyms: Sequence[Sequence[str]],
        purposes: _Corpus | None = None,
        rules: Rules | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.rules = rules or Rules(knowledge, knowledge.data_dir)
        self.codes = corpus.codes
        self._index = {code: i for i, code in enumerate(self.codes)}
        self._names: np.ndarray | None = None
        self._expansion_scores: dict[str, np.ndarray] = {}
        code_array = np.array(self.codes)
        self._is_nos = np.char.endswith(code_array, "99")
        self._is_packaging = np.char.startswith(code_array, "1501")
        self._is_chapter16 = np.char.startswith(code_array, "16")
        labels = corpus.labels()
        tagger = _SynonymTagger(synonyms)
        self._word = _NaiveBayes(
            _word_vectorizer(tagger), WORD_ALPHA, marker_weight=SYNONYM_WEIGHT
        ).fit(corpus.texts, labels)
        self._char = _NaiveBayes(_char_vectorizer(), CHAR_ALPHA).fit(corpus.texts, labels)
        # Pathways: what each entry's material is used for, read against purpose clauses.
        self._purpose = None
        if purposes is not None and purposes.texts:
            self._purpose = _NaiveBayes(
                _word_vectorizer(tagger), WORD_ALPHA, marker_weight=SYNONYM_WEIGHT
            ).fit(purposes.texts, purposes.labels())
        self.training_texts = len(corpus.texts)

    @classmethod
    def fit(cls, source: Knowledge | Path | str | None = None) -> EwcSuggester:
        """The suggester for a data folder (or a loaded ``Knowledge``), cached per process."""
        if isinstance(source, Knowledge):
            data_dir = source.data_dir or DEFAULT_DATA_DIR
        else:
            data_dir = source or DEFAULT_DATA_DIR
        return _fit_cached(Path(data_dir).resolve())

    @classmethod
    def build(cls, knowledge: Knowledge, data_dir: Path) -> EwcSuggester:
        """Fit from scratch (uncached): the EWC list plus whatever ``knowledge/`` holds."""
        corpus = _Corpus(sorted(knowledge.ewc))
        _add_descriptions(corpus, knowledge)
        _add_training_file(corpus, data_dir / "knowledge" / TRAINING_FILE)
        _add_materials(corpus, knowledge, _nace_titles(data_dir))
        purposes = _Corpus(corpus.codes)
        _add_pathways(purposes, knowledge)
        return cls(
            knowledge, corpus, getattr(knowledge, "synonyms", ()), purposes,
            Rules(knowledge, data_dir),
        )

    def log_scores(self, text: str) -> np.ndarray:
        """Unnormalised log-likelihood of every entry (``self.codes`` order)."""
        query = normalise_text(text)
        material, purpose = split_purpose(query)
        parts = [(material, 1.0), (purpose, PURPOSE_WEIGHT)]
        scores = self._word.log_likelihood(parts) + CHAR_WEIGHT * self._char.log_likelihood(parts)
        if self._purpose is not None and purpose.strip():
            scores += PATHWAY_WEIGHT * self._purpose.log_likelihood([(purpose, 1.0)])
        return scores

    def rank(self, text: str, k: int = 3, *, nace: str = "") -> list[tuple[str, float]]:
        """The ``k`` best (code, score) pairs after the List of Waste's rules (see
        ``advise``); codes the firm typed itself come first."""
        return [(s.code, s.score) for s in self.advise(text, k, nace=nace).suggestions]

    def suggest(self, text: str, k: int = 3, *, nace: str = "") -> list[Suggestion]:
        """The ``k`` most likely entries for ``text``, best first (empty text → ``[]``)."""
        return list(self.advise(text, k, nace=nace).suggestions)

    def advise(self, text: str, k: int = 3, *, nace: str = "") -> EwcAdvice:
        """Suggestions with their reasons, or the reason there is none.

        ``nace`` is the producing company's NACE Rev. 2 code ("24.10"), when known.
        """
        if not (text or "").strip() or k <= 0:
            return EwcAdvice()
        # Hazard, flow and source signals are the firm's own words, all of them: a reduced
        # message may have dropped "tested below limits", and an expansion's List of Waste
        # wording ("... containing hazardous substances") is not a signal. The ranking
        # reads the prepared text.
        hazard = self.rules.hazard(text)
        refusal = not_a_waste(text)
        if refusal and not hazard.named:
            flow = _FLOW.search(normalise_text(text))
            return EwcAdvice(not_waste=refusal, flow=flow.group(0) if flow else "", hazard=hazard)
        source = self.rules.source(text, nace)
        fits = functools.partial(self._expansion_fits, source=source)
        prepared = _prepare(text, fits)
        packaging = is_packaging(prepared)
        scores = self.log_scores(prepared)
        if source:
            # A waste-type expansion (13-16) read best outside the producer's chapter, while
            # an entry of that chapter reads it nearly as well (fridges: 16 02 11* or, from
            # households, 20 01 23*), counts part: the LoW searches the source chapter
            # first. Spent pot lining has no 10 03 entry, so its 16 11 reading stands.
            plain = _prepare(text, lambda e: fits(e) and not self._rivals_source(e, source))
            if plain != prepared:
                scores = (1 - EXPANSION_OFF_SOURCE_WEIGHT) * self.log_scores(plain) + (
                    EXPANSION_OFF_SOURCE_WEIGHT * scores
                )
        logs = (scores + self._rule_bonus(source, packaging)) / TEMPERATURE
        probs = np.exp(logs - logs.max())
        probs /= probs.sum()
        # Stable sort on the sorted code list: ties always resolve the same way.
        order = [int(i) for i in np.argsort(-probs, kind="stable")]
        typed = [self._index[code] for code in codes_in_text(text, self.knowledge.ewc)]
        order = typed + [i for i in order if i not in typed]
        order, partner, question = self._mirror_order(order, hazard, typed=bool(typed))
        material = split_purpose(normalise_text(prepared))[0]
        material_row = self._word._rows([material]).tocsr() if material.strip() else None
        said = normalise_text(text)
        suggestions = []
        for i in order[:k]:
            code = self.codes[i]
            entry = self.knowledge.ewc[code]
            in_pair = code in partner
            why = Why(
                words=self._words(material_row, i, said),
                chapter_rule=self.rules.chapter_rule(code, source, packaging),
                hazard_signal=hazard.describe(),
            )
            suggestions.append(
                Suggestion(
                    code=code,
                    display=ewc_display(code) + ("*" if entry.hazardous else ""),
                    description=entry.description,
                    sub_chapter=self.knowledge.sub_chapters.get(entry.sub_chapter, ""),
                    score=round(float(probs[i]), 4),
                    hazardous=entry.hazardous,
                    mirror=entry.mirror or code in self.rules.mirrors,
                    mirror_counterparts=tuple(
                        self.rules.mirrors.get(code) or entry.mirror_counterparts
                    ),
                    likely_hazardous=likely_hazardous(entry),
                    why=why,
                    mirror_partner=partner.get(code, "") if in_pair else "",
                    mirror_question=question if in_pair else "",
                )
            )
        return EwcAdvice(
            suggestions=tuple(suggestions),
            mirror_question=question,
            source=tuple(dict.fromkeys(source.values())),
            hazard=hazard,
        )

    def _expansion_fits(self, expansion: str, *, source: Mapping[str, str]) -> bool:
        """Whether a jargon expansion may join the text: not when its wording belongs to
        another producing process (chapters 01-12, 17-20) than the source reading's, as
        "WWTP" read as urban waste water sludge at a refinery. The producer decides the
        chapter (LoW, Annex point 3); waste-type wording (13-16) always may, and so may
        chapter 17, since any sector's building work makes construction and demolition
        waste (asbestos cement roofing off a farm barn is 17 06, not 02 01)."""
        if not source:
            return True
        code = self._expansion_code(expansion)
        if code[:2] in _ANY_PRODUCER_CHAPTERS:
            return True
        return any(code.startswith(prefix) or prefix.startswith(code[:2])
                   for prefix in source)

    def _rivals_source(self, expansion: str, source: Mapping[str, str]) -> bool:
        """Whether an expansion's best entry lies outside the producer's chapters (and
        outside 17) while an entry inside them reads it within ``EXPANSION_NEAR_GAP``."""
        code = self._expansion_code(expansion)
        if code[:2] == "17" or any(
            code.startswith(prefix) or prefix.startswith(code[:2]) for prefix in source
        ):
            return False
        scores = self._expansion_log_scores(expansion)
        inside = [i for i, c in enumerate(self.codes) if c.startswith(tuple(source))]
        if not inside:
            return False
        gap = float(scores[self._index[code]] - max(scores[i] for i in inside))
        return gap <= EXPANSION_NEAR_GAP

    def _expansion_code(self, expansion: str) -> str:
        """The entry an expansion's wording reads as on its own (cached)."""
        return self.codes[int(np.argmax(self._expansion_log_scores(expansion)))]

    def _expansion_log_scores(self, expansion: str) -> np.ndarray:
        # The table has ~100 expansions: each is scored once per suggester.
        if expansion not in self._expansion_scores:
            self._expansion_scores[expansion] = self.log_scores(expansion)
        return self._expansion_scores[expansion]

    def _rule_bonus(self, source: Mapping[str, str], packaging: bool) -> np.ndarray:
        """Log-score changes for the LoW's order: source chapter, 13-15, 16, then 99."""
        bonus = np.where(self._is_nos, -NOS_PENALTY, 0.0)
        if packaging:
            return bonus + np.where(self._is_packaging, PACKAGING_BONUS, 0.0)
        if source:
            prefixes = tuple(source)
            in_source = np.array([code.startswith(prefixes) for code in self.codes])
            bonus += np.where(in_source, SOURCE_BONUS, 0.0)
            bonus -= np.where(self._is_chapter16, CHAPTER16_PENALTY, 0.0)
        return bonus

    def _mirror_order(
        self, order: list[int], hazard: HazardSignal, *, typed: bool
    ) -> tuple[list[int], dict[str, str], str]:
        """Put the best entry's mirror counterpart beside it, hazard signals deciding
        which comes first; returns the order, {code: partner} and the question."""
        top = self.codes[order[0]]
        partners = self.rules.mirrors.get(top, ())
        rank_of = {index: position for position, index in enumerate(order)}
        candidates = [self._index[code] for code in partners if code in self._index]
        if not candidates and hazard.verdict == "hazardous":
            # An absolute non-hazardous entry ("concrete") while the text names a hazardous
            # constituent: the sub-chapter's "containing hazardous substances" entry
            # (17 01 06*) is the other side the firm must weigh.
            candidates = [
                index for index in order[:MIRROR_REACH]
                if self._hazardous_sibling(top, self.codes[index])
            ]
        if not candidates:
            return order, {}, ""
        other = min(candidates, key=lambda index: rank_of[index])
        if rank_of[other] >= MIRROR_REACH and hazard.verdict != "hazardous":
            return order, {}, ""
        hazardous, other_side = (
            (other, order[0]) if self.knowledge.ewc[self.codes[other]].hazardous
            else (order[0], other)
        )
        if hazard.verdict == "hazardous":
            first = hazardous  # a named constituent: never the non-hazardous side first
        elif hazard.verdict == "clear" and not typed:
            first = other_side
        else:
            first = order[0]  # the model's (or the firm's typed) choice
        second = other if first == order[0] else order[0]
        rest = [index for index in order if index not in (first, second)]
        codes = (self.codes[hazardous], self.codes[other_side])
        question = self.rules.question(*codes)
        return [first, second, *rest], {codes[0]: codes[1], codes[1]: codes[0]}, question

    def _hazardous_sibling(self, code: str, other: str) -> bool:
        """``other`` is the starred "containing hazardous substances" entry of ``code``'s
        sub-chapter for the same material (17 01 06* for 17 01 01 concrete)."""
        entry, sibling = self.knowledge.ewc[code], self.knowledge.ewc[other]
        if entry.hazardous or not sibling.hazardous or other[:4] != code[:4]:
            return False
        wording = sibling.description.lower()
        if other not in self.rules.mirrors or not _HAZARD_WORDING.search(wording):
            return False
        generic = {"waste", "wastes", "other", "containing", "hazardous", "substances"}
        words = set(re.findall(r"[a-z]{4,}", entry.description.lower())) - generic
        return bool(words & set(re.findall(r"[a-z]{4,}", wording)))

    def _feature_names(self) -> np.ndarray:
        if self._names is None:
            self._names = self._word.vectorizer.get_feature_names_out()
        return self._names

    def _words(
        self, row: sp.csr_matrix | None, index: int, said: str = ""
    ) -> tuple[str, ...]:
        """The query words (of the model's ``row``) that weigh most for one entry; with
        ``said`` (the firm's own text), only words the firm wrote: an expansion's List of
        Waste wording is the reading of a term, and the term itself is what to show."""
        if row is None or not row.nnz:
            return ()
        weights = self._word.log_ratio[index][:, row.indices].toarray().ravel() * row.data
        names = self._feature_names()
        words: list[str] = []
        for position in np.argsort(-weights, kind="stable"):
            if weights[position] <= 0:
                break
            term = str(names[row.indices[position]])
            if _SynonymTagger.PREFIX in term:
                continue
            if said and not all(part in said for part in term.split()):
                continue
            if not any(term in word or word in term for word in words):
                words.append(term)
            if len(words) == WHY_WORDS:
                break
        return tuple(words)


class _SynonymTagger:
    """Adds one marker word per synonym group a text mentions ("pfa" and "fly ash" both get
    the fly-ash marker), so a phrasing seen in training reaches its synonyms too."""

    PREFIX = "zzsyn"

    def __init__(self, groups: Sequence[Sequence[str]]) -> None:
        self.group_of: dict[str, int] = {}
        for number, group in enumerate(groups):
            for term in group:
                # A term belongs to one group (knowledge/README.md); keep the first anyway.
                self.group_of.setdefault(normalise_text(term).strip(), number)
        self.group_of.pop("", None)
        terms = sorted(self.group_of, key=len, reverse=True)
        self.pattern = (
            re.compile(r"\b(?:" + "|".join(re.escape(term) for term in terms) + r")\b")
            if terms else None
        )

    @classmethod
    def marker(cls, number: int) -> str:
        # Letters only, so the word tokenizer keeps it whole.
        return cls.PREFIX + "".join(chr(ord("a") + int(digit)) for digit in str(number))

    def __call__(self, text: str) -> str:
        if self.pattern is None:
            return text
        numbers = sorted({self.group_of[m.group(0)] for m in self.pattern.finditer(text)})
        return text if not numbers else text + " " + " ".join(map(self.marker, numbers))


def _add_descriptions(corpus: _Corpus, knowledge: Knowledge) -> None:
    for code, entry in knowledge.ewc.items():
        corpus.add(clean_description(entry.description), [code])
        if entry.mirror and not entry.hazardous:
            # "Tailings other than those mentioned in 01 03 04 and 01 03 05" says little;
            # its hazardous counterpart names the material.
            for other in entry.mirror_counterparts:
                counterpart = knowledge.ewc.get(other)
                if counterpart is not None:
                    wording = _HAZARD_WORDING.sub(" ", clean_description(counterpart.description))
                    corpus.add(wording, [code])
    for prefix, title in {**knowledge.chapters, **knowledge.sub_chapters}.items():
        corpus.add(clean_description(title), corpus.expand(prefix), CONTEXT_WEIGHT)


def _add_training_file(corpus: _Corpus, path: Path) -> None:
    for code, text in _read_training(path):
        weight = 1.0 if len(code) == 6 else CONTEXT_WEIGHT
        corpus.add(text, corpus.expand(code), weight)


def _add_pathways(purposes: _Corpus, knowledge: Knowledge) -> None:
    """Each pathway's use (name, terms, process) as evidence for its material's entries."""
    materials = getattr(knowledge, "materials", {}) or {}
    uses = getattr(knowledge, "uses", {}) or {}
    for pathway in getattr(knowledge, "pathways", ()) or ():
        material, use = materials.get(pathway.material), uses.get(pathway.use)
        if material is None or use is None:
            continue
        entries = [code for prefix in material.ewc for code in purposes.expand(prefix)]
        for text in (use.name, *use.terms, pathway.process):
            purposes.add(text, entries)


def _add_materials(corpus: _Corpus, knowledge: Knowledge, nace_titles: Mapping[str, str]) -> None:
    materials = getattr(knowledge, "materials", {}) or {}
    sectors: dict[str, list[str]] = defaultdict(list)
    for flow in getattr(knowledge, "nace_flows", ()) or ():
        if flow.direction == "output" and flow.nace in nace_titles:
            sectors[flow.target].append(nace_titles[flow.nace])
    for slug, material in materials.items():
        entries = [code for code in material.ewc if len(code) == 6]
        first, others = entries[:1], entries[1:]
        spread = [
            code for prefix in material.ewc if len(prefix) < 6 for code in corpus.expand(prefix)
        ]
        texts = [material.name, *material.terms]
        for text in texts:
            corpus.add(text, first, MATERIAL_WEIGHT)
            corpus.add(text, others, MATERIAL_OTHER_WEIGHT)
            corpus.add(text, spread, MATERIAL_PREFIX_WEIGHT)
        for title in sectors.get(slug, ()):
            corpus.add(title, entries + spread, SECTOR_WEIGHT)


@functools.lru_cache(maxsize=4)
def _fit_cached(data_dir: Path) -> EwcSuggester:
    return EwcSuggester.build(Knowledge.load(data_dir), data_dir)


def evaluate(suggester: EwcSuggester, items: Iterable[Mapping]) -> dict[str, float | int]:
    """Top-1 and top-3 accuracy on ``{"text", "codes"[, "nace"]}`` items (the benchmark
    format), plus two counts of what must not happen.

    Top-1: the first suggestion is one of the item's acceptable codes; top-3: one of the
    first three is. Codes are compared as digits ("10 01 02*" = "100102"). An item with
    no codes expects no suggestion (an energy, water or gas flow). ``no_code``: items that
    got none; ``wrong_mirror_side``: items whose text names a hazardous constituent but whose
    first suggestion is the non-hazardous side of a mirror pair.
    """
    top1 = top3 = n = refused = wrong_side = 0
    for item in items:
        accepted = {re.sub(r"\D", "", str(code)) for code in item.get("codes") or ()}
        advice = suggester.advise(
            str(item.get("text") or ""), 3, nace=str(item.get("nace") or "")
        )
        ranked = [suggestion.code for suggestion in advice.suggestions]
        n += 1
        refused += not ranked
        first = advice.suggestions[0] if advice.suggestions else None
        wrong_side += bool(
            first and advice.hazard.named and not first.hazardous
            and first.code in suggester.rules.mirrors
        )
        hit1 = (not accepted and not ranked) or (bool(ranked) and ranked[0] in accepted)
        top1 += hit1
        top3 += hit1 or any(code in accepted for code in ranked)
    return {
        "top1": round(top1 / n, 4) if n else 0.0,
        "top3": round(top3 / n, 4) if n else 0.0,
        "items": n,
        "no_code": refused,
        "wrong_mirror_side": wrong_side,
    }


# --- The List of Waste's own rules on top of the model ---------------------------------

# Heat, steam, water and CO2 flows are not wastes (they are traded as energy, water or gas):
# no code, unless the text names a substance or a container that makes it a waste.
_FLOW = re.compile(
    r"\b(?:heat(?![- ](?:treat|resist|exchang|shrink|insulat|seal|set\b|pumps?\b|sink|gun))"
    r"|steam(?![- ](?:clean|peel|jet|iron|trap))|condensate|wastewater|effluents?"
    r"|water(?![- ](?:based|borne|soluble|miscible|jet|proof|resistant|glass|heaters?"
    r"|tanks?|pipes?|meters?|filters?|bottles?|curtain|wash))"
    r"|co2|co₂|carbon dioxide|flue gas(?:es)?|off-?gas(?:es)?|exhaust gas(?:es)?"
    r"|compressed air)\b"
)
_MATERIAL = re.compile(
    r"(?:\w*sludges?|\b(?:slurr(?:y|ies)|(?:filter )?cakes?|muds?|sediments?|solids|residues?"
    r"|oils?(?![- ]fired)"
    r"|oily|grease|fats?|emulsions?|fluids?|diesel|petrol|fuels?(?![- ](?:fired|combustion))"
    r"|solvents?|glycol|antifreeze"
    r"|ash(?:es)?|dusts?|slags?|scale|sand|grit|salts?|brines?|bilge|leachate|chemicals?"
    r"|cylinders?|bottles|drums?|containers?|canisters?|cartridges?|extinguishers?|tankers?"
    r"|tankered|filters?|carbon(?! dioxide)|resins?|catalysts?|pulp|peel\w*|whey|blood|manure"
    r"|digestate|lye|glycerine|glycerol|paints?|inks?|acids?|acidic|caustic|alkali|alkaline"
    r"|washings|interceptors?|separators?|gypsum|lime(?! kilns?| works| plant)|hydroxide"
    r"|pigments?|dyes?|muck|spoil"
    r"|soil|rubble|scrap|pellets?|ice|snow))\b"
)

# Separately collected packaging (an empty container, not its contents).
_PACKAGING = re.compile(
    r"\b(?:packaging|packing|pallets?|cardboard boxes|boxes|cartons?|crates?|drums?|ibcs?"
    r"|intermediate bulk containers?|jerry ?cans?|tins|cans|bottles|sacks|bags|big bags|fibcs?"
    r"|bulk bags|shrink ?wrap|stretch (?:wrap|film|hood)|pallet wrap|containers?|kegs?|tubs"
    r"|buckets|pails|canisters?|totes?)\b"
)
_EMPTIED = re.compile(
    r"\b(?:empty|emptied|empties|drained|rinsed|triple[- ]rinsed|used|returnable|one-way"
    r"|scrap|old|broken|damaged|discarded|packaging|packing|surplus)\b"
)
_NEGATORS = frozenset(
    "no not non without nil zero never free absence none nothing neither nor "
    "don doesn isn aren wasn weren hasn haven".split()  # "don't", "isn't" as tokenised
)
_EXCEEDED = re.compile(r"\babove\b|\bexceed\w*|\bover (?:the )?(?:limit|threshold)|\bhigh in\b"
                       r"|\bfail(?:s|ed)?\b")
_CLAUSE = re.compile(r"[.;!?\n]|\bbut\b|\bhowever\b|\bwhereas\b|\bexcept\b")

# Decision 2000/532/EC, Annex, point 3: the order in which chapters are searched.
_WASTE_TYPE_CHAPTERS = ("13", "14", "15")
# Chapters any producer's waste may fall in: by waste type (13-15), not otherwise specified
# (16), and construction and demolition work, whoever does it (17).
_ANY_PRODUCER_CHAPTERS = (*_WASTE_TYPE_CHAPTERS, "16", "17")


@dataclass(frozen=True, slots=True)
class HazardSignal:
    """Hazard evidence in a text: named constituents, negated ones and test results."""

    named: tuple[str, ...] = ()  # "lead (heavy metal)"
    negated: tuple[str, ...] = ()  # "asbestos-free"
    cleared: tuple[str, ...] = ()  # "tested below limits"

    @property
    def verdict(self) -> str:
        """``hazardous`` when a constituent is named, ``clear`` when a test result or a
        negation says there is none, else ``""``."""
        if self.named:
            return "hazardous"
        return "clear" if self.cleared or self.negated else ""

    def describe(self) -> str:
        """One line for a suggestion's "why"."""
        if self.named:
            return "hazardous constituent named: " + ", ".join(self.named)
        if self.cleared:
            return "stated test result: " + ", ".join(self.cleared)
        if self.negated:
            return "hazardous constituent ruled out: " + ", ".join(self.negated)
        return ""


@dataclass(frozen=True, slots=True)
class EwcAdvice:
    """What the suggester says about a text: the codes, or why there is none."""

    suggestions: tuple[Suggestion, ...] = ()
    not_waste: str = ""  # the reason no code is suggested ("heat ... is not a waste")
    flow: str = ""  # the energy, water or gas flow named ("steam") when ``not_waste``
    mirror_question: str = ""  # the deciding question when the first two form a mirror pair
    source: tuple[str, ...] = ()  # the producer reading ("sector NACE 24.10 → 10 02 ...")
    hazard: HazardSignal = field(default_factory=HazardSignal)


@dataclass(frozen=True, slots=True)
class _Pattern:
    regex: re.Pattern
    kind: str
    label: str


def _compile(pattern: str) -> re.Pattern:
    return re.compile(r"(?<![\w-])(?:" + pattern + r")(?![\w])")


def _read_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


class Rules:
    """The List of Waste's rules as data: mirror table, hazard signals, producer reading."""

    def __init__(self, knowledge: Knowledge, data_dir: Path | None) -> None:
        base = (data_dir or DEFAULT_DATA_DIR) / "knowledge"
        self.ewc = knowledge.ewc
        self.chapters = knowledge.chapters
        self.sub_chapters = knowledge.sub_chapters
        self.mirrors = mirror_table(knowledge.ewc)
        self.hazard_patterns = [
            _Pattern(_compile(row["pattern"]), row["kind"], row["group"])
            for row in _read_rows(base / HAZARD_SIGNALS_FILE)
        ]
        self.examples = {
            re.sub(r"\D", "", row["prefix"]): row["examples"]
            for row in _read_rows(base / MIRROR_EXAMPLES_FILE)
        }
        self.nace = {
            re.sub(r"\D", "", row["nace"]): (tuple(row["ewc_prefixes"].split()), row["reason"])
            for row in _read_rows(base / NACE_CHAPTERS_FILE)
        }
        self.source_words = [
            (_compile(row["pattern"]), tuple(row["ewc_prefixes"].split()), row["reason"])
            for row in _read_rows(base / SOURCE_WORDS_FILE)
        ]

    # -- hazard ---------------------------------------------------------------------
    def hazard(self, text: str) -> HazardSignal:
        """Named hazardous constituents (unless negated) and stated clean test results."""
        named: list[str] = []
        negated: list[str] = []
        cleared: list[str] = []
        clears = [p for p in self.hazard_patterns if p.kind == "clear"]
        constituents = [p for p in self.hazard_patterns if p.kind == "constituent"]
        for clause in _CLAUSE.split(normalise_text(text)):
            clause_cleared = False
            for pattern in clears:
                for match in pattern.regex.finditer(clause):
                    _add_once(cleared, match.group(0))
                    clause_cleared = True
                # Blank the phrase so "non-hazardous" is not read as "hazardous".
                clause = pattern.regex.sub(lambda m: " " * len(m.group(0)), clause)
            if _EXCEEDED.search(clause):
                clause_cleared = False  # "lead above limits, the rest below": lead counts
            for pattern in constituents:
                for match in pattern.regex.finditer(clause):
                    words = match.group(0)
                    if clause_cleared or _is_negated(clause, match.start(), match.end()):
                        _add_once(negated, words)
                    else:
                        _add_once(named, f"{words} ({pattern.label})")
        return HazardSignal(tuple(named), tuple(negated), tuple(cleared))

    def question(self, hazardous_code: str, other_code: str) -> str:
        """The deciding question for a mirror pair, with examples fitting the entry."""
        examples = next(
            (self.examples[prefix] for prefix in (hazardous_code, hazardous_code[:4],
                                                   hazardous_code[:2], "")
             if prefix in self.examples),
            "heavy metals, mineral oil, solvents, PCB or asbestos",
        )
        return (
            f"Does it contain dangerous substances, e.g. {examples}? "
            f"If yes: {ewc_display(hazardous_code)}*; if not (shown by analysis): "
            f"{ewc_display(other_code)}."
        )

    # -- source ---------------------------------------------------------------------
    def source(self, text: str, nace: str = "") -> dict[str, str]:
        """LoW prefixes of the producing process → the reason (sector, then text words)."""
        found: dict[str, str] = {}
        digits = re.sub(r"\D", "", nace or "")
        if digits:
            keys = [key for key in self.nace if digits.startswith(key)]
            if keys:
                prefixes, reason = self.nace[max(keys, key=len)]
                for prefix in prefixes:
                    found.setdefault(prefix, f"sector NACE {nace} → {reason}")
        query = normalise_text(text)
        for regex, prefixes, reason in self.source_words:
            match = regex.search(query)
            if match:
                for prefix in prefixes:
                    found.setdefault(prefix, f"“{match.group(0)}” in the text → {reason}")
        return found

    def chapter_rule(self, code: str, source: Mapping[str, str], packaging: bool) -> str:
        """The chapter rule that speaks for (or only tolerates) an entry."""
        if packaging and code.startswith("1501"):
            return "separately collected packaging → 15 01, whatever the source"
        for prefix, reason in source.items():
            if code.startswith(prefix):
                return "producing process: " + reason
        chapter = code[:2]
        if code.endswith("99"):
            return "a 99 entry (not otherwise specified): only when no other entry fits"
        if chapter in _WASTE_TYPE_CHAPTERS:
            return (f"chapter {chapter} ({self.chapters.get(chapter, '')}): by waste type, "
                    "when the producing process's chapter has no fitting entry")
        if chapter == "16":
            return ("chapter 16 (wastes not otherwise specified in the list): only after the "
                    "source chapter and chapters 13-15")
        return f"chapter {chapter} ({self.chapters.get(chapter, '')}), read from the wording"


def _add_once(items: list[str], item: str) -> None:
    if item not in items:
        items.append(item)


def _is_negated(clause: str, start: int, end: int) -> bool:
    """"no PCB", "without asbestos", "free of lead", "asbestos-free", "lead: not detected"."""
    before = [word for word in re.findall(r"[a-z]+", clause[max(0, start - 40):start])
              if len(word) > 1][-4:]  # "don't" → "don", not "t"
    if any(word in _NEGATORS for word in before):
        return True
    return bool(re.match(
        r"\s*[-:=]?\s*(?:free\b|not (?:detected|present|found)|absent\b|nd\b|none\b)",
        clause[end:],
    ))


def mirror_table(ewc: Mapping[str, EwcEntry]) -> dict[str, tuple[str, ...]]:
    """Mirror pairs read from the descriptions, both ways (code → counterparts).

    A non-hazardous entry "other than those mentioned in 17 05 03" names its starred
    counterpart (ranges such as "16 02 09 to 16 02 13" included). A starred entry that
    nobody names but that is defined by "hazardous substances" (15 01 10*, 17 04 09*) is
    the counterpart of the non-hazardous entries of its sub-chapter that name no other.
    """
    pairs: dict[str, set[str]] = defaultdict(set)
    named_by_someone: set[str] = set()
    naming: set[str] = set()
    for code, entry in ewc.items():
        text = entry.description.lower()
        if entry.hazardous or "other than" not in text:
            continue
        referenced = set()
        for first, last in re.findall(r"(\d\d \d\d \d\d) to (\d\d \d\d \d\d)", text):
            low, high = first.replace(" ", ""), last.replace(" ", "")
            referenced.update(c for c in ewc if low <= c <= high and c[:4] == low[:4])
        referenced.update(ref.replace(" ", "") for ref in re.findall(r"\d\d \d\d \d\d", text))
        for other in sorted(referenced):
            if other in ewc and ewc[other].hazardous:
                pairs[code].add(other)
                pairs[other].add(code)
                named_by_someone.add(other)
                naming.add(code)
    for code, entry in ewc.items():
        defined_by_hazard = re.search(
            r"(?:hazardous|dangerous) substances", entry.description.lower()
        )
        if entry.hazardous and code not in named_by_someone and defined_by_hazard:
            for other, candidate in ewc.items():
                if (other[:4] == code[:4] and not candidate.hazardous
                        and other not in naming):
                    pairs[code].add(other)
                    pairs[other].add(code)
    return {code: tuple(sorted(others)) for code, others in pairs.items()}


def not_a_waste(text: str) -> str:
    """Why a text describes an energy, water or gas flow rather than a waste ("" if not)."""
    query = normalise_text(text)
    flows = [match.group(0) for match in _FLOW.finditer(query)]
    if not flows or _MATERIAL.search(query):
        return ""
    return (
        f"“{flows[0]}” is an energy, water or gas flow, not a waste: it has no List of Waste "
        "code. List it as a flow (heat, steam, water or CO2); a code only applies to a "
        "substance or object discarded, such as a sludge or contaminated water taken away "
        "as waste."
    )


def is_packaging(text: str) -> bool:
    """Separately collected packaging: a container or wrapping said to be empty or used."""
    query = normalise_text(text)
    if re.search(r"\bmixed\b(?! packaging)", query):
        return False  # mixed wastes have their own entries (15 01 06 only for packaging)
    for match in _PACKAGING.finditer(query):
        if re.match(r"\s+(?:lines?|machine\w*|plant|area|hall|department|station|room"
                    r"|operations?|materials? supplier)\b", query[match.end():]):
            continue  # "rejects from the packaging line": a place, not the waste
        if match.group(0) in ("packaging", "packing"):
            return True
        before = query[max(0, match.start() - 30):match.start()]
        if _EMPTIED.search(before):
            return True
        # "Drums of waste oil" is about the oil; "Pallets, broken" about the pallets.
        holds = re.match(r"\s+(?:of|containing|full|filled|with)\b", query[match.end():])
        if match.start() < 3 and not holds:
            return True
    return False
