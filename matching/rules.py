"""Rules on a listing's fields, each checked by one function with one message.

Forms, API serializers and services all call these, so a rule cannot drift apart between
the portal and the API. Each raises Django's ``ValidationError`` keyed by the field it is
about; the API's error handler and ``accounts.forms.add_service_errors`` show it there.
"""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Company
from matching import catalogue
from matching.engine import split_rate
from matching.models import Listing

# The database's check constraint says the same (``Listing.Meta.constraints``).
WINDOW_MESSAGE = _("“Available until” must not be before “available from”.")
EXTERNAL_ID_MESSAGE = _("Another of your listings already has this external id.")
# Safe in a URL path unescaped (/api/v1/listings/external/<id>/).
EXTERNAL_ID_PATTERN = r"[A-Za-z0-9._:-]{1,100}"
EXTERNAL_ID_FORMAT_MESSAGE = _("Use 1 to 100 letters, digits and . _ : - only.")


def validate_availability_window(
    *, available_from: date | None, available_until: date | None
) -> None:
    """The end of availability, when given, is not before its start."""
    if available_from and available_until and available_until < available_from:
        raise ValidationError({"available_until": WINDOW_MESSAGE}, code="window")


def external_id_taken(*, company: Company, external_id: str, exclude_pk: int | None = None
                      ) -> bool:
    """Another listing of ``company`` already uses ``external_id`` (blank never clashes)."""
    if not external_id:
        return False
    clash = Listing.objects.filter(company=company, external_id=external_id)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    return clash.exists()


def validate_external_id_format(*, external_id: str) -> None:
    """1 to 100 letters, digits and ``._:-`` (blank is allowed: no external id)."""
    if external_id and not re.fullmatch(EXTERNAL_ID_PATTERN, external_id):
        raise ValidationError({"external_id": EXTERNAL_ID_FORMAT_MESSAGE}, code="format")


def validate_external_id(*, company: Company, external_id: str, exclude_pk: int | None = None
                         ) -> None:
    """A company's external ids (its own system's keys) are unique among its listings,
    1 to 100 letters, digits and ``._:-``."""
    validate_external_id_format(external_id=external_id)
    if external_id_taken(company=company, external_id=external_id, exclude_pk=exclude_pk):
        raise ValidationError({"external_id": EXTERNAL_ID_MESSAGE}, code="unique")


# How firms write a code: digits, spaces or dots or dashes between pairs, a star for the
# hazardous entries. Anything else (a letter, a word) is not a code.
_EWC_WRITTEN = re.compile(r"[\d\s.\-/*]+")
_BLANK_EWC = {"", "-", "–", "—"}


def clean_ewc_code(value: str | None) -> str:
    """'10 01 02*' → '100102'; anything but a List of Waste entry (or blank) is refused,
    never dropped: "abc" would otherwise normalise to no code at all.

    The one check of an EWC code: forms, the API, imports and bulk writes all come here
    (through ``services.listings``)."""
    written = (value or "").strip()
    if written in _BLANK_EWC:
        return ""
    code = catalogue.normalise_ewc(written)
    try:
        if not _EWC_WRITTEN.fullmatch(written) or not code:
            raise ValidationError(
                _("“%(value)s” is not an EWC code: give the six digits of a European List "
                  "of Waste entry, e.g. 10 01 02, or leave it blank."),
                params={"value": written[:40]},
            )
        catalogue.validate_ewc(code)
    except ValidationError as exc:
        raise ValidationError({"ewc_code": exc.messages}, code="ewc") from None
    return code


def clean_unit(*, unit: str | None, frequency: str | None) -> tuple[str, str | None]:
    """A unit as firms write it ('t', 't/month', 'kg/h') → (unit code, frequency).

    A rate sets the frequency; giving another frequency with it is refused. The frequency
    returned is None when the unit implies none (the caller keeps its own). The conversion
    is the engine's (``matching.engine.quantity.split_rate``), the one place for units.
    """
    if not unit:
        return "", frequency
    try:
        code, implied = split_rate(unit)
    except ValueError as exc:
        raise ValidationError({"unit": str(exc)}, code="unit") from None
    if implied is None:
        return code, frequency
    if frequency and frequency != implied and "/" in unit:
        message = _("The unit %(unit)s already says how often; leave out the frequency or "
                    "give “%(implied)s”.") % {"unit": unit, "implied": implied}
        raise ValidationError({"frequency": message}, code="unit")
    return code, implied
