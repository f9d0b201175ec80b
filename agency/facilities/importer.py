"""The "facilities" import kind: a register of industrial facilities (the E-PRTR facility
list) into unclaimed profiles, through the one import machinery (``matching.imports``:
upload, preview with row errors, confirm, a task with progress, result).

The register has one row per facility and reporting year; only each facility's latest
year is imported, the earlier ones are reported as ``earlier_year``. Facilities outside
the agency's regions are reported as ``outside_regions``, one that no longer operates
and was never imported as ``not_operating``, and one the register names only
"CONFIDENTIAL" as ``confidential``: nothing is written for those. Registered from
``AgencyConfig.ready``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from accounts.models import Agency
from agency.facilities import mapping, services
from agency.models import Facility
from matching.imports import (
    AGENCY,
    CREATE,
    UNCHANGED,
    UPDATE,
    Applied,
    Checked,
    Column,
    ImportContext,
    Importer,
    ParsedRow,
)

EARLIER_YEAR, OUTSIDE_REGIONS, NOT_OPERATING = "earlier_year", "outside_regions", "not_operating"
CONFIDENTIAL = "confidential"
SKIPS = (EARLIER_YEAR, OUTSIDE_REGIONS, NOT_OPERATING, CONFIDENTIAL)


class FacilitiesImporter(Importer):
    kind = "facilities"
    label = "Register facilities (E-PRTR)"
    scope = AGENCY
    description = ("The E-PRTR facility list (one row per facility and reporting year): each "
                   "facility in your regions becomes an unclaimed profile with indicative "
                   "listings from its activity and its latest reported waste transfers. "
                   "Importing the same file again changes nothing.")
    columns = (
        Column("facility_id", True, "The register's facility id (INSPIRE id): the key.",
               "http://paikkatiedot.fi/so/1002031/pf/ProductionFacility/0000022167"),
        Column("name", True, "Facility name.", "Example Oy, Pori works"),
        Column("parent_company", False, "Operator (not used).", "Example Oy"),
        Column("street", False, "Street.", "Tehdastie"),
        Column("building_number", False, "Building number.", "1"),
        Column("postcode", False, "Postcode.", "28100"),
        Column("town", True, "Town.", "Pori"),
        Column("country", False, "ISO country code (default FI).", "FI"),
        Column("lat", True, "Latitude, WGS84.", "61.48"),
        Column("lon", True, "Longitude, WGS84.", "21.79"),
        Column("nace_code", False, "Not used: the sector comes from the activity.", ""),
        Column("eprtr_activity_code", True, "E-PRTR Annex I activity.", "1(c)"),
        Column("activity_name", False, "Annex I activity in words.",
               "Thermal power stations and other combustion installations"),
        Column("facility_status", False, "functional, disused, decommissioned…",
               "functional"),
        Column("last_reported_year", False, "Not used.", "2023"),
        Column("year", True, "Reporting year of the row's waste figures.", "2023"),
        Column("waste_transfer_reported", False, "Not used (blank figures are none).", "1"),
        Column("hazardous_t", False, "Hazardous waste sent off site, t/year.", "120.5"),
        Column("non_hazardous_t", False, "Non-hazardous waste sent off site, t/year.",
               "5400"),
        Column("hw_recovery_t", False, "Hazardous, to recovery (t).", "100"),
        Column("hw_disposal_t", False, "Hazardous, to disposal (t).", "20.5"),
        Column("nonhw_recovery_t", False, "Non-hazardous, to recovery (t).", "5000"),
        Column("nonhw_disposal_t", False, "Non-hazardous, to disposal (t).", "400"),
        Column("treatment_rd", False, "Not used.", "R+D"),
        Column("hw_transboundary_t", False, "Not used.", ""),
        Column("hw_transboundary_countries", False, "Not used.", ""),
        Column("facility_short_id", False, "The register's short id.", "0000022167"),
    )

    def begin(self, *, rows: Sequence[ParsedRow], context: ImportContext) -> None:
        cache = context.cache
        if "latest" not in cache:
            # The latest year of every facility in the whole file: at preview the rows
            # are the file; when applying they are one chunk, and the job holds the file
            # (read once per run: the cache lives as long as the run).
            source = (context.job.rows if context.job is not None
                      else [{"values": row.values} for row in rows])
            latest: dict[str, int] = {}
            for item in source:
                values = item["values"]
                key = (values.get("facility_id") or "").strip()
                year = (values.get("year") or "").strip()
                if key and year.isdigit():
                    latest[key] = max(latest.get(key, 0), int(year))
            cache["latest"] = latest
            agency = Agency.objects.filter(pk=context.agency_id).first()
            cache["agency"] = agency
            cache["regions"] = list(agency.regions.all()) if agency is not None else []
            cache["existing"] = {}
        keys = {(row.values.get("facility_id") or "").strip() for row in rows}
        cache["existing"].update({
            facility_id: (fingerprint, claimed)
            for facility_id, fingerprint, claimed in Facility.objects.filter(
                register=services.REGISTER, facility_id__in=keys - {""}
            ).values_list("facility_id", "fingerprint", "company__claimed")
        })

    def validate(self, values: Mapping[str, str], *, context: ImportContext) -> Checked:
        row = mapping.facility_row_read(dict(values))
        if row.errors:
            return Checked(errors=row.errors)
        cache = context.cache
        if row.year < cache["latest"].get(row.facility_id, row.year):
            return Checked(action=EARLIER_YEAR, payload=EARLIER_YEAR)
        if row.facility_id in context.seen:
            return Checked(errors={"facility_id": [
                f"Facility {row.facility_id} appears twice for {row.year}."]})
        context.seen.add(row.facility_id)
        if not services.facility_regions_contain(regions=cache["regions"], lat=row.lat,
                                                 lon=row.lon):
            return Checked(action=OUTSIDE_REGIONS, payload=OUTSIDE_REGIONS)
        existing = cache["existing"].get(row.facility_id)
        if existing is None and row.name.strip().upper() == "CONFIDENTIAL":
            # The register withholds who runs it: no profile anyone could claim.
            return Checked(action=CONFIDENTIAL, payload=CONFIDENTIAL)
        if existing is None:
            if not row.operating:
                return Checked(action=NOT_OPERATING, payload=NOT_OPERATING)
            return Checked(action=CREATE, payload=row)
        fingerprint, claimed = existing
        if claimed or fingerprint == row.fingerprint():
            return Checked(action=UNCHANGED, payload=row)
        return Checked(action=UPDATE, payload=row)

    def apply(self, payload: Any, *, context: ImportContext) -> Applied:
        if isinstance(payload, str):  # a row skipped on purpose: nothing to write
            return Applied(result=payload)
        outcome = services.facility_import_row(row=payload, agency=context.cache["agency"],
                                               user=context.user)
        context.cache["existing"][payload.facility_id] = (
            outcome.facility.fingerprint, outcome.facility.company.claimed)
        return Applied(result=outcome.result, object_id=outcome.facility.pk)

    def finish(self, *, changed_ids: Sequence[int], context: ImportContext) -> None:
        services.facility_listings_rematch(facility_ids=changed_ids)
