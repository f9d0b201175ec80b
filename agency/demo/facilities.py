"""Demo part: a small part of the E-PRTR register imported for the demo agency, so the demo
has unclaimed profiles with indicative listings in the matcher.

The twelve facilities of the demo region's box that reported the most waste sent off site
in their latest year, with every year row of theirs (the import keeps the latest), go
through the ordinary import machinery: preview, confirm, run. One profile gets the claim
domain ``claim-demo.example``, so the claim page can be tried (the link is printed by the
console e-mail backend). Idempotent: the same file already imported is not imported again.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from typing import TextIO

from django.conf import settings

from accounts.claims import company_set_claim_domain
from accounts.models import User
from accounts.selectors import agency_list_for_user
from agency.facilities.selectors import facility_profile_list
from matching import services as matching_services
from matching.demo.services import REVIEWER_EMAIL
from matching.imports import services as import_services
from matching.imports.selectors import import_job_list
from matching.models import Listing
from symbiosis.demo import DemoDataError

BOX = {"min_lat": 60.95, "max_lat": 62.35, "min_lon": 21.0, "max_lon": 23.2}
FACILITIES = 12
FILE_NAME = "eprtr-finland-satakunta-demo.csv"
CLAIM_DOMAIN = "claim-demo.example"


def demo_rows(*, inside: Callable[[float, float], bool] | None = None
              ) -> list[dict[str, str]]:
    """The demo's register rows, in the file's order; ``inside`` (lat, lon) narrows the box
    to the demo region's own shape, so every chosen facility is imported."""
    with open(settings.DATA_DIR / "eprtr-finland" / "facilities.csv", encoding="utf-8",
              newline="") as handle:
        rows = [r for r in csv.DictReader(handle)
                if BOX["min_lat"] <= float(r["lat"]) <= BOX["max_lat"]
                and BOX["min_lon"] <= float(r["lon"]) <= BOX["max_lon"]
                and (inside is None or inside(float(r["lat"]), float(r["lon"])))]
    latest: dict[str, dict[str, str]] = {}
    for row in rows:
        if int(row["year"]) >= int(latest.get(row["facility_id"], {"year": "0"})["year"]):
            latest[row["facility_id"]] = row

    def tonnes(row: dict[str, str]) -> float:
        return sum(float(row[c] or 0) for c in ("hazardous_t", "non_hazardous_t"))

    chosen = sorted((r for r in latest.values() if r["facility_status"] == "functional"
                     and r["name"].upper() != "CONFIDENTIAL" and tonnes(r) > 0),
                    key=lambda r: (-tonnes(r), r["facility_id"]))
    keep = {r["facility_id"] for r in chosen[:FACILITIES]}
    return [r for r in rows if r["facility_id"] in keep]


def demo_file(*, inside: Callable[[float, float], bool] | None = None) -> bytes:
    rows = demo_rows(inside=inside)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def facilities_demo(*, stdout: TextIO | None = None) -> tuple[str, ...]:
    reviewer = User.objects.filter(email=REVIEWER_EMAIL).first()
    agency = agency_list_for_user(user=reviewer).first() if reviewer is not None else None
    if agency is None:
        raise DemoDataError("The facilities demo needs the demo agency and its reviewer.")
    regions = list(agency.regions.all())
    data = demo_file(inside=lambda lat, lon: any(r.contains(lat, lon) for r in regions))
    done = import_job_list(agency_id=agency.pk, kind="facilities").filter(
        sha256=hashlib.sha256(data).hexdigest(), status="done").first()
    if done is None:
        job = import_services.import_job_preview(kind="facilities", user=reviewer,
                                                 agency_id=agency.pk, file_name=FILE_NAME,
                                                 data=data)
        import_services.import_job_confirm(job=job)
        # Run now, inside the demo's transaction (the task queued on commit finds it done).
        done = import_services.import_job_run(job_id=job.pk)
        if done is None or done.status != "done":
            raise DemoDataError(f"The register demo import failed: {done and done.error}")
        # The demo shows their matches at once (the rematch the import queued for after
        # commit does the same again).
        matching_services.listing_rematch_many(listing_ids=list(
            Listing.objects.filter(company__register_facility__pk__in=done.changed_ids)
            .values_list("pk", flat=True)))
    profiles = facility_profile_list(agency=agency)
    first = profiles.filter(claimed=False).first()
    if first is not None and not profiles.filter(claim_domain=CLAIM_DOMAIN).exists():
        company_set_claim_domain(company=first, domain=CLAIM_DOMAIN)
    summary = done.summary or {}
    line = (f"Register: {profiles.count()} profiles from the E-PRTR register "
            f"({summary.get('created', 0)} created, {summary.get('unchanged', 0)} unchanged "
            f"in the last import); claim one at /accounts/claim/ with an address at "
            f"@{CLAIM_DOMAIN}.")
    if stdout is not None:
        stdout.write(line + "\n")
    return (line,)
