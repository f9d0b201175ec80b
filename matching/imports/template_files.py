"""Blank files a firm fills in: a CSV whose notes explain each column, and an XLSX with
the header on its first sheet and the column help on a second."""

from __future__ import annotations

import csv
import io

from matching.imports.registry import Importer


def _note(importer: Importer, column) -> str:
    needed = "required" if column.required else "optional"
    example = f" Example: {column.example}" if column.example else ""
    return f"# {column.name} ({needed}): {column.help}{example}"


def template_csv(importer: Importer) -> bytes:
    """UTF-8 with a BOM (so Excel reads it as UTF-8), ';'-separated, notes first."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([f"# {importer.label} import. Rows starting with # are notes and are "
                     "skipped; delete them or keep them."])
    for column in importer.columns:
        writer.writerow([_note(importer, column)])
    writer.writerow(importer.column_names)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(importer: Importer) -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = importer.kind[:31]
    sheet.append(importer.column_names)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(importer.columns, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(
            12, len(column.name) + 4)
    sheet.freeze_panes = "A2"
    help_sheet = book.create_sheet("Help")
    help_sheet.append(["column", "required", "help", "example"])
    for column in importer.columns:
        help_sheet.append([column.name, "yes" if column.required else "no", column.help,
                           column.example])
    help_sheet.column_dimensions["C"].width = 80
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
