"""How well an offer's stated quality meets a want's stated requirement (the ``quality``
component), over NumPy arrays.

An offer states what its material is (moisture, calorific value, largest particle, main
contaminants, certificates held); a want states what its process takes (the most
moisture, the least calorific value, the largest particle, contaminants it cannot take,
certificates it requires). Where both sides state a field, that field's fit is 1 within
the requirement and falls smoothly outside it (``exp(−excess / scale)``): a slightly wet
fuel is still a candidate, a far too wet one ranks well below a dry one. The component is
the product of the compared fields' fits, 1 where no field is stated on both sides, so a
pair without quality fields scores exactly as before (``combine`` multiplies by 1.0).

Each listing's fields are one row of ``QUALITY_COLUMNS`` floats (NaN: not stated); the
text fields are reduced to bit masks (certificates by their position in
``CERTIFICATES``; contaminants by hashed words) so a pair is scored without Python.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence

import numpy as np

from matching.engine.config import (
    QUALITY_CALORIFIC_SCALE,
    QUALITY_CERTIFICATE_MISSING,
    QUALITY_CONTAMINANT_CLASH,
    QUALITY_MOISTURE_SCALE_PP,
    QUALITY_PARTICLE_SCALE,
)

# Certificates a listing may state (a want: requires), in bit order: the stored codes.
CERTIFICATES = (
    ("end-of-waste", "end-of-waste status"),
    ("by-product", "by-product status"),
    ("reach", "REACH registration"),
    ("compost-quality", "compost or digestate quality certificate"),
    ("organic", "approved for organic farming"),
    ("sustainability", "biomass sustainability certificate"),
)
CERTIFICATE_CODES = tuple(code for code, _ in CERTIFICATES)

MOISTURE, CALORIFIC, PARTICLE, CERTIFICATE_MASK, CONTAMINANT_MASK = range(5)
QUALITY_COLUMNS = 5
_NAMES = ("moisture", "calorific value", "particle size", "certificates", "contaminants")

# Contaminant words are hashed into this many bits (a float64 holds them exactly).
_CONTAMINANT_BITS = 52
# Words that say nothing about which contaminant is meant.
_STOP = frozenset(
    "and the with from for max min less than below above under over low high traces trace "
    "some content approx about per cent mg kg ppm free none other mainly mostly "
    # Two-letter words stay (element symbols: Pb, Cd, Hg, Cl) but for these.
    "of in to at on by or up an is be it as".split()
)
# A phrase that says the material is free of something names no contaminant it carries.
_NEGATION = re.compile(r"\b(free|no|none|without|nil|absent)\b|-free\b")


def certificate_codes(value: str | Sequence[str]) -> list[str]:
    """The certificate codes of a comma list (or a sequence), lower-cased, known or not."""
    parts = value.split(",") if isinstance(value, str) else value
    return [part.strip().lower() for part in parts if part and part.strip()]


def contaminant_words(text: str) -> set[str]:
    """The words naming contaminants in ``text`` ("chlorine, PVC films; heavy metals"):
    phrases (split at commas, semicolons, slashes) that say "free of", "no", … are left
    out; plurals are folded."""
    words: set[str] = set()
    for phrase in re.split(r"[,;/\n]+", (text or "").lower()):
        if _NEGATION.search(phrase):
            continue
        for word in re.findall(r"[a-z][a-z0-9]+", phrase):
            if len(word) < 2 or word in _STOP:
                continue
            words.add(word[:-1] if len(word) > 4 and word.endswith("s") else word)
    return words


def _word_mask(words: set[str]) -> float:
    mask = 0
    for word in words:
        mask |= 1 << (zlib.crc32(word.encode()) % _CONTAMINANT_BITS)
    return float(mask) if mask else math.nan


def _finite(value) -> float:
    if value is None:
        return math.nan
    value = float(value)
    return value if math.isfinite(value) else math.nan


def quality_row(record) -> list[float]:
    """One listing's quality columns (``QUALITY_COLUMNS`` floats, NaN where not stated)."""
    codes = certificate_codes(getattr(record, "certificates", "") or "")
    cert_mask = sum(1 << CERTIFICATE_CODES.index(code) for code in set(codes)
                    if code in CERTIFICATE_CODES)
    return [
        _finite(getattr(record, "moisture_pct", None)),
        _finite(getattr(record, "calorific_mj_per_kg", None)),
        _finite(getattr(record, "particle_size_mm", None)),
        float(cert_mask) if cert_mask else math.nan,
        _word_mask(contaminant_words(getattr(record, "contaminants", "") or "")),
    ]


def quality_matrix(rows: Sequence[Sequence[float]]) -> np.ndarray:
    """The quality columns of listings as an n × ``QUALITY_COLUMNS`` array, or n × 0 when
    none of them states a field (then a pair costs nothing to score)."""
    matrix = np.asarray(rows, dtype=np.float64).reshape(-1, QUALITY_COLUMNS)
    if not np.isfinite(matrix).any():
        return np.zeros((len(matrix), 0))
    return matrix


