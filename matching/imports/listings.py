"""The "listings" import kind: a firm's offers and wants from a spreadsheet.

Rows are validated by the API's ``ListingInputSerializer`` (whose rules are
``matching.rules``') and saved by the bulk service (``listing_save_many``), so a file, a
bulk request and a form all obey the same rules. Listings are keyed by the firm's own
``external_id``: a known id updates its listing, an identical row is left unchanged,
so importing the same file again changes nothing. Blank cells keep the current value of
an existing listing (and the default of a new one).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.selectors import site_list_for_company
from matching import catalogue, rules, services
from matching.api.serializers import LISTING_INPUT_FIELDS, ListingInputSerializer
from matching.engine import CERTIFICATE_CODES
from matching.engine.quantity import RATE_EXAMPLES
from matching.imports.parsing import ParsedRow
from matching.imports.registry import (
    CREATE,
    CREATED,
    UNCHANGED,
    UPDATE,
    UPDATED,
    Applied,
    Checked,
    Column,
    ImportContext,
    Importer,
)
from matching.models import Listing
from matching.quality import MAX_CONTAMINANTS_CHARS

_LOWERED = {"kind", "frequency", "physical_state", "status", "hazardous",
            "accepts_hazardous"}
# Lists, where "1,5" is two items and not a decimal comma.
_TEXT = {"contaminants", "certificates"}
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")


class _KnownSite(serializers.Field):
    """A site id among the company's sites, read once per import (no query per row)."""

    def to_internal_value(self, data):
        site = self.context["sites_by_pk"].get(int(data)) if str(data).isdigit() else None
        if site is None:
            raise serializers.ValidationError(_("Choose one of your company's sites."))
        return site


class ImportRowSerializer(ListingInputSerializer):
    """The API's listing input (same fields, same rules) for one row of a file, with what
    the file refers to looked up once per chunk instead of per row: the site among the
    company's sites, and the listing of the external id (``ListingsImporter.begin``), so
    only the id's format is checked here. The database's unique constraint still guards
    the id when the row is saved."""

    site = _KnownSite()
    # The fields as ModelSerializer builds them from the model, built once per process.
    _field_template: dict | None = None

    def get_fields(self):
        cls = type(self)
        if cls._field_template is None:
            cls._field_template = super().get_fields()
        return copy.deepcopy(cls._field_template)

    def validate_external_id(self, value: str) -> str:
        try:
            rules.validate_external_id_format(external_id=value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.error_dict["external_id"][0].messages) \
                from None
        return value


def _choices(choices) -> str:
    return ", ".join(value for value, _label in choices)


