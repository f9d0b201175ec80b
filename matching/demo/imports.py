"""The demo firm's listing import (``data/demo/import-listings.csv``), uploaded once and
left waiting for confirmation, so the tour can show a preview with a refused row."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from accounts.models import Company, User
from matching.demo.data import demo_dir
from matching.imports.services import import_job_preview
from matching.models import ImportJob

DEMO_IMPORT_FILE = "import-listings.csv"


@dataclass(frozen=True)
class DemoImport:
    job: ImportJob
    created: bool


def demo_import_preview(*, company: Company, user: User | None,
                        data_dir: Path | None = None) -> DemoImport:
    """The demo import of ``company``: the existing job for this file, else a new preview."""
    path = (data_dir or demo_dir()) / DEMO_IMPORT_FILE
    data = path.read_bytes()
    existing = ImportJob.objects.filter(
        company=company, kind="listings", sha256=hashlib.sha256(data).hexdigest()
    ).defer("rows").first()
    if existing is not None:
        return DemoImport(job=existing, created=False)
    job = import_job_preview(kind="listings", user=user, company=company,
                             file_name=DEMO_IMPORT_FILE, data=data)
    return DemoImport(job=job, created=True)
