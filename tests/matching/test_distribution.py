"""Model versions, single-listing matching on the current version, distributed rematch."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest
from django.db import connection

from bench.celery_worker import celery_workers
from bench.database import load_region
from bench.generate import generate_region
from matching import bulkwrite, modelstore, services
from matching.engine import ENGINE_VERSION, MatchIndex
from matching.models import Listing, Match
from matching.services import rematch
from tests.factories import ListingFactory
from tests.waiting import wait_until

VALUES = ("offer_id", "want_id", "score", "distance_km", "components", "explanation")


@pytest.fixture(autouse=True)
def model_dir(settings, tmp_path):
    """A model store of this test's own, and no models cached from other tests."""
    settings.MATCH_MODEL_DIR = str(tmp_path / "models")
    modelstore.clear_cache()
    rematch._delta_cache.clear()
    yield Path(settings.MATCH_MODEL_DIR)
    modelstore.clear_cache()


def _rows():
    return list(Match.objects.order_by("offer_id", "want_id").values_list(*VALUES))


@pytest.fixture
def region():
    """A small generated region: 160 listings around Eisenach (needs database access)."""
    generated = generate_region(160, seed=9)
    load_region(generated)
    return generated


def test_full_rematch_stores_a_version_and_switches_to_it(owner, partner, model_dir):
    assert modelstore.current_version() is None
    services.match_rematch_all()
    first = modelstore.current_version()
    assert first and first.startswith(ENGINE_VERSION)
    assert Match.objects.get().model_version == first
    # Read back from disk in a process that never saw it: the same model.
    modelstore.clear_cache()
    loaded = modelstore.load(first)
    assert [r.id for r in loaded.index.records] == [owner.listing.id, partner.listing.id]
    record = loaded.index.records[0]
    assert loaded.index.query(record, k=5)[0].want_id == partner.listing.id
    # New listings: a new version, and the old one is still on disk.
    ListingFactory(company=partner.company, site=partner.site, kind="want",
                   title="Fly ash for road base", quantity=500, amount_per_year=500.0)
    services.match_rematch_all()
    second = modelstore.current_version()
    assert second != first
    assert modelstore.exists(first) and modelstore.exists(second)


def test_same_listings_give_the_same_version_and_rows(owner, partner):
    services.match_rematch_all()
    version, rows = modelstore.current_version(), list(Match.objects.values())
    services.match_rematch_all()
    assert modelstore.current_version() == version
    assert list(Match.objects.values()) == rows  # not even updated_at moved


def test_single_listing_is_matched_with_the_current_version(owner, partner, model_dir):
    services.match_rematch_all()
    version = modelstore.current_version()
    fitted = sorted(model_dir.rglob("*.pkl"))
    listing = ListingFactory(company=owner.company, site=owner.site, title="Coal fly ash, dry")
    services.listing_rematch(listing_id=listing.id)
    match = Match.objects.get(offer=listing, want=partner.listing)
    assert match.model_version == version
    assert sorted(model_dir.rglob("*.pkl")) == fitted  # nothing refitted


def test_listings_saved_after_the_fit_find_each_other(owner, partner):
    services.match_rematch_all()
    offer = ListingFactory(company=owner.company, site=owner.site, title="Spent foundry sand",
                           description="Green sand from our moulding line.", category="aggregates",
                           ewc_code="100908")
    services.listing_rematch(listing_id=offer.id)
    want = ListingFactory(company=partner.company, site=partner.site, kind="want",
                          title="Foundry sand", description="Used foundry sand for our kiln.",
                          category="aggregates", ewc_code="")
    services.listing_rematch(listing_id=want.id)
    assert Match.objects.filter(offer=offer, want=want).exists()


def test_a_model_naming_deleted_listings_is_refitted(owner, partner):
    services.match_rematch_all()
    first = modelstore.current_version()
    Match.objects.all().delete()
    Listing.objects.filter(pk=partner.listing.pk).delete()
    other = ListingFactory(company=partner.company, site=partner.site, kind="want",
                           title="Fly ash wanted", quantity=100, amount_per_year=100.0)
    # The stale model still ranks the deleted want; the service notices and refits.
    assert services.listing_rematch(listing_id=owner.listing.id) >= 1
    assert modelstore.current_version() != first
    assert list(Match.objects.values_list("want_id", flat=True)) == [other.id]


