"""Uploaded spreadsheets (CSV or XLSX) → a header and rows of plain strings.

Rows whose first cell starts with ``#`` are notes and skipped (the CSV template explains
its columns that way). No Django here: the import services call ``parse_upload`` and turn
``ImportFileError`` into a form or API error. Every cell comes out as a stripped string
('' for empty), so importers validate text the same way whichever format the firm saved.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 100

CSV, XLSX = "csv", "xlsx"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
_DELIMITERS = (";", ",", "\t")


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message says why and what to do."""


@dataclass
class ParsedRow:
    """One data row: its number as a spreadsheet shows it (the header is row 1)."""

    number: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)


@dataclass
class ParsedFile:
    format: str
    columns: list[str]
    rows: list[ParsedRow]


def normalise_header(name: str) -> str:
    """'External ID *' → 'external_id': what a column is called, however it is spelled."""
    text = re.sub(r"[^0-9a-z]+", "_", (name or "").strip().lower().replace("*", ""))
    return text.strip("_")


def parse_upload(*, name: str, data: bytes, max_rows: int = MAX_ROWS,
                 max_bytes: int = MAX_BYTES) -> ParsedFile:
    """Parse an uploaded CSV or XLSX file (chosen by its content, then its name)."""
    if len(data) > max_bytes:
        raise ImportFileError(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is "
            f"{max_bytes / 1024 / 1024:.0f} MB. Split it into smaller files."
        )
    if not data.strip():
        raise ImportFileError("The file is empty.")
    lower = (name or "").lower()
    if data.startswith(_OLE_MAGIC) or lower.endswith(".xls"):
        raise ImportFileError(
            "Old Excel files (.xls) cannot be read. Save the sheet as .xlsx or as CSV UTF-8."
        )
    if data.startswith(_ZIP_MAGIC):
        header, rows = _xlsx_rows(data, max_rows=max_rows)
        fmt = XLSX
    elif lower.endswith(".xlsx"):
        raise ImportFileError("This .xlsx file is damaged or not an Excel workbook.")
    else:
        header, rows = _csv_rows(data, max_rows=max_rows)
        fmt = CSV
    return _assemble(fmt, header, rows)


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(
            "The file is UTF-16 text ('Unicode text'). Save it as 'CSV UTF-8' instead."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"The file is not UTF-8 text (first unreadable byte on line {line}). In Excel "
            "choose 'Save as' → 'CSV UTF-8 (comma delimited)'; in LibreOffice pick the "
            "character set 'Unicode (UTF-8)'."
        ) from None


def _delimiter(first_line: str) -> str:
    """The delimiter the header uses most: ';' (Excel in most of Europe), ',' or tab."""
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(data: bytes, *, max_rows: int) -> tuple[list[str], list[tuple[int, list[str]]]]:
    text = _decode(data)
    if "\x00" in text:
        raise ImportFileError("The file holds binary data, not CSV text.")
    lines = (line for line in text.splitlines() if line.strip()
             and not line.lstrip().lstrip('"').startswith("#"))
    first_line = next(lines, "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells) or _comment(cells):
                continue
            if header is None:
                header = cells
                continue
            rows.append((reader.line_num, cells))
            if len(rows) > max_rows:
                raise ImportFileError(_too_many(max_rows))
    except csv.Error as exc:
        raise ImportFileError(f"The CSV cannot be read near line {reader.line_num}: {exc}.") \
            from None
    if header is None:
        raise ImportFileError("The file is empty.")
    return header, rows


def _comment(cells: list[str]) -> bool:
    """A row whose first cell starts with '#' is a note (the templates' column help)."""
    return bool(cells) and cells[0].strip().startswith("#")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(data: bytes, *, max_rows: int) -> tuple[list[str], list[tuple[int, list[str]]]]:
    import openpyxl  # only when an XLSX arrives

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(f"The Excel file cannot be read ({exc}). Save it again as "
                              ".xlsx or as CSV UTF-8.") from None
    try:
        sheet = book.worksheets[0]
        header: list[str] | None = None
        rows: list[tuple[int, list[str]]] = []
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            texts = [_cell_text(c) for c in cells[: MAX_COLUMNS + 1]]
            if not any(t.strip() for t in texts) or _comment(texts):
                continue
            if header is None:
                header = texts
                continue
            rows.append((number, texts))
            if len(rows) > max_rows:
                raise ImportFileError(_too_many(max_rows))
    finally:
        book.close()
    if header is None:
        raise ImportFileError("The first sheet of the workbook is empty.")
    return header, rows


def _too_many(max_rows: int) -> str:
    return f"The file has more than {max_rows:,} rows. Split it into smaller files."


def _assemble(fmt: str, header: list[str], rows: list[tuple[int, list[str]]]) -> ParsedFile:
    names = [normalise_header(h) for h in header]
    while names and not names[-1]:
        names.pop()
    if len(names) > MAX_COLUMNS:
        raise ImportFileError(f"The file has more than {MAX_COLUMNS} columns.")
    seen: set[str] = set()
    for position, column in enumerate(names, start=1):
        if not column:
            raise ImportFileError(f"Column {position} of the first row has no name.")
        if column in seen:
            raise ImportFileError(f"The column “{column}” appears twice in the first row.")
        seen.add(column)
    parsed: list[ParsedRow] = []
    for number, cells in rows:
        values = {name: (cells[i].strip() if i < len(cells) else "")
                  for i, name in enumerate(names)}
        row = ParsedRow(number=number, values=values)
        extra = [c for c in cells[len(names):] if c.strip()]
        if extra:
            row.errors.append(f"This row has {len(names) + len(extra)} or more cells; the "
                              f"first row names {len(names)} columns.")
        parsed.append(row)
    if not parsed:
        raise ImportFileError("The file has a header row but no data rows.")
    return ParsedFile(format=fmt, columns=names, rows=parsed)
