"""Register files for the cold-start tests: rows of the real E-PRTR file, chosen."""

from __future__ import annotations

import csv
import io

from django.conf import settings

from matching.imports import services as import_services

REGISTER = settings.DATA_DIR / "eprtr-finland" / "facilities.csv"


def register_rows() -> list[dict[str, str]]:
    with open(REGISTER, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def satakunta_rows(*, facilities: int | None = None) -> list[dict[str, str]]:
    """Every year row of the register's facilities in the demo region's box (or only
    ``facilities`` of them, operating and with waste transfers reported)."""
    rows = [r for r in register_rows()
            if 60.95 <= float(r["lat"]) <= 62.35 and 21.0 <= float(r["lon"]) <= 23.2]
    if facilities is not None:
        # Those reporting most years first: their earlier years are left out by the import.
        years: dict[str, int] = {}
        for r in rows:
            if r["waste_transfer_reported"] == "1" and r["facility_status"] == "functional":
                years[r["facility_id"]] = years.get(r["facility_id"], 0) + 1
        keep = sorted(years, key=lambda key: (-years[key], key))[:facilities]
        rows = [r for r in rows if r["facility_id"] in keep]
    return rows


def preview(*, agency, user, data: bytes, name: str = "facilities.csv"):
    """The preview as staff see it: a large file is checked by the machinery's background
    step (``import_job_check``, the ``check_import`` task), run here in line."""
    job = import_services.import_job_preview(kind="facilities", user=user,
                                             agency_id=agency.pk, file_name=name, data=data)
    if job.status == "checking":
        job = import_services.import_job_check(job_id=job.pk)
    return job


def run_import(*, agency, user, data: bytes, capture, name: str = "facilities.csv"):
    """Preview, confirm and run a facilities import as the pages do; the job. ``capture``
    is pytest-django's ``django_capture_on_commit_callbacks``: the task is queued on
    commit, and the rematch it queues at its end too."""
    job = preview(agency=agency, user=user, data=data, name=name)
    with capture(execute=True):
        import_services.import_job_confirm(job=job)
    job.refresh_from_db()
    return job