def test_a_model_file_other_code_wrote_is_refitted(owner, partner):
    services.match_rematch_all()
    version = modelstore.current_version()
    model = modelstore.load(version)

    class OtherCode(pickle.Pickler):
        # The index as code with one record field fewer would have packed it.
        def reducer_override(self, obj):
            if isinstance(obj, MatchIndex):
                state = obj.__getstate__()
                state["records"] = state["records"][:-1]
                return MatchIndex.__new__, (MatchIndex,), state
            return NotImplemented

    with modelstore._model_path(version).open("wb") as handle:
        OtherCode(handle, protocol=5).dump(model)
    modelstore.clear_cache()
    with pytest.raises(LookupError, match="cannot be read here"):
        modelstore.load(version)
    assert modelstore.current() is None  # refitted on the next listing
    assert services.listing_rematch(listing_id=owner.listing.id) == 1


@pytest.mark.django_db
def test_distributed_rematch_equals_the_single_process_one(
    region, django_capture_on_commit_callbacks
):
    services.match_rematch_all(k=5)
    single = _rows()
    assert len(single) > 200
    Match.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        started = services.match_rematch_distributed(k=5, cells=3)  # tasks run in-process
    assert len(started) == 3
    version = started.version
    assert modelstore.current_version() == version
    assert services.match_rematch_progress(version=version) == (3, 3, 3)
    assert _rows() == single
    # Every task is idempotent: running a cell and a writer again changes nothing.
    stamps = list(Match.objects.order_by("id").values_list("id", "updated_at"))
    services.match_rematch_profiles(version=version, part=1)
    services.match_rematch_cell(version=version, cell=1)
    services.match_rematch_write(version=version, cell=1)
    assert list(Match.objects.order_by("id").values_list("id", "updated_at")) == stamps


