"""Known phrases found in token sequences, in order or with one word left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matching.engine.infer.tokens import GAP_WEIGHT


class PhraseIndex:
    """Known phrases (stemmed token n-grams) → the rows of a weight matrix they point to."""

    def __init__(self, phrases: Mapping[str, dict[int, float]]) -> None:
        # key → {target: weight}; keys are phrase_key()s of up to MAX_NGRAM tokens.
        self.phrases = {key: dict(targets) for key, targets in phrases.items() if key}
        self.max_len = max((key.count(" ") + 1 for key in self.phrases), default=1)
        # Every proper prefix of a phrase, so a scan stops as soon as no phrase can follow.
        self.prefixes = frozenset(
            " ".join(words[:i])
            for words in (key.split(" ") for key in self.phrases)
            for i in range(1, len(words))
        )

    def find(
        self, toks: Sequence[tuple[str, float]], spans: list | None = None
    ) -> dict[str, float]:
        """Phrases occurring in a token sequence, with the weight of their occurrence.

        A phrase inside a longer matched phrase still counts: "ash" within "fly ash" is
        evidence for ashes in general too. The weight is the highest token weight of any
        occurrence (a title hit beats a purpose-clause hit). ``spans``, when given, receives
        every occurrence as ``(start, end, key, weight)`` (token positions, end excluded).
        """
        found: dict[str, float] = {}
        occurrences = self.occurrences(toks)
        for _, _, key, weight in occurrences:
            if found.get(key, 0.0) < weight:
                found[key] = weight
        if spans is not None:
            spans.extend(occurrences)
        return found

    def occurrences(self, toks: Sequence[tuple[str, float]]) -> list:
        """Every occurrence of a phrase as ``(start, end, key, weight)``: in order, or with
        one word left out ("spent brewing grain", "fly and bottom ash") at ``GAP_WEIGHT``."""
        spans: list = []
        if not toks:
            return spans
        words, weights = zip(*toks, strict=True)
        phrases, prefixes, max_len = self.phrases, self.prefixes, self.max_len
        n = len(words)
        for i in range(n):
            key = words[i]
            if key not in prefixes:
                # Most words start no longer phrase: one look-up, no gapped scan.
                if key in phrases:
                    spans.append((i, i + 1, key, weights[i]))
                continue
            weight = weights[i]
            if key in phrases:
                spans.append((i, i + 1, key, weight))
            # The phrase prefixes starting here, each with its lowest weight: the gapped
            # scan below continues each of them after one left-out word.
            chain = [(key, weight)]
            stop = i + max_len if i + max_len < n else n
            for j in range(i + 1, stop):
                key = f"{key} {words[j]}"
                if weights[j] < weight:
                    weight = weights[j]
                if key in phrases:
                    spans.append((i, j + 1, key, weight))
                if key not in prefixes:
                    break
                chain.append((key, weight))
            gaps = min(n - 1 - i, max_len)  # left-out word at i + 1 … i + gaps - 1
            end = i + max_len + 1 if i + max_len + 1 < n else n
            for length, (key, weight) in enumerate(chain[: max(gaps - 1, 0)], start=1):
                skip = i + length
                if words[skip] == "|":
                    continue
                for j in range(skip + 1, end):
                    key = f"{key} {words[j]}"
                    if weights[j] < weight:
                        weight = weights[j]
                    if key in phrases:
                        spans.append((i, j + 1, key, weight * GAP_WEIGHT))
                    if key not in prefixes:
                        break
        return spans
