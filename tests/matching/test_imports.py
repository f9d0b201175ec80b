"""The import machinery (matching.imports) with matching's own "listings" kind."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError

from matching.imports import parsing
from matching.imports.services import import_job_confirm, import_job_preview, import_job_run
from matching.models import ImportJob, Listing

pytestmark = pytest.mark.django_db

GOOD = (
    "external_id;kind;title;site;ewc_code;quantity;unit\n"
    "ERP-1;offer;Coal fly ash;Harbour Power Oy works;10 01 02;400;t/month\n"
    "ERP-2;want;Gypsum for boards;;;12,5;t/week\n"
)


def _preview(persona, text: str | bytes, name: str = "listings.csv") -> ImportJob:
    data = text.encode() if isinstance(text, str) else text
    return import_job_preview(kind="listings", user=persona.user, company=persona.company,
                              file_name=name, data=data)


def _apply(job: ImportJob, django_capture_on_commit_callbacks) -> ImportJob:
    with django_capture_on_commit_callbacks(execute=True):
        import_job_confirm(job=job)
    job.refresh_from_db()
    return job


# --- parsing ----------------------------------------------------------------------------


def test_semicolon_csv_with_a_bom_is_read_with_headers_normalised():
    data = "\ufeffExternal ID;Kind\nA-1;offer\n".encode()
    parsed = parsing.parse_upload(name="x.csv", data=data)
    assert parsed.columns == ["external_id", "kind"]
    assert [(r.number, r.values) for r in parsed.rows] == [
        (2, {"external_id": "A-1", "kind": "offer"})]


def test_comma_csv_with_quoted_delimiters_is_read():
    data = b'external_id,title\nA-1,"Ash, dry"\n'
    assert parsing.parse_upload(name="x.csv", data=data).rows[0].values["title"] == "Ash, dry"


def test_latin1_csv_is_refused_with_how_to_save_utf8():
    data = "external_id;title\nA-1;Kuivaa tuhkaa \xe4\n".encode("latin-1")
    with pytest.raises(parsing.ImportFileError, match="not UTF-8.*line 2.*CSV UTF-8"):
        parsing.parse_upload(name="x.csv", data=data)


def test_utf16_csv_is_refused():
    with pytest.raises(parsing.ImportFileError, match="UTF-16"):
        parsing.parse_upload(name="x.csv", data="a;b\n1;2\n".encode("utf-16"))


def test_oversize_file_is_refused_before_reading():
    with pytest.raises(parsing.ImportFileError, match="limit is 1 MB"):
        parsing.parse_upload(name="x.csv", data=b"a\n" + b"x" * 1024 * 1024,
                             max_bytes=1024 * 1024)


def test_too_many_rows_are_refused():
    data = ("a\n" + "x\n" * 11).encode()
    with pytest.raises(parsing.ImportFileError, match="more than 10 rows"):
        parsing.parse_upload(name="x.csv", data=data, max_rows=10)


def test_duplicate_header_is_refused():
    with pytest.raises(parsing.ImportFileError, match="twice"):
        parsing.parse_upload(name="x.csv", data=b"title;Title\na;b\n")


def test_a_row_with_more_cells_than_columns_carries_an_error():
    parsed = parsing.parse_upload(name="x.csv", data=b"a;b\n1;2;3\n")
    assert "cells" in parsed.rows[0].errors[0]


def _xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_cells_become_text_dates_iso_and_whole_numbers_without_decimals():
    import datetime

    data = _xlsx([["external_id", "quantity", "available_from", "hazardous"],
                  ["X-1", 400.0, datetime.datetime(2027, 1, 31), False],
                  [None, None, None, None],
                  ["X-2", 2.5, None, True]])
    parsed = parsing.parse_upload(name="book.xlsx", data=data)
    assert parsed.format == "xlsx"
    assert [r.values for r in parsed.rows] == [
        {"external_id": "X-1", "quantity": "400", "available_from": "2027-01-31",
         "hazardous": "false"},
        {"external_id": "X-2", "quantity": "2.5", "available_from": "", "hazardous": "true"},
    ]
    assert [r.number for r in parsed.rows] == [2, 4]


def test_a_damaged_xlsx_is_refused():
    with pytest.raises(parsing.ImportFileError, match="cannot be read"):
        parsing.parse_upload(name="book.xlsx", data=b"PK\x03\x04 not really a zip")


def test_an_old_xls_is_refused_with_what_to_do():
    with pytest.raises(parsing.ImportFileError, match=r"\.xls"):
        parsing.parse_upload(name="book.xls", data=b"\xd0\xcf\x11\xe0rest")


# --- preview and apply -----------------------------------------------------------------


def test_preview_counts_rows_and_saves_nothing(owner):
    job = _preview(owner, GOOD + "ERP-3;offer;Ash;;;;tons/fortnight\nERP-4;want;;;;;\n")
    assert job.status == ImportJob.Status.PREVIEWED
    assert job.preview["counts"] == {"create": 2, "update": 0, "unchanged": 0, "error": 2}
    unit, title = job.row_errors
    assert (unit["row"], list(unit["errors"])) == (4, ["unit"])
    assert "t/month" in unit["errors"]["unit"][0]
    assert (title["row"], list(title["errors"])) == (5, ["title"])
    assert [r["action"] for r in job.preview["rows"]] == ["create", "create", "error", "error"]
    assert not Listing.objects.filter(external_id__startswith="ERP-").exists()


def test_missing_and_unknown_columns_refuse_the_file(owner):
    with pytest.raises(ValidationError) as caught:
        _preview(owner, "external_id;title;colour\nA;B;red\n")
    message = caught.value.message_dict["file"][0]
    assert "Required column missing: kind" in message
    assert "Unknown column: colour" in message


def test_confirm_applies_rows_converts_rates_and_matches_once(
        owner, django_capture_on_commit_callbacks, monkeypatch):
    from matching import tasks

    queued = []
    # The batch task is queued on commit with the commit's time (matching.services.bulk).
    monkeypatch.setattr(tasks.match_listings, "delay",
                        lambda ids, *_when: queued.append(sorted(ids)))
    monkeypatch.setattr(tasks.match_listing, "delay_on_commit",
                        lambda pk: queued.append([pk]))
    job = _apply(_preview(owner, GOOD), django_capture_on_commit_callbacks)

    assert job.status == ImportJob.Status.DONE
    assert (job.processed, job.total) == (2, 2)
    assert job.summary == {"created": 2, "updated": 0, "unchanged": 0, "error": 0}
    ash = Listing.objects.get(company=owner.company, external_id="ERP-1")
    assert (ash.unit, ash.frequency, ash.amount_per_year) == ("t", "monthly", 4800.0)
    assert ash.ewc_code == "100102"
    gypsum = Listing.objects.get(company=owner.company, external_id="ERP-2")
    # The only site when the cell is blank; a decimal comma read as a decimal point.
    assert gypsum.site_id == owner.site.pk
    assert float(gypsum.quantity) == 12.5
    assert gypsum.frequency == "weekly"
    assert queued == [sorted([ash.pk, gypsum.pk])]


def test_reimporting_the_same_file_changes_nothing(owner, django_capture_on_commit_callbacks):
    _apply(_preview(owner, GOOD), django_capture_on_commit_callbacks)
    stamps = dict(Listing.objects.filter(company=owner.company)
                  .values_list("pk", "updated_at"))

    again = _preview(owner, GOOD)
    assert again.preview["counts"] == {"create": 0, "update": 0, "unchanged": 2, "error": 0}
    again = _apply(again, django_capture_on_commit_callbacks)

    assert again.summary == {"created": 0, "updated": 0, "unchanged": 2, "error": 0}
    assert again.changed_ids == []
    assert dict(Listing.objects.filter(company=owner.company)
                .values_list("pk", "updated_at")) == stamps


def test_a_changed_row_updates_its_listing(owner, django_capture_on_commit_callbacks):
    _apply(_preview(owner, GOOD), django_capture_on_commit_callbacks)
    job = _preview(owner, GOOD.replace(";400;", ";500;"))
    assert job.preview["counts"]["update"] == 1
    job = _apply(job, django_capture_on_commit_callbacks)
    assert job.summary["updated"] == 1
    assert Listing.objects.get(external_id="ERP-1", company=owner.company).quantity == 500


def test_a_key_twice_in_one_file_is_an_error_on_the_second_row(owner):
    job = _preview(owner, GOOD + "ERP-1;offer;Again;;;;\n")
    assert job.row_errors == [{"row": 4, "errors": {"external_id": [
        "“ERP-1” is on an earlier row of this file too."]}}]


def test_running_in_chunks_reports_progress_and_running_again_does_nothing(
        owner, django_capture_on_commit_callbacks):
    rows = "".join(f"K-{n};offer;Lot {n};;;1;t\n" for n in range(7))
    job = _preview(owner, "external_id;kind;title;site;ewc_code;quantity;unit\n" + rows)
    job.status = ImportJob.Status.QUEUED
    job.save()
    done = import_job_run(job_id=job.pk, chunk_rows=3)
    assert (done.status, done.processed, done.summary["created"]) == ("done", 7, 7)
    assert import_job_run(job_id=job.pk).finished_at == done.finished_at
    assert import_job_run(job_id=987654) is None


def test_a_job_cut_off_half_way_resumes_after_its_last_chunk(owner):
    rows = "".join(f"K-{n};offer;Lot {n};;;1;t\n" for n in range(5))
    job = _preview(owner, "external_id;kind;title;site;ewc_code;quantity;unit\n" + rows)
    job.status = ImportJob.Status.QUEUED
    job.save()
    from matching.imports import services

    services._run_chunk(job_id=job.pk, chunk_rows=2, run=None)
    done = import_job_run(job_id=job.pk, chunk_rows=2)
    assert done.summary == {"created": 5, "updated": 0, "unchanged": 0, "error": 0}
    assert Listing.objects.filter(company=owner.company, external_id__startswith="K-").count() == 5


def test_rows_starting_with_a_hash_are_notes_and_skipped():
    data = b'"# kind; offer or want"\n# help, more\nexternal_id;kind\n# a note\nA-1;offer\n'
    parsed = parsing.parse_upload(name="x.csv", data=data)
    assert parsed.columns == ["external_id", "kind"]
    assert [r.values for r in parsed.rows] == [{"external_id": "A-1", "kind": "offer"}]


def test_a_large_file_is_checked_by_a_task_after_the_upload(
        owner, django_capture_on_commit_callbacks, monkeypatch):
    from matching.imports import services

    monkeypatch.setattr(services, "INLINE_CHECK_ROWS", 3)
    rows = "".join(f"K-{n};offer;Lot {n};;;1;t/week\n" for n in range(5)) + "K-5;want;;;;;\n"
    with django_capture_on_commit_callbacks() as queued:
        job = _preview(owner, "external_id;kind;title;site;ewc_code;quantity;unit\n" + rows)
    assert (job.status, job.preview) == (ImportJob.Status.CHECKING, {})
    with pytest.raises(ValidationError, match="still being checked"):
        import_job_confirm(job=job)

    for callback in queued:
        callback()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PREVIEWED
    assert job.processed == 0
    assert job.preview["counts"] == {"create": 5, "update": 0, "unchanged": 0, "error": 1}
    assert job.row_errors == [{"row": 7, "errors": {"title": ["This field is required."]}}]
    # Checking again (a second delivery of the task) changes nothing.
    assert services.import_job_check(job_id=job.pk).preview == job.preview