@pytest.mark.django_db
def test_a_snapshot_that_no_longer_reads_as_its_version_is_not_assembled(
    region, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        started = services.match_rematch_distributed(k=5, cells=2)
    # The same work files under another version: what a deploy that changed the knowledge
    # base between the snapshot and its assembly leaves (the records hash otherwise).
    other = started.version[:-4] + "beef"
    shutil.copytree(modelstore.work_dir(started.version), modelstore.work_dir(other),
                    dirs_exist_ok=True)
    with pytest.raises(LookupError, match="no longer reads as that version"):
        services.match_rematch_assemble(version=other)
    assert not modelstore.exists(other)
    assert modelstore.current_version() == started.version


def test_rematch_leaves_matches_of_listings_newer_than_the_snapshot(owner, partner):
    services.match_rematch_all()
    model = modelstore.current()
    late = ListingFactory(company=owner.company, site=owner.site, title="Coal fly ash")
    services.listing_rematch(listing_id=late.id)
    assert Match.objects.filter(offer=late).exists()
    # A writer working from the earlier snapshot must not delete the newer listing's rows.
    rows = bulkwrite.MatchRows.from_records(model.index.match_all(k=20))
    bulkwrite.sync_matches(rows, version=model.version,
                           offers=model.index.side("offer").arrays.ids,
                           wants=model.index.side("want").arrays.ids)
    assert Match.objects.filter(offer=late).exists()


# --- PostgreSQL: COPY, and real workers ------------------------------------------------


def _xmins() -> dict:
    # PostgreSQL's row version: it changes whenever a row is rewritten.
    with connection.cursor() as cursor:
        cursor.execute("SELECT offer_id, want_id, xmin::text FROM matching_match")
        return {(o, w): x for o, w, x in cursor.fetchall()}


def _rematched_rows():
    """A full rematch stored (k = 5), its model, and the rows it wrote (those above the
    quality floor)."""
    from matching.services.rematch import material_fit_floor, records_above_floor

    services.match_rematch_full(k=5)
    model = modelstore.current()
    return model, bulkwrite.MatchRows.from_records(
        records_above_floor(model.index.match_all(k=5), material_fit_floor()))


def _write_edited(model, edited) -> tuple[int, int]:
    from django.db import transaction

    with transaction.atomic():
        return bulkwrite.sync_matches(
            edited, version="edit", offers=model.index.side("offer").arrays.ids,
            wants=model.index.side("want").arrays.ids)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_copy_write_touches_only_changed_rows(region):
    report = services.match_rematch_full(k=5)
    assert report.written == report.matches > 200
    assert (report.written, report.deleted) == (report.matches, 0)

    before = _xmins()
    again = services.match_rematch_full(k=5)
    assert (again.written, again.deleted) == (0, 0)
    assert _xmins() == before  # no row rewritten

    model, rows = _rematched_rows()
    changed_key = (int(rows.offer_id[0]), int(rows.want_id[0]))
    dropped_key = (int(rows.offer_id[1]), int(rows.want_id[1]))
    offer, want, score, rest = rows.lines[0].split("\t", 3)
    lines = [f"{offer}\t{want}\t{float(score) / 2!r}\t{rest}", *rows.lines[2:]]
    edited = bulkwrite.MatchRows(rows.offer_id[[0, *range(2, len(rows))]],
                                 rows.want_id[[0, *range(2, len(rows))]], lines)
    written, deleted = _write_edited(model, edited)
    assert (written, deleted) == (1, 1)
    after = _xmins()
    assert dropped_key not in after
    assert after[changed_key] != before[changed_key]
    assert {k: v for k, v in after.items() if k != changed_key} == {
        k: v for k, v in before.items() if k not in (changed_key, dropped_key)
    }
    assert Match.objects.get(offer_id=changed_key[0], want_id=changed_key[1]).model_version == (
        "edit"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rows_changed_for_sure_are_written_and_equal_ones_left_alone(region):
    model, rows = _rematched_rows()
    keys = [(int(o), int(w)) for o, w in zip(rows.offer_id[:4], rows.want_id[:4], strict=True)]
    # Row 0 gets another score (written without comparing), row 1 the same score with
    # another explanation (found by comparing), row 2 is dropped, row 3 is not stored.
    Match.objects.filter(offer_id=keys[3][0], want_id=keys[3][1]).delete()
    lines = list(rows.lines)
    offer, want, score, rest = lines[0].split("\t", 3)
    lines[0] = f"{offer}\t{want}\t{float(score) / 2!r}\t{rest}"
    head, _explanation = lines[1].rsplit("\t", 1)
    lines[1] = f"{head}\tanother explanation"
    scores = rows.score.copy()
    scores[0] /= 2
    keep = [0, 1, *range(3, len(rows))]
    edited = bulkwrite.MatchRows(rows.offer_id[keep], rows.want_id[keep],
                                 [lines[i] for i in keep], scores[keep])

    before = _xmins()
    written, deleted = _write_edited(model, edited)
    assert (written, deleted) == (3, 1)
    after = _xmins()
    assert keys[2] not in after and keys[3] in after
    assert {k: v for k, v in after.items() if k not in keys} == {
        k: v for k, v in before.items() if k not in keys}  # the others untouched
    changed = Match.objects.get(offer_id=keys[0][0], want_id=keys[0][1])
    assert changed.score == scores[0] and changed.model_version == "edit"
    explained = Match.objects.get(offer_id=keys[1][0], want_id=keys[1][1])
    assert explained.explanation == "another explanation"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_pair_stored_by_another_writer_after_the_scope_was_read_is_updated(region):
    import psycopg

    model, rows = _rematched_rows()
    offer, want = int(rows.offer_id[0]), int(rows.want_id[0])
    Match.objects.filter(offer_id=offer, want_id=want).delete()
    db = connection.settings_dict

    def chunks():
        # The scope has been read without the pair: its row goes to COPY, which meets
        # the row another connection commits now, and is upserted instead.
        with psycopg.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"],
                             port=db["PORT"] or 5432, password=db["PASSWORD"] or None,
                             autocommit=True) as other:
            other.execute(
                "INSERT INTO matching_match (offer_id, want_id, score, distance_km, "
                "components, explanation, model_version) "
                "VALUES (%s, %s, 0.01, 1, '{}', 'written elsewhere', 'other')", (offer, want))
        yield rows

    written, deleted = _write_edited(model, chunks())
    assert (written, deleted) == (1, 0)
    stored = Match.objects.get(offer_id=offer, want_id=want)
    assert (stored.score, stored.model_version) == (rows.score[0], "edit")
    assert stored.explanation != "written elsewhere" and stored.created_at is not None
    assert Match.objects.count() == len(rows)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_distributed_rematch_on_real_workers_equals_the_single_process_one(region, model_dir):
    services.match_rematch_full(k=5)
    single = _rows()
    Match.objects.all().delete()
    with celery_workers(2, prefix="test") as workers:
        started = services.match_rematch_distributed(k=5, cells=4)
        plan, version = started.plan, started.version

        def finished() -> bool:
            workers.check_running()
            return services.match_rematch_progress(version=version)[1] >= len(plan)

        wait_until(finished, timeout=120, interval=0.2,
                   message=lambda: "workers did not finish:\n" + workers.logs()[0][-3000:])
    assert len(single) > 200
    assert _rows() == single
    logs = "".join(workers.logs())
    assert logs.count("Task matching.tasks.rematch_cell[") >= len(plan)