class ListingsImporter(Importer):
    kind = "listings"
    label = "Listings"
    scope = "company"
    description = ("Your offers and wants, one per row, keyed by your own external id: "
                   "importing the same file again changes nothing.")
    columns = (
        Column("external_id", True, "Your own key for the listing (1–100 letters, digits "
               "and . _ : -). A known id updates that listing.", "ERP-4711"),
        Column("kind", True, f"{_choices(Listing.Kind.choices)}.", "offer"),
        Column("title", True, "What it is, in a few words.", "Coal fly ash"),
        Column("site", False, "The name (or id) of one of your sites; may be blank when "
               "you have one site.", "Main plant"),
        Column("description", False, "Composition, quality, how it is stored.",
               "Dry fly ash from the boiler, in a silo."),
        Column("category", False, "Material category (its name or slug).", ""),
        Column("ewc_code", False, "European List of Waste code (6 digits, spaces allowed).",
               "10 01 02"),
        Column("quantity", False, "A number (decimal point or comma).", "400"),
        Column("unit", False, "A unit (t, kg, m3, l, MWh, kWh, GJ, MW, kW, unit) with "
               f"frequency, or a rate that sets it: {RATE_EXAMPLES}.", "t/month"),
        Column("frequency", False, f"{_choices(Listing.Frequency.choices)}; left out when "
               "the unit is a rate.", ""),
        Column("physical_state", False, f"{_choices(Listing.PhysicalState.choices)}.",
               "solid"),
        Column("hazardous", False, "yes or no.", "no"),
        Column("accepts_hazardous", False, "For wants: yes or no.", ""),
        Column("available_from", False, "Date, YYYY-MM-DD.", ""),
        Column("available_until", False, "Date, YYYY-MM-DD.", ""),
        Column("max_distance_km", False, "How far the material may travel.", "80"),
        Column("status", False, f"{_choices(Listing.Status.choices)} (new listings: "
               "active).", ""),
        Column("density_t_per_m3", False, "Tonnes per cubic metre, to compare t and m3.", ""),
        Column("temperature_c", False, "For heat and fluids, °C.", ""),
        Column("pressure_bar", False, "For gases and steam, bar.", ""),
        Column("moisture_pct", False, "Moisture, % of mass as delivered (0–100); for "
               "wants the most you can take.", ""),
        Column("calorific_mj_per_kg", False, "Net calorific value as received, MJ/kg "
               "(0.1–150); for wants the least you can use.", ""),
        Column("particle_size_mm", False, "Largest particle, mm; for wants the largest "
               "you can take.", ""),
        Column("contaminants", False, "Main contaminants, comma-separated (at most "
               f"{MAX_CONTAMINANTS_CHARS} characters); for wants those you cannot take.",
               ""),
        Column("certificates", False, "Certificate codes, separated by commas or "
               f"semicolons: {', '.join(CERTIFICATE_CODES)}; for wants those you "
               "require.", ""),
    )

    def begin(self, *, rows: Sequence[ParsedRow], context: ImportContext) -> None:
        company = context.company
        ids = [r.values.get("external_id", "") for r in rows]
        context.cache["existing"] = {
            listing.external_id: listing
            for listing in Listing.objects.filter(company=company, external_id__in=ids)
        }
        if "sites" not in context.cache:
            sites = list(site_list_for_company(company=company))
            context.cache["sites"] = sites
            context.cache["sites_by_pk"] = {s.pk: s for s in sites}
            context.cache["site_names"] = {s.name.strip().lower(): s.pk for s in sites}
            context.cache["categories"] = {
                c.name.strip().lower(): slug
                for slug, c in catalogue.knowledge().categories.items()
            }

    def _data(self, values: Mapping[str, str], context: ImportContext,
              existing: Listing | None) -> tuple[dict[str, Any], dict[str, list[str]]]:
        data: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for name, value in values.items():
            if name not in LISTING_INPUT_FIELDS or value == "":
                continue
            if name in _LOWERED:
                value = value.lower()
            if _DECIMAL_COMMA.match(value) and name not in _TEXT:
                value = value.replace(",", ".")
            data[name] = value
        site = data.get("site", "")
        sites = context.cache["sites"]
        if site:
            by_name = context.cache["site_names"].get(site.lower())
            if by_name is not None:
                data["site"] = by_name
            elif not (site.isdigit() and any(s.pk == int(site) for s in sites)):
                names = ", ".join(s.name for s in sites) or _("none yet")
                errors["site"] = [_("None of your sites is called “%(site)s”. Your sites: "
                                    "%(names)s.") % {"site": site, "names": names}]
        elif existing is not None:
            data["site"] = existing.site_id
        elif len(sites) == 1:
            data["site"] = sites[0].pk
        else:
            errors["site"] = [_("Name the site: your company has %(count)d sites.")
                              % {"count": len(sites)} if sites else
                              _("Add a site to your company first.")]
        category = data.get("category")
        if category:
            data["category"] = context.cache["categories"].get(category.lower(), category)
        return data, errors

    def validate(self, values: Mapping[str, str], *, context: ImportContext) -> Checked:
        external_id = values.get("external_id", "")
        if not external_id:
            return Checked(errors={"external_id": [_("Every row needs its external_id.")]})
        if external_id in context.seen:
            return Checked(errors={"external_id": [
                _("“%(id)s” is on an earlier row of this file too.") % {"id": external_id}]})
        context.seen.add(external_id)
        existing = context.cache["existing"].get(external_id)
        data, errors = self._data(values, context, existing)
        serializer = ImportRowSerializer(instance=existing, data=data, context={
            "company": context.company, "sites_by_pk": context.cache["sites_by_pk"]})
        if not serializer.is_valid():
            for name, messages in serializer.errors.items():
                errors.setdefault(name, []).extend(
                    str(m) for m in (messages if isinstance(messages, list) else [messages]))
        if errors:
            return Checked(errors=errors)
        item = services.BulkItem(existing, serializer.validated_data)
        if existing is None:
            return Checked(action=CREATE, payload=item)
        unchanged = services.listing_unchanged(listing=existing, data=item.data)
        return Checked(action=UNCHANGED if unchanged else UPDATE, payload=item)

    def apply(self, payload: services.BulkItem, *, context: ImportContext) -> Applied:
        from django.core.exceptions import ValidationError

        [outcome] = services.listing_save_many(
            company=context.company, user=context.user, items=[payload],
            queue_rematch=False,
        )
        if outcome.errors:
            raise ValidationError(outcome.errors)
        result = {"created": CREATED, "updated": UPDATED}.get(outcome.result, UNCHANGED)
        return Applied(result=result, object_id=outcome.listing.pk if outcome.listing
                       else None)

    def finish(self, *, changed_ids: Sequence[int], context: ImportContext) -> None:
        # One rematch for every listing the file created or changed, after commit.
        if changed_ids:
            services.listing_queue_rematch_many(listing_ids=list(changed_ids))
