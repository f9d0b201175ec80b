"""Writing many matches at once: rows built once, COPY on PostgreSQL, upserts elsewhere.

The caller gives the complete new set of matches of a scope (a set of offers, or of
offers and wants) and the scope itself; afterwards the stored matches of that scope are
exactly the new set. Only rows that are new or whose values differ are written, and only
rows that fell out are deleted: a rerun with the same model writes nothing.

On PostgreSQL the rows go through ``COPY`` into a temporary table a chunk at a time;
each chunk's changed rows are upserted while the next chunk is built (two cores: Python
here, PostgreSQL there). The scope's pairs are read once before (binary COPY), and those
the new set lacks are deleted at the end by their keys. Other
databases (the SQLite default of development) use ``bulk_create`` with conflict handling.
"""

from __future__ import annotations

import json
import math
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import orjson
import psycopg
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from matching.engine import COMPONENTS, HAND_SET, MatchColumns, MatchRecord
from matching.models import Match, components_by_position, components_from_json
from symbiosis import freshness

EXPLANATION_MAX = Match._meta.get_field("explanation").max_length
VALUE_FIELDS = ("score", "distance_km", "components", "explanation", "model_version",
                "ranker_version")


@dataclass(frozen=True)
class MatchRows:
    """New matches as parallel columns (ids, scores) and their preformatted COPY lines."""

    offer_id: np.ndarray
    want_id: np.ndarray
    # "offer\twant\tscore\tdistance\tcomponents json\texplanation", COPY text format
    lines: list[str]
    # Each row's score (None: not given): a row whose stored pair has another score has
    # changed for sure, and is written without comparing it first.
    score: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.lines)

    @classmethod
    def from_records(cls, found: Sequence[MatchRecord]) -> MatchRows:
        return cls.from_columns(MatchColumns.from_records(found))

    @classmethod
    def from_columns(cls, found: MatchColumns) -> MatchRows:
        """Rows of a chunk of matches: one format call per row (a full rematch writes
        millions), each value formatted once per distinct value where a column has few.
        Components are spelt as ``models.components_json`` spells them."""
        names = list(found.components)
        if components_by_position(names):
            names = list(COMPONENTS)
            spelt = "[" + ",".join("%s" for _ in names) + "]"
        else:
            spelt = "{" + ", ".join(f"{json.dumps(n)}: %s" for n in names) + "}"
        columns = [found.score, found.distance_km, *(found.components[n] for n in names)]
        for column in columns:
            bad = ~np.isfinite(column)
            if bad.any():
                _finite(float(column[bad][0]))
        # repr gives the shortest string that reads back as the same float, as json does.
        template = "%d\t%d\t%s\t%s\t" + spelt + "\t%s"
        offer_id = np.asarray(found.offer_id, dtype=np.int64)
        want_id = np.asarray(found.want_id, dtype=np.int64)
        lines = list(map(template.__mod__, zip(
            offer_id.tolist(), want_id.tolist(), *(_float_texts(c) for c in columns),
            _escaped([text[:EXPLANATION_MAX] for text in found.explanation]), strict=True)))
        return cls(offer_id=offer_id, want_id=want_id, lines=lines,
                   score=np.asarray(found.score, dtype=np.float64))

    @classmethod
    def concat(cls, parts: Sequence[MatchRows]) -> MatchRows:
        """All parts, one row per (offer, want) pair, ordered by (offer, want)."""
        if not parts:
            return cls(np.empty(0, np.int64), np.empty(0, np.int64), [])
        offer = np.concatenate([p.offer_id for p in parts])
        want = np.concatenate([p.want_id for p in parts])
        lines = [line for p in parts for line in p.lines]
        score = (None if any(p.score is None for p in parts)
                 else np.concatenate([p.score for p in parts]))
        # A pair chosen from both ends comes from two cells with identical values.
        key = np.rec.fromarrays([offer, want])
        _, first = np.unique(key, return_index=True)
        return cls(offer[first], want[first], [lines[i] for i in first.tolist()],
                   None if score is None else score[first])

    def take(self, mask: np.ndarray) -> MatchRows:
        idx = np.flatnonzero(mask)
        return MatchRows(self.offer_id[idx], self.want_id[idx], [self.lines[i] for i in idx],
                         None if self.score is None else self.score[idx])

    def copy_text(self, version: str, ranker: str = HAND_SET) -> bytes:
        """The rows as one block of ``COPY`` text (UTF-8), each ending with ``version``
        and ``ranker`` (the version of the ranker that gave the scores).

        Encoded line by line: most lines are ASCII, and joined as ``str`` they would be
        widened to the width of the few that are not, then encoded whole (twice the
        time of a full rematch's 1.5 million lines)."""
        end = ("\t" + _escape(version) + "\t" + _escape(ranker) + "\n").encode()
        return end.join(map(str.encode, self.lines)) + end if self.lines else b""

    def values(self) -> list[dict]:
        """Row values as the ORM stores them (for the non-PostgreSQL path)."""
        out = []
        for line in self.lines:
            _, _, score, distance, components, explanation = line.split("\t", 5)
            out.append(
                {
                    "score": float(score),
                    "distance_km": float(distance),
                    "components": components_from_json(json.loads(components)),
                    "explanation": _unescape(explanation),
                }
            )
        return out


