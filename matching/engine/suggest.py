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
"""

from __future__ import annotations

import csv
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.engine.ewc_text import expand_jargon, material_focus
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
    ) -> None:
        self.knowledge = knowledge
        self.codes = corpus.codes
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
        return cls(knowledge, corpus, getattr(knowledge, "synonyms", ()), purposes)

    def log_scores(self, text: str) -> np.ndarray:
        """Unnormalised log-likelihood of every entry (``self.codes`` order)."""
        query = normalise_text(expand_jargon(material_focus(text)))
        material, purpose = split_purpose(query)
        parts = [(material, 1.0), (purpose, PURPOSE_WEIGHT)]
        scores = self._word.log_likelihood(parts) + CHAR_WEIGHT * self._char.log_likelihood(parts)
        if self._purpose is not None and purpose.strip():
            scores += PATHWAY_WEIGHT * self._purpose.log_likelihood([(purpose, 1.0)])
        return scores

    def rank(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` best (code, score) pairs; codes the firm typed itself come first."""
        if not (text or "").strip() or k <= 0:
            return []
        logs = self.log_scores(text) / TEMPERATURE
        probs = np.exp(logs - logs.max())
        probs /= probs.sum()
        # Stable sort on the sorted code list: ties always resolve the same way.
        order = [int(i) for i in np.argsort(-probs, kind="stable")]
        typed = [self.codes.index(code) for code in codes_in_text(text, self.knowledge.ewc)]
        order = typed + [i for i in order if i not in typed]
        return [(self.codes[i], float(probs[i])) for i in order[:k]]

    def suggest(self, text: str, k: int = 3) -> list[Suggestion]:
        """The ``k`` most likely entries for ``text``, best first (empty text → ``[]``)."""
        suggestions = []
        for code, score in self.rank(text, k):
            entry = self.knowledge.ewc[code]
            suggestions.append(
                Suggestion(
                    code=code,
                    display=ewc_display(code) + ("*" if entry.hazardous else ""),
                    description=entry.description,
                    sub_chapter=self.knowledge.sub_chapters.get(entry.sub_chapter, ""),
                    score=round(score, 4),
                    hazardous=entry.hazardous,
                    mirror=entry.mirror,
                    mirror_counterparts=tuple(entry.mirror_counterparts),
                    likely_hazardous=likely_hazardous(entry),
                )
            )
        return suggestions


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
    """Top-1 and top-3 accuracy on ``{"text", "codes"}`` items (the benchmark format).

    Top-1: the first suggestion is one of the item's acceptable codes; top-3: one of the
    first three is. Codes are compared as digits ("10 01 02*" = "100102").
    """
    top1 = top3 = n = 0
    for item in items:
        accepted = {re.sub(r"\D", "", str(code)) for code in item.get("codes") or ()}
        ranked = [code for code, _score in suggester.rank(str(item.get("text") or ""), 3)]
        n += 1
        top1 += bool(ranked) and ranked[0] in accepted
        top3 += any(code in accepted for code in ranked)
    return {
        "top1": round(top1 / n, 4) if n else 0.0,
        "top3": round(top3 / n, 4) if n else 0.0,
        "items": n,
    }
