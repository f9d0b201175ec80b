"""CSV downloads of the agency's tables (dashboard and reports)."""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.http import HttpResponse


def csv_response(*, filename: str, header: list[str], rows: Iterable[Iterable]) -> HttpResponse:
    """A CSV attachment; cells that a spreadsheet would run as formulas are quoted."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe(cell) for cell in row])
    return response


def _safe(cell):
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@") and not _is_number(cell):
        return "'" + cell
    return "" if cell is None else cell


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