def _float_texts(column: np.ndarray) -> list[str]:
    """``repr`` of each value, made in C: orjson writes the same shortest digits that
    round-trip (Ryu) but spells small and huge values positionally or with another
    exponent ("0.00001", "1e-7"), so those few are spelt by ``repr``."""
    column = np.ascontiguousarray(column, dtype=np.float64)
    if not len(column):
        return []
    texts = orjson.dumps(column, option=orjson.OPT_SERIALIZE_NUMPY)[1:-1].decode().split(",")
    size = np.abs(column)
    for i in np.flatnonzero(((size < 1e-4) & (size > 0)) | (size >= 1e16)).tolist():
        texts[i] = repr(float(column[i]))
    return texts


def _escaped(texts: list[str]) -> list[str]:
    """``_escape`` of each text, done on all of them joined (NUL cannot occur in text that
    PostgreSQL stores, so it separates them safely)."""
    joined = "\0".join(texts)
    if not any(ch in joined for ch in "\\\t\n\r"):
        return texts
    if joined.count("\0") != max(len(texts) - 1, 0):
        return [_escape(text) for text in texts]
    return _escape(joined).split("\0")


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"match values must be finite numbers, not {value!r}")
    return value


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _unescape(text: str) -> str:
    out, i = [], 0
    table = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(table.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _copy_ids(cursor, table: str, ids: np.ndarray) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
    cursor.execute(f"CREATE TEMP TABLE {table} (id bigint PRIMARY KEY) ON COMMIT DROP")
    with cursor.copy(f"COPY {table} (id) FROM STDIN") as copy:
        copy.write("".join(f"{i}\n" for i in np.unique(ids).tolist()))


def sync_matches(
    rows: MatchRows | Iterable[MatchRows],
    *,
    version: str,
    offers: np.ndarray,
    wants: np.ndarray | None = None,
    exclusive: bool = False,
    ranker: str = HAND_SET,
) -> tuple[int, int]:
    """Make the stored matches of the scope exactly ``rows``; returns (written, deleted).

    ``rows`` may come in chunks (an iterable of ``MatchRows``), written as they come.

    The scope is every pair whose offer is in ``offers`` and (when given) whose want is in
    ``wants``: a full rematch passes its snapshot's listings, so matches of listings
    saved since are left alone. Unchanged rows keep their ``model_version`` and
    ``updated_at``; ``ranker`` is the version of the ranker that scored the rows
    (``ranker_version``: a row ranked by another is changed). Run inside a transaction.

    ``exclusive`` (a full rematch, with ``wants``): other writers of matches wait for
    this transaction to end, and the scope's listings are checked and locked once
    instead of with every statement (``_ListingCheck``).
    """
    chunks = [rows] if isinstance(rows, MatchRows) else rows
    if on_postgresql():
        return _sync_postgresql(chunks, version=version, offers=offers, wants=wants,
                                exclusive=exclusive and wants is not None, ranker=ranker)
    return _sync_orm(MatchRows.concat(list(chunks)), version=version, offers=offers,
                     wants=wants, ranker=ranker)


def _sync_postgresql(chunks, *, version, offers, wants, exclusive, ranker) -> tuple[int, int]:
    table = Match._meta.db_table
    # The raw cursor skips Django's error translation: a refused row is still an
    # IntegrityError, as through the ORM.
    try:
        with connection.cursor() as django_cursor, connection.wrap_database_errors:
            cursor = django_cursor.cursor  # psycopg 3: COPY needs the raw cursor
            _copy_ids(cursor, "match_scope_offers", offers)
            if wants is not None:
                _copy_ids(cursor, "match_scope_wants", wants)
            with _ListingCheck(cursor, table, offers, wants, exclusive=exclusive) as check:
                return _sync_scope(cursor, table, chunks, version=version, wants=wants,
                                   check=check, ranker=ranker)
    finally:
        # The raw cursor's writes bypass Django's wrappers: reported once they are done
        # (and again at the commit, when inside a transaction).
        freshness.data_changed()


def _sync_scope(cursor, table, chunks, *, version, wants, check, ranker) -> tuple[int, int]:
    want_scope = (
        "AND m.want_id IN (SELECT id FROM match_scope_wants)" if wants is not None else ""
    )
    # The pairs the scope holds now, with their scores: those the new set lacks are
    # deleted at the end, and a new row whose pair is not stored, or is stored with
    # another score, is written without comparing it with the stored row first.
    offers_before, wants_before, scores_before = _pairs(cursor, f"""
        SELECT m.offer_id, m.want_id, m.score FROM {table} m
        WHERE m.offer_id IN (SELECT id FROM match_scope_offers) {want_scope}""")
    before = (offers_before, wants_before)
    stored = _Stored(offers_before, wants_before, scores_before)
    cursor.execute("DROP TABLE IF EXISTS pg_temp.match_chunk")
    cursor.execute(
        "CREATE TEMP TABLE match_chunk (offer_id bigint, want_id bigint, score double "
        "precision, distance_km double precision, components text, explanation "
        "varchar(300), model_version varchar(40), ranker_version varchar(40)) ON COMMIT DROP"
    )
    store = _ChunkStore(cursor, table=table, now=timezone.now(), check=check)
    kept: list[tuple[np.ndarray, np.ndarray]] = []

    def texts() -> Iterator[tuple[bytes, bytes, bytes, bool]]:
        for rows in chunks:
            offer_id = np.asarray(rows.offer_id, np.int64)
            want_id = np.asarray(rows.want_id, np.int64)
            kept.append((offer_id, want_id))
            state = stored.state(offer_id, want_id, rows.score)
            blocks = tuple(
                rows.copy_text(version, ranker) if (state == code).all()
                else rows.take(state == code).copy_text(version, ranker)
                for code in (_Stored.ABSENT, _Stored.CHANGED, _Stored.SAME_SCORE)
            )
            yield (*blocks, check.covers(offer_id, want_id))

    written = _pipelined(texts(), store)
    stale = _missing(before, kept)
    deleted = 0
    if len(stale[0]):
        cursor.execute("DROP TABLE IF EXISTS pg_temp.match_stale")
        cursor.execute("CREATE TEMP TABLE match_stale (offer_id bigint, want_id bigint) "
                       "ON COMMIT DROP")
        with cursor.copy("COPY match_stale (offer_id, want_id) FROM STDIN") as copy:
            copy.write("".join(f"{o}\t{w}\n" for o, w in zip(*(a.tolist() for a in stale),
                                                              strict=True)))
        cursor.execute(f"""
            DELETE FROM {table} m USING match_stale s
            WHERE m.offer_id = s.offer_id AND m.want_id = s.want_id""")
        deleted = cursor.rowcount
    return written, deleted


_CHECK_TRIGGER = "matching_match_listings_exist"  # migrations 0003 and 0006


class _ListingCheck:
    """Whether new matches' listings are checked per statement (the trigger of migration
    0003) or were checked and locked once for the whole write (``exclusive``).

    The trigger keeps a copy of every row a statement inserts and locks the listings
    they name: a fifth of PostgreSQL's time on a full rematch, for the same hundred
    thousand listings chunk after chunk. An exclusive write instead locks the matches
    table against other writers (``SHARE ROW EXCLUSIVE``: readers go on), locks every
    listing of its scope ``FOR KEY SHARE`` in one statement and switches the trigger off
    for its own transaction. Rows naming a listing outside the scope (never, from a
    rematch) switch it back on first; so does any error, by rolling back. Where the
    table cannot be altered (not its owner), or a listing of the scope is gone, the
    trigger stays on: the same checks, the slower way.
    """

    def __init__(self, cursor, table: str, offers: np.ndarray, wants: np.ndarray | None,
                 *, exclusive: bool) -> None:
        self.cursor, self.table = cursor, table
        self.offers = np.unique(np.asarray(offers, np.int64))
        self.wants = None if wants is None else np.unique(np.asarray(wants, np.int64))
        self.exclusive = exclusive
        self.paused = False

    def __enter__(self) -> _ListingCheck:
        if self.exclusive:
            self.paused = self._pause()
        return self

    def _pause(self) -> bool:
        cursor = self.cursor
        cursor.execute("SAVEPOINT match_check")
        try:
            cursor.execute(f"LOCK TABLE {self.table} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("""
                SELECT count(*) FROM (
                    SELECT 1 FROM matching_listing l
                    WHERE l.id IN (SELECT id FROM match_scope_offers
                                   UNION SELECT id FROM match_scope_wants)
                    FOR KEY SHARE OF l) locked""")
            present = cursor.fetchone()[0]
            if present != len(np.union1d(self.offers, self.wants)):
                cursor.execute("RELEASE SAVEPOINT match_check")
                return False
            cursor.execute(f"ALTER TABLE {self.table} DISABLE TRIGGER {_CHECK_TRIGGER}")
        except psycopg.errors.InsufficientPrivilege:
            cursor.execute("ROLLBACK TO SAVEPOINT match_check")
            return False
        cursor.execute("RELEASE SAVEPOINT match_check")
        return True

    def covers(self, offer_id: np.ndarray, want_id: np.ndarray) -> bool:
        """Whether every listing these rows name was checked and locked (the trigger may
        stay off for them)."""
        if not self.paused:
            return True
        return bool(_within(offer_id, self.offers) and _within(want_id, self.wants))

    def restore(self) -> None:
        """The trigger on again (idempotent)."""
        if self.paused:
            self.cursor.execute(f"ALTER TABLE {self.table} ENABLE TRIGGER {_CHECK_TRIGGER}")
            self.paused = False

    def __exit__(self, *exc) -> None:
        # After a database error the transaction can only roll back, which turns the
        # trigger on again; after any other error it is turned on here, so a caller who
        # catches the error cannot commit with it off.
        if self.paused and (self.cursor.connection.info.transaction_status
                            != psycopg.pq.TransactionStatus.INERROR):
            self.restore()


def _within(values: np.ndarray, allowed: np.ndarray) -> bool:
    """All ``values`` are in ``allowed`` (sorted, unique)."""
    if not len(values):
        return True
    at = np.minimum(np.searchsorted(allowed, values), len(allowed) - 1)
    return bool(len(allowed)) and bool((allowed[at] == values).all())


# One row of ``COPY … (FORMAT BINARY)`` of two bigints and a double: field count, then
# length and value of each (network byte order).
_PAIR_ROW = np.dtype([("fields", ">i2"), ("len_a", ">i4"), ("a", ">i8"), ("len_b", ">i4"),
                     ("b", ">i8"), ("len_s", ">i4"), ("s", ">f8")])
_BINARY_HEADER = 19  # signature (11), flags (4), header extension length (4)


def _pairs(cursor, query: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(offer ids, want ids, scores) of a (bigint, bigint, double) query, read with binary
    COPY (a rematch's scope holds a million pairs or more: no Python object per row)."""
    with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT BINARY)") as copy:
        data = b"".join(bytes(block) for block in copy)
    start = _BINARY_HEADER + int.from_bytes(data[15:19], "big")  # + header extension
    if data[-2:] != b"\xff\xff":
        raise ValueError("binary COPY without its trailer")
    body = data[start:-2]
    rows = np.frombuffer(body, dtype=_PAIR_ROW)
    return (rows["a"].astype(np.int64), rows["b"].astype(np.int64),
            rows["s"].astype(np.float64))


class _Stored:
    """The scope's stored pairs and scores, looked up by key."""

    _BITS = 31  # a key packs (offer id, want id) when both are below 2**31
    ABSENT, CHANGED, SAME_SCORE = 0, 1, 2

    def __init__(self, offers: np.ndarray, wants: np.ndarray, scores: np.ndarray) -> None:
        self.empty = not len(offers)
        self._keys = self._scores = None
        if not self.empty and self._packable(offers, wants):
            keys = (offers << self._BITS) | wants
            order = np.argsort(keys)
            self._keys, self._scores = keys[order], scores[order]

    def _packable(self, offers: np.ndarray, wants: np.ndarray) -> bool:
        limit = 1 << self._BITS
        return bool(offers.min() >= 0 and wants.min() >= 0 and offers.max() < limit
                    and wants.max() < limit)

    def state(self, offers: np.ndarray, wants: np.ndarray, scores) -> np.ndarray:
        """Per row: ``ABSENT`` (its pair is not stored: a new row), ``CHANGED`` (stored
        with another score) or ``SAME_SCORE`` (it may equal its stored row: only those
        need comparing). Without keys or scores, every row is ``SAME_SCORE``."""
        n = len(offers)
        if self.empty:
            return np.full(n, self.ABSENT, dtype=np.int8)
        if self._keys is None or scores is None or not n or not self._packable(offers, wants):
            return np.full(n, self.SAME_SCORE, dtype=np.int8)
        keys = (offers << self._BITS) | wants
        at = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
        found = self._keys[at] == keys
        same = found & (self._scores[at] == np.asarray(scores))
        return np.where(same, self.SAME_SCORE, np.where(found, self.CHANGED, self.ABSENT)
                        ).astype(np.int8)


def _missing(before: tuple[np.ndarray, np.ndarray],
             kept: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of ``before`` that no chunk of ``kept`` holds."""
    offers, wants = before
    if not len(offers):
        return offers, wants
    new_o = np.concatenate([o for o, _ in kept]) if kept else np.empty(0, np.int64)
    new_w = np.concatenate([w for _, w in kept]) if kept else np.empty(0, np.int64)
    # One integer per pair: ids are positive bigints, far below 2**31 in practice; larger
    # ones take the exact but slower path.
    width = int(max(wants.max(), new_w.max() if len(new_w) else 0)) + 1
    top = int(max(offers.max(), new_o.max() if len(new_o) else 0))
    if top < (1 << 62) // width:
        gone = ~np.isin(offers * width + wants, new_o * width + new_w)
    else:
        new = set(zip(new_o.tolist(), new_w.tolist(), strict=True))
        gone = np.array([pair not in new for pair in zip(offers.tolist(), wants.tolist(),
                                                         strict=True)], dtype=bool)
    return offers[gone], wants[gone]


_CHANGED = """
    {old}.score <> {new}.score OR {old}.distance_km <> {new}.distance_km
    OR {old}.components <> {new}.components OR {old}.explanation <> {new}.explanation
    OR {old}.ranker_version <> {new}.ranker_version"""


@dataclass
class _ChunkStore:
    """Stores one chunk of new matches, given as three blocks of ``COPY`` text.

    Rows whose pair is not stored (``_Stored.ABSENT``) are copied straight into the
    table: no staging table and no conflict check (a third less of PostgreSQL's time). A
    pair stored since the scope was read (a single listing's rematch, concurrently) makes
    that ``COPY`` fail; it is then undone to its savepoint and the block upserted instead.
    Rows stored with another score are upserted directly. Rows that may equal their
    stored row are compared with it first, by a probe of the pair key, and only those
    that differ are written: an upsert would lock every conflicting row, written or not
    (2 s more on an unchanged rematch of 100k listings), and probing rows that must be
    written anyway cost 3–4 s on a first one (docs/performance.md).
    """

    cursor: object
    table: str
    now: object
    check: _ListingCheck

    def __call__(self, texts: tuple[bytes, bytes, bytes, bool]) -> int:
        absent, changed, compared, covered = texts
        if not covered:
            self.check.restore()
        written = 0
        if absent:
            written += self._copy(absent)
        if changed:
            written += self._upsert(changed, probe=False)
        if compared:
            written += self._upsert(compared, probe=True)
        return written

    def _copy(self, text: bytes) -> int:
        cursor = self.cursor
        cursor.execute("SAVEPOINT match_copy")
        try:
            # created_at and updated_at: the columns' default, the statement's time.
            with cursor.copy(
                f"COPY {self.table} (offer_id, want_id, score, distance_km, components, "
                "explanation, model_version, ranker_version) FROM STDIN"
            ) as copy:
                copy.write(text)
        except psycopg.errors.UniqueViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT match_copy")
            return self._upsert(text, probe=False)
        cursor.execute("RELEASE SAVEPOINT match_copy")
        return text.count(b"\n")

    def _upsert(self, text: bytes, *, probe: bool) -> int:
        cursor = self.cursor
        with cursor.copy(
            "COPY match_chunk (offer_id, want_id, score, distance_km, components, "
            "explanation, model_version, ranker_version) FROM STDIN"
        ) as copy:
            copy.write(text)
        # LATERAL with LIMIT keeps the comparison a probe of the pair key per row: a plain
        # join would hash the whole (growing) table for every chunk.
        compare = f"""
            LEFT JOIN LATERAL (
                SELECT o.id, o.score, o.distance_km, o.components, o.explanation,
                       o.ranker_version
                FROM {self.table} o
                WHERE o.offer_id = n.offer_id AND o.want_id = n.want_id LIMIT 1
            ) o ON true
            WHERE o.id IS NULL OR {_CHANGED.format(old="o", new="n")}""" if probe else ""
        # A conflict left to the upsert is a pair stored since the scope was read (or
        # changed for sure): written only if its values differ, as every row.
        cursor.execute(
            f"""
            INSERT INTO {self.table} AS m (offer_id, want_id, score, distance_km, components,
                                          explanation, model_version, ranker_version,
                                          created_at, updated_at)
            SELECT n.offer_id, n.want_id, n.score, n.distance_km, n.components, n.explanation,
                   n.model_version, n.ranker_version, %(now)s, %(now)s
            FROM match_chunk n {compare}
            ON CONFLICT (offer_id, want_id) DO UPDATE SET
                score = EXCLUDED.score, distance_km = EXCLUDED.distance_km,
                components = EXCLUDED.components, explanation = EXCLUDED.explanation,
                model_version = EXCLUDED.model_version,
                ranker_version = EXCLUDED.ranker_version, updated_at = EXCLUDED.updated_at
            WHERE {_CHANGED.format(old="m", new="EXCLUDED")}
            """,
            {"now": self.now},
        )
        written = cursor.rowcount
        cursor.execute("TRUNCATE match_chunk")
        return written


def _pipelined(texts: Iterator, store: Callable[..., int]) -> int:
    """``store`` each text while the next is built; returns the sum of what they return.

    The texts are built here (Python: explanations, formatting) while a second thread
    waits on PostgreSQL storing the previous one, so the two run on different cores. The
    database connection is used by that thread alone until it ends.
    """
    work: queue.Queue = queue.Queue(maxsize=1)
    done = {"written": 0}

    def run() -> None:
        while (text := work.get()) is not None:
            if "error" in done:
                continue  # drain: the producer stops at its next put
            try:
                done["written"] += store(text)
            except BaseException as error:  # handed to the producer, raised there
                done["error"] = error

    thread = threading.Thread(target=run, name="match-writer", daemon=True)
    thread.start()
    try:
        for text in texts:
            if "error" in done:
                break
            work.put(text)
    finally:
        work.put(None)
        thread.join()
    if "error" in done:
        raise done["error"]
    return done["written"]


def _sync_orm(rows, *, version, offers, wants, ranker) -> tuple[int, int]:
    scope = Q(offer_id__in=np.unique(offers).tolist())
    if wants is not None:
        scope &= Q(want_id__in=np.unique(wants).tolist())
    return save_values(
        {(int(o), int(w)): v for o, w, v in zip(rows.offer_id.tolist(), rows.want_id.tolist(),
                                                 rows.values(), strict=True)},
        version=version,
        scope=scope,
        ranker=ranker,
    )


def save_values(wanted: dict[tuple[int, int], dict], *, version: str, scope: Q,
                ranker: str = HAND_SET) -> tuple[int, int]:
    """ORM path: stored matches within ``scope`` become ``wanted`` (values per pair),
    ranked by ``ranker`` (its version)."""
    existing = {
        (row["offer_id"], row["want_id"]): row
        for row in Match.objects.filter(scope).values(
            "id", "offer_id", "want_id", "score", "distance_km", "components", "explanation",
            "ranker_version",
        )
    }
    stale = [row["id"] for key, row in existing.items() if key not in wanted]
    if stale:
        Match.objects.filter(id__in=stale).delete()
    upserts = []
    for key, values in wanted.items():
        row = existing.get(key)
        if (row is None or row["ranker_version"] != ranker
                or any(row[name] != value for name, value in values.items())):
            upserts.append(Match(offer_id=key[0], want_id=key[1], model_version=version,
                                 ranker_version=ranker, **values))
    # Upserts on the (offer, want) key: concurrent rematches cannot duplicate a pair.
    Match.objects.bulk_create(
        upserts,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["offer", "want"],
        update_fields=[*VALUE_FIELDS, "updated_at"],
    )
    return len(upserts), len(stale)


def record_values(found: Sequence[MatchRecord]) -> dict[tuple[int, int], dict]:
    """Values per pair of a few match records (single-listing path)."""
    return {
        (m.offer_id, m.want_id): {
            "score": m.score,
            "distance_km": m.distance_km,
            "components": m.components,
            "explanation": m.explanation[:EXPLANATION_MAX],
        }
        for m in found
    }