def _fields(offer: np.ndarray, want: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    if offer.ndim != 2 or want.ndim != 2 or not offer.shape[1] or not want.shape[1]:
        return None
    return offer, want


def field_fits(offer_quality: np.ndarray, want_quality: np.ndarray) -> np.ndarray | None:
    """Per pair and field, the fit in [0, 1] (NaN where a side is silent); ``None`` when
    no listing of either side states any field. Length-1 sides broadcast."""
    sides = _fields(np.asarray(offer_quality), np.asarray(want_quality))
    if sides is None:
        return None
    o, w = np.broadcast_arrays(*sides)
    both = np.isfinite(o) & np.isfinite(w)
    fits = np.full(o.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        excess = np.maximum(o[:, MOISTURE] - w[:, MOISTURE], 0.0)
        fits[:, MOISTURE] = np.exp(-excess / QUALITY_MOISTURE_SCALE_PP)
        short = np.maximum(w[:, CALORIFIC] - o[:, CALORIFIC], 0.0) / w[:, CALORIFIC]
        fits[:, CALORIFIC] = np.exp(-np.nan_to_num(short, nan=0.0, posinf=0.0)
                                    / QUALITY_CALORIFIC_SCALE)
        over = np.maximum(o[:, PARTICLE] - w[:, PARTICLE], 0.0) / w[:, PARTICLE]
        fits[:, PARTICLE] = np.exp(-np.nan_to_num(over, nan=0.0, posinf=1e9)
                                   / QUALITY_PARTICLE_SCALE)
        held = np.nan_to_num(o[:, CERTIFICATE_MASK]).astype(np.int64)
        needed = np.nan_to_num(w[:, CERTIFICATE_MASK]).astype(np.int64)
        missing = np.bitwise_count(needed & ~held).astype(np.float64)
        fits[:, CERTIFICATE_MASK] = QUALITY_CERTIFICATE_MISSING ** missing
        carried = np.nan_to_num(o[:, CONTAMINANT_MASK]).astype(np.int64)
        refused = np.nan_to_num(w[:, CONTAMINANT_MASK]).astype(np.int64)
        fits[:, CONTAMINANT_MASK] = np.where((carried & refused) != 0,
                                             QUALITY_CONTAMINANT_CLASH, 1.0)
    fits[~both] = np.nan
    return fits


def quality_fit(offer_quality: np.ndarray, want_quality: np.ndarray) -> np.ndarray | float:
    """The ``quality`` component of pairs: the product of the fits of the fields both sides
    state, 1.0 where they state none (the scalar 1.0 when no listing states any)."""
    fits = field_fits(offer_quality, want_quality)
    if fits is None:
        return 1.0
    return np.prod(np.where(np.isnan(fits), 1.0, fits), axis=1)


def compared(offer_quality: np.ndarray, want_quality: np.ndarray) -> np.ndarray | None:
    """Whether each pair has a field both sides state (the component is on); ``None``
    when no listing of either side states any."""
    sides = _fields(np.asarray(offer_quality), np.asarray(want_quality))
    if sides is None:
        return None
    o, w = np.broadcast_arrays(*sides)
    return (np.isfinite(o) & np.isfinite(w)).any(axis=1)


def energy_mwh_per_t(quality: np.ndarray) -> np.ndarray:
    """Each listing's energy content (MWh/t) from its stated calorific value (1 MJ/kg =
    1/3.6 MWh/t), NaN where not stated: for comparing tonnes with MWh
    (``ListingArrays.quality`` rows; a want's is its minimum, so use the offer's)."""
    quality = np.asarray(quality, dtype=np.float64)
    if quality.ndim != 2 or not quality.shape[1]:
        return np.full(len(quality), np.nan)
    return quality[:, CALORIFIC] / 3.6


def quality_phrase(offer, want) -> str | None:
    """A short phrase on the quality of one pair of records (the explanation's), or
    ``None`` when no field is stated on both sides."""
    fits = field_fits(np.asarray([quality_row(offer)]), np.asarray([quality_row(want)]))
    if fits is None or not np.isfinite(fits[0]).any():
        return None
    row = fits[0]
    checked = [_NAMES[i] for i in range(QUALITY_COLUMNS) if np.isfinite(row[i])]
    short = []
    if row[MOISTURE] < 1:
        short.append(f"moisture {offer.moisture_pct:g}% over the {want.moisture_pct:g}% "
                     "maximum")
    if row[CALORIFIC] < 1:
        short.append(f"calorific value {offer.calorific_mj_per_kg:g} MJ/kg under the "
                     f"{want.calorific_mj_per_kg:g} MJ/kg minimum")
    if row[PARTICLE] < 1:
        short.append(f"particles up to {offer.particle_size_mm:g} mm over the "
                     f"{want.particle_size_mm:g} mm maximum")
    if row[CERTIFICATE_MASK] < 1:
        held = set(certificate_codes(offer.certificates))
        lacking = [code for code in certificate_codes(want.certificates)
                   if code in CERTIFICATE_CODES and code not in held]
        short.append("lacks " + ", ".join(dict(CERTIFICATES)[c] for c in lacking))
    if row[CONTAMINANT_MASK] < 1:
        shared = sorted(contaminant_words(offer.contaminants)
                        & contaminant_words(want.contaminants))
        short.append("carries " + (", ".join(shared) or "a contaminant") + " the want refuses")
    if not short:
        return "Quality: meets the stated " + ", ".join(checked) + "."
    return "Quality: " + "; ".join(short) + "."
