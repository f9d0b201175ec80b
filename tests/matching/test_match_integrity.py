"""Match → listing integrity on PostgreSQL, kept by statement-level triggers (migration 0003)
instead of per-row foreign keys: the same refusals, and the same waiting under concurrency."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from django.db import IntegrityError, connection, transaction

from matching.bulkwrite import MatchRows, sync_matches
from matching.engine import MatchRecord
from matching.models import Listing, Match
from tests.factories import ListingFactory
from tests.waiting import wait_until

pytestmark = pytest.mark.postgres


def _pair():
    offer = ListingFactory(kind=Listing.Kind.OFFER)
    want = ListingFactory(kind=Listing.Kind.WANT)
    return offer, want


def _missing_id() -> int:
    return (Listing.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1000


def _rows(offer_id: int, want_id: int) -> MatchRows:
    return MatchRows.from_records([
        MatchRecord(offer_id=offer_id, want_id=want_id, score=0.5, distance_km=3.0,
                    components={"text": 0.5}, explanation="same material")
    ])


@pytest.mark.django_db
def test_a_match_naming_a_missing_listing_is_refused():
    offer, _ = _pair()
    with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
        Match.objects.create(offer=offer, want_id=_missing_id(), score=0.5, distance_km=1.0,
                             explanation="x")
    assert not Match.objects.exists()


@pytest.mark.django_db
def test_a_bulk_write_naming_a_missing_listing_is_refused_and_writes_nothing():
    offer, want = _pair()
    missing = _missing_id()
    with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
        sync_matches([_rows(offer.id, want.id), _rows(missing, want.id)], version="v",
                     offers=np.array([offer.id, missing]))
    assert not Match.objects.exists()


@pytest.mark.django_db
def test_a_bulk_write_of_existing_listings_is_stored():
    offer, want = _pair()
    with transaction.atomic():
        assert sync_matches(_rows(offer.id, want.id), version="v",
                            offers=np.array([offer.id])) == (1, 0)
    assert Match.objects.get().want_id == want.id


@pytest.mark.django_db
def test_moving_a_match_to_a_missing_listing_is_refused():
    offer, want = _pair()
    match = Match.objects.create(offer=offer, want=want, score=0.5, distance_km=1.0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Match.objects.filter(pk=match.pk).update(want_id=_missing_id())
    assert Match.objects.get().want_id == want.id


@pytest.mark.django_db
def test_deleting_a_matched_listing_in_sql_is_refused():
    offer, want = _pair()
    Match.objects.create(offer=offer, want=want, score=0.5, distance_km=1.0)
    with pytest.raises(IntegrityError, match="cannot be deleted"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM matching_listing WHERE id = %s", [want.id])
    assert Listing.objects.filter(id=want.id).exists()


@pytest.mark.django_db
def test_changing_a_matched_listings_id_is_refused():
    offer, want = _pair()
    Match.objects.create(offer=offer, want=want, score=0.5, distance_km=1.0)
    with pytest.raises(IntegrityError, match="cannot change its id"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE matching_listing SET id = %s WHERE id = %s",
                           [_missing_id(), offer.id])


@pytest.mark.django_db
def test_deleting_a_listing_through_the_orm_removes_its_matches_first():
    offer, want = _pair()
    other = ListingFactory(kind=Listing.Kind.WANT)
    Match.objects.create(offer=offer, want=want, score=0.5, distance_km=1.0)
    Match.objects.create(offer=offer, want=other, score=0.4, distance_km=2.0)
    want.delete()
    assert list(Match.objects.values_list("want_id", flat=True)) == [other.id]


def _connect():
    """A psycopg connection of its own to the test database (another transaction)."""
    import psycopg

    settings = connection.settings_dict
    return psycopg.connect(host=settings["HOST"], port=settings["PORT"] or 5432,
                           user=settings["USER"], password=settings["PASSWORD"],
                           dbname=settings["NAME"])


def _in_thread(sql: str, params: list) -> dict:
    """Run one statement on a connection of its own, in a thread; the outcome lands in
    the returned dict (``error`` or ``done``), the session's backend pid in ``pid``
    before the statement starts."""
    import psycopg

    outcome: dict = {}
    connected = threading.Event()

    def run():
        with _connect() as conn:
            outcome["pid"] = conn.info.backend_pid
            connected.set()
            try:
                conn.execute(sql, params)
                conn.commit()
                outcome["done"] = True
            except psycopg.Error as error:
                outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    outcome["thread"] = thread
    assert connected.wait(10), "the other session did not connect"
    return outcome


def _wait_until_blocked(execute, *, pid: int, thread: threading.Thread) -> None:
    """Return once session ``pid`` waits for a lock this session holds.

    ``execute`` runs a query on this session (the one holding the lock). PostgreSQL's lock
    table is read live, unlike ``pg_stat_activity``, which is frozen per transaction.
    """

    def blocked() -> bool:
        assert thread.is_alive(), "the other session finished instead of waiting"
        return execute("SELECT pg_backend_pid() = ANY(pg_blocking_pids(%s))", [pid])

    wait_until(blocked, timeout=10, message=f"session {pid} never waited for this one")


def _django_execute(sql: str, params: list):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_listing_deleted_while_its_matches_are_written_waits_and_is_refused():
    offer, want = _pair()
    with transaction.atomic():
        sync_matches(_rows(offer.id, want.id), version="v", offers=np.array([offer.id]))
        deleting = _in_thread("DELETE FROM matching_listing WHERE id = %s", [want.id])
        # The writer holds the listing: the delete waits for its commit.
        _wait_until_blocked(_django_execute, pid=deleting["pid"], thread=deleting["thread"])
    deleting["thread"].join(10)
    assert deleting["error"].sqlstate == "23503"  # foreign_key_violation
    assert Listing.objects.filter(id=want.id).exists()
    assert Match.objects.filter(want_id=want.id).exists()


@pytest.mark.django_db(transaction=True)
def test_matches_written_while_their_listing_is_deleted_wait_and_are_refused():
    offer, want = _pair()
    with _connect() as deleter:
        deleter.execute("DELETE FROM matching_listing WHERE id = %s", [want.id])
        outcome: dict = {}
        connected = threading.Event()

        def write():
            try:
                outcome["pid"] = _django_execute("SELECT pg_backend_pid()", [])
                connected.set()
                with transaction.atomic():
                    sync_matches(_rows(offer.id, want.id), version="v",
                                 offers=np.array([offer.id]))
            except IntegrityError as error:
                outcome["error"] = error
            finally:
                connection.close()

        writer = threading.Thread(target=write)
        writer.start()
        assert connected.wait(10), "the writer did not connect"
        # The delete holds the listing: the writer waits for it to end.
        _wait_until_blocked(lambda sql, params: deleter.execute(sql, params).fetchone()[0],
                            pid=outcome["pid"], thread=writer)
        deleter.commit()
    writer.join(10)
    assert "does not exist" in str(outcome["error"])
    assert not Match.objects.exists()


# --- an exclusive write (a full rematch): listings checked once, the trigger off -------


def _trigger_enabled() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = %s",
                       ["matching_match_listings_exist"])
        return cursor.fetchone()[0] == "O"


def _trigger_off_in_this_transaction() -> bool:
    return not _trigger_enabled()


@pytest.mark.django_db
def test_an_exclusive_write_pauses_the_check_only_while_it_writes():
    offer, want = _pair()
    seen = []

    def chunks():
        seen.append(_trigger_off_in_this_transaction())
        yield _rows(offer.id, want.id)

    with transaction.atomic():
        assert sync_matches(chunks(), version="v", offers=np.array([offer.id]),
                            wants=np.array([want.id]), exclusive=True) == (1, 0)
        assert _trigger_enabled()
    assert seen == [True]
    assert Match.objects.get().want_id == want.id


@pytest.mark.django_db
def test_an_exclusive_write_naming_a_listing_outside_its_scope_is_still_refused():
    offer, want = _pair()
    missing = _missing_id()
    with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
        sync_matches([_rows(offer.id, want.id), _rows(offer.id, missing)], version="v",
                     offers=np.array([offer.id]), wants=np.array([want.id]),
                     exclusive=True)
    assert not Match.objects.exists()
    assert _trigger_enabled()


@pytest.mark.django_db
def test_an_exclusive_write_whose_scope_names_a_missing_listing_keeps_the_check():
    offer, want = _pair()
    missing = _missing_id()
    seen = []

    def chunks():
        seen.append(_trigger_off_in_this_transaction())
        yield _rows(offer.id, missing)

    with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
        sync_matches(chunks(), version="v", offers=np.array([offer.id]),
                     wants=np.array([want.id, missing]), exclusive=True)
    assert seen == [False]
    assert not Match.objects.exists()


@pytest.mark.django_db
def test_an_error_caught_inside_the_transaction_leaves_the_check_on():
    offer, want = _pair()

    def chunks():
        yield _rows(offer.id, want.id)
        raise ValueError("the matcher failed")

    with transaction.atomic():
        with pytest.raises(ValueError, match="matcher failed"):
            sync_matches(chunks(), version="v", offers=np.array([offer.id]),
                         wants=np.array([want.id]), exclusive=True)
        # The caller goes on in the same transaction: a bad row is refused again.
        with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
            Match.objects.create(offer=offer, want_id=_missing_id(), score=0.5,
                                 distance_km=1.0)
    assert _trigger_enabled()


@pytest.mark.django_db(transaction=True)
def test_another_writer_of_matches_waits_for_an_exclusive_write():
    offer, want = _pair()
    other = ListingFactory(kind=Listing.Kind.WANT)
    with transaction.atomic():
        sync_matches(_rows(offer.id, want.id), version="v", offers=np.array([offer.id]),
                     wants=np.array([want.id]), exclusive=True)
        writing = _in_thread(
            "INSERT INTO matching_match (offer_id, want_id, score, distance_km, components, "
            "explanation, model_version) VALUES (%s, %s, 0.4, 1.0, '{}', '', 'v')",
            [offer.id, other.id])
        # The exclusive write holds the table: the other insert waits for its commit.
        _wait_until_blocked(_django_execute, pid=writing["pid"], thread=writing["thread"])
    writing["thread"].join(10)
    assert writing.get("done") and "error" not in writing
    assert set(Match.objects.values_list("want_id", flat=True)) == {want.id, other.id}
    assert _trigger_enabled()
