"""Answers served again while nothing they show can have changed: a data stamp and a cache.

Every statement that writes through Django's database connections (any process: web,
worker, command) replaces one *data stamp* kept in the cache when its transaction commits
(at once in autocommit). A cached answer is stored under the stamp read
*before* its data was read, so an answer computed from data that a write has since
changed is stored under a stamp that write has already replaced, and is never served
again. Writes that bypass Django's cursor wrappers (the matcher's ``COPY`` path) call
:func:`data_changed` themselves.

Coarse on purpose: any write outside :data:`IGNORED_TABLES` ends every cached answer, so
correctness never depends on knowing which page shows which table. Answers also expire
after :data:`TTL_S`, which bounds how long a write made outside Django (``psql``) or
during a cache outage can go unseen. A transaction that has written neither reads nor
stores answers (it sees its own uncommitted writes), and a cache that cannot be reached
means every answer is computed afresh.

Used by :func:`cached_page` (server-rendered pages, per user) and :func:`cached_data`
(the API's serialised reads, per caller).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation

log = logging.getLogger(__name__)

STAMP_KEY = "freshness:stamp"
TTL_S = 120
# Written on requests that change nothing another page shows: log-in bookkeeping and the
# throttles' and idempotency records.
IGNORED_TABLES = frozenset({
    "django_session", "axes_accessattempt", "axes_accessfailurelog", "axes_accesslog",
})
# Statements that never change stored data (transaction control, settings, reads).
_READS = re.compile(
    r"\s*(SELECT|SHOW|SET|RESET|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|EXPLAIN|PRAGMA"
    r"|WITH\s+(?!.*\b(INSERT|UPDATE|DELETE)\b))\b",
    re.IGNORECASE | re.DOTALL,
)
_TARGET = re.compile(
    r"\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+(?:ONLY\s+)?\"?(\w+)",
    re.IGNORECASE,
)
# The CSRF token differs per visitor: pages are stored with this in its place.
_CSRF_PLACEHOLDER = "csrf-token-placeholder-7f3a"
_TOKEN_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')


def enabled() -> bool:
    return bool(getattr(settings, "RESPONSE_CACHE", True))


def _new_stamp() -> str:
    return secrets.token_hex(8)


def stamp() -> str | None:
    """The current data stamp, or ``None`` when the cache cannot be reached."""
    try:
        value = cache.get(STAMP_KEY)
        if value is None:
            cache.add(STAMP_KEY, _new_stamp(), timeout=None)
            value = cache.get(STAMP_KEY)
        return value
    except Exception:  # noqa: BLE001 - a cache outage must not fail a request
        log.warning("freshness: cache unreachable, serving uncached", exc_info=True)
        return None


def data_changed(using: str = "default", *, conn=None) -> None:
    """Record that data changed: now, or when the current transaction commits."""
    conn = conn if conn is not None else connections[using]
    if not conn.in_atomic_block:
        _replace_stamp()
    elif not _pending(conn):
        conn.on_commit(_replace_stamp_at_commit)


def _replace_stamp_at_commit() -> None:
    _replace_stamp()


_replace_stamp_at_commit.freshness = True  # marks the callback in run_on_commit


def _pending(conn) -> bool:
    """This connection's open transaction wrote (Django drops the callback on rollback)."""
    return any(getattr(func, "freshness", False) for _ids, func, *_ in conn.run_on_commit)


def _replace_stamp() -> None:
    try:
        cache.set(STAMP_KEY, _new_stamp(), timeout=None)
    except Exception:  # noqa: BLE001 - entries expire after TTL_S
        log.warning("freshness: could not replace the data stamp", exc_info=True)


def _writes(sql: Any) -> bool:
    if not isinstance(sql, str):
        return True  # composed SQL: assume the worst
    if _READS.match(sql):
        return False
    target = _TARGET.match(sql)
    return not (target and target.group(1).lower() in IGNORED_TABLES)


def _watch(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if _writes(sql):
        data_changed(conn=context["connection"])
    return result


def watch_connection(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: every new connection reports its writes."""
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


def install() -> None:
    connection_created.connect(watch_connection, dispatch_uid="symbiosis.freshness")
    for conn in connections.all(initialized_only=True):
        watch_connection(None, conn)


def _usable(using: str = "default") -> bool:
    # A transaction that wrote sees its own writes, which the cache does not hold.
    return not _pending(connections[using])


def _key(kind: str, request: HttpRequest, current: str, who: str) -> str:
    what = f"{who}|{translation.get_language()}|{request.get_host()}{request.get_full_path()}"
    return f"freshness:{kind}:{current}:{hashlib.sha256(what.encode()).hexdigest()}"


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve a GET page again to the same user while the data stamp is unchanged.

    Only successful, complete HTML answers are stored; a request with messages waiting
    is rendered afresh (they are shown once)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        usable = enabled() and request.method == "GET" and _usable()
        current = stamp() if usable else None
        if current is None or _messages_waiting(request):
            return view(request, *args, **kwargs)
        key = _key("page", request, current, f"user-{getattr(request.user, 'pk', None)}")
        body = _get(key)
        if body is not None:
            response = HttpResponse(body.replace(_CSRF_PLACEHOLDER, get_token(request)))
            response["X-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if (response.status_code == 200 and not response.streaming
                and response.get("Content-Type", "").startswith("text/html")
                and not response.cookies and _usable()):
            _set(key, _swap_tokens(response.content.decode(response.charset)))
        return response

    return wrapper


def cached_data(kind: str, request: HttpRequest, compute: Callable[[], Any], *, who: str) -> Any:
    """``compute()``'s result for ``who`` (all that the result depends on besides the URL
    and the language) and this URL, again while the stamp is unchanged."""
    current = stamp() if enabled() and _usable() else None
    if current is None:
        return compute()
    key = _key(kind, request, current, who)
    found = _get(key)
    if found is not None:
        return found
    value = compute()
    if _usable():
        _set(key, value)
    return value


def _swap_tokens(text: str) -> str:
    # Every {% csrf_token %} masks the visitor's own secret: a per-visitor value.
    return _TOKEN_INPUT.sub(rf"\g<1>{_CSRF_PLACEHOLDER}\g<2>", text)


def _messages_waiting(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    return bool(storage is not None and len(storage))


def _get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001
        return None


def _set(key: str, value: Any) -> None:
    try:
        cache.set(key, value, timeout=TTL_S)
    except Exception:  # noqa: BLE001 - the next request computes it again
        log.warning("freshness: could not store %s", key, exc_info=True)


class CachedReadsMixin:
    """For company-scoped DRF viewsets (``self.company``): ``list`` and ``retrieve``
    answered again until the next write, shared by the company's callers (what they may
    read is the company's).

    Authentication, permissions, throttles and parameter checks still run on every
    request (they come before the handler); only the reading and serialising is saved."""

    def list(self, request, *args, **kwargs):
        from rest_framework.response import Response

        return Response(cached_data(
            "api-list", request, lambda: super(CachedReadsMixin, self).list(
                request, *args, **kwargs).data, who=f"company-{self.company.pk}"))

    def retrieve(self, request, *args, **kwargs):
        from rest_framework.response import Response

        return Response(cached_data(
            "api-detail", request, lambda: super(CachedReadsMixin, self).retrieve(
                request, *args, **kwargs).data, who=f"company-{self.company.pk}"))
