"""Quality fields of listings: which a category asks for, and the certificate list's rules.

An offer's quality fields say what the material is; a want's say what the buyer's process
takes (the most moisture, the least calorific value, the largest particle, contaminants it
refuses, certificates it requires). The matcher compares them where both sides state them
(``matching.engine.score.quality_fit``).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from matching.engine import CERTIFICATE_CODES, CERTIFICATES

QUALITY_FIELDS = (
    "moisture_pct", "calorific_mj_per_kg", "particle_size_mm", "contaminants", "certificates",
)
MAX_CONTAMINANTS_CHARS = 200
CERTIFICATE_CHOICES = [(code, _(label)) for code, label in CERTIFICATES]

_FUEL = ("calorific_mj_per_kg", "moisture_pct", "contaminants")
_ORGANIC = ("moisture_pct", "contaminants", "certificates")
_MINERAL = ("particle_size_mm", "contaminants", "certificates")

# The fields the listing form asks for, by category slug, else by its top-level group;
# a category in neither (energy, water, gases) asks for none, and a listing without a
# category is asked for all. Whatever is asked, every field is accepted and validated.
CATEGORY_QUALITY_FIELDS: dict[str, tuple[str, ...]] = {
    "solid-fuel": (*_FUEL, "particle_size_mm", "certificates"),
    "fuel-gas": ("calorific_mj_per_kg", "contaminants"),
    "oils": _FUEL,
    "solvents": _FUEL,
    "wood": (*_FUEL, "particle_size_mm", "certificates"),
    "plastics-rubber": ("calorific_mj_per_kg", "contaminants", "particle_size_mm"),
    "organics": _ORGANIC,
    "sludge": ("moisture_pct", "contaminants", "certificates", "calorific_mj_per_kg"),
    "minerals": _MINERAL,
    "gypsum": (*_MINERAL, "moisture_pct"),
    "metals": ("contaminants", "particle_size_mm"),
    "paper-fibre": ("moisture_pct", "contaminants"),
    "glass": ("particle_size_mm", "contaminants"),
    "textiles": ("contaminants",),
    "chemicals": ("contaminants", "certificates"),
    "other": QUALITY_FIELDS,
    "": QUALITY_FIELDS,
}


def quality_fields_for(category: str, *, group: str = "") -> tuple[str, ...]:
    """The quality fields the form asks for with this category (``group``: its top-level
    category)."""
    if category in CATEGORY_QUALITY_FIELDS:
        return CATEGORY_QUALITY_FIELDS[category]
    return CATEGORY_QUALITY_FIELDS.get(group, ())


def _parts(value: str) -> list[str]:
    return [part.strip().lower() for part in re.split(r"[,;]", value or "") if part.strip()]


def validate_certificates(value: str) -> None:
    """Refuse certificate codes outside ``CERTIFICATE_CODES``, naming the known ones."""
    unknown = [part for part in _parts(value) if part not in CERTIFICATE_CODES]
    if unknown:
        raise ValidationError(
            _("Unknown certificate “%(code)s”; choose from: %(codes)s."),
            code="invalid_certificate",
            params={"code": unknown[0], "codes": ", ".join(CERTIFICATE_CODES)},
        )


def clean_certificates(value: str | list[str] | tuple[str, ...] | None) -> str:
    """Certificates as stored: known codes, lower-case, in ``CERTIFICATE_CODES`` order,
    comma-separated ("" for none). Accepts a comma or semicolon list or a sequence."""
    if isinstance(value, list | tuple):
        value = ",".join(value)
    validate_certificates(value or "")
    held = set(_parts(value or ""))
    return ",".join(code for code in CERTIFICATE_CODES if code in held)


def quality_compared(offer, want) -> bool:
    """Whether a pair's quality component is on: a quality field stated on both sides
    (listings or engine records). Off, the stored ``quality`` is 1.0 and says nothing."""
    return any(
        getattr(offer, name) not in (None, "") and getattr(want, name) not in (None, "")
        for name in QUALITY_FIELDS
    )


def certificate_labels(value: str) -> list[str]:
    """The labels of stored certificate codes, for pages."""
    labels = dict(CERTIFICATE_CHOICES)
    return [str(labels[code]) for code in _parts(value) if code in labels]
