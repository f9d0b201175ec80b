"""Spreadsheet imports, built once for every kind: upload → preview → confirm → a task
with progress → result.

- ``parsing``: CSV (UTF-8, ';' ',' or tab) and XLSX into rows of strings, with limits;
- ``registry``: ``Importer`` kinds and ``register`` (how a higher app adds one: see its
  docstring);
- ``services``: ``import_job_preview``, ``import_job_confirm``, ``import_job_run``;
- ``selectors``: jobs a company (or an agency) may see;
- ``listings``: matching's own kind, a firm's offers and wants.

Import from here: ``from matching.imports import register, Importer, Column, Checked``.
"""

from matching.imports.parsing import MAX_BYTES, MAX_ROWS, ImportFileError, ParsedRow
from matching.imports.registry import (
    AGENCY,
    COMPANY,
    CREATE,
    CREATED,
    ERROR,
    UNCHANGED,
    UPDATE,
    UPDATED,
    Applied,
    Checked,
    Column,
    ImportContext,
    Importer,
    get_importer,
    importers,
    register,
)

__all__ = [
    "AGENCY", "COMPANY", "CREATE", "CREATED", "ERROR", "UNCHANGED", "UPDATE", "UPDATED",
    "MAX_BYTES", "MAX_ROWS", "Applied", "Checked", "Column", "ImportContext",
    "ImportFileError", "Importer", "ParsedRow", "get_importer", "importers", "register",
]
