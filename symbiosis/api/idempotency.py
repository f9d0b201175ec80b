"""``Idempotency-Key``: any POST of the API can be retried safely.

A client that sends ``Idempotency-Key: <its own unique string>`` with a POST gets, for a
retry with the same key and the same request, the stored answer (status and body) instead
of a second write. The answer is kept 24 hours per caller (the credentials sent: a key, a
token, a session's user, else the client address) in the default cache, Redis when
``REDIS_URL`` is set. The same key with another body (or path) is a 422; a retry while the
first request is still running is a 409. Server errors (5xx) and refusals that say nothing
about the request (401, 403, 429) are not kept, so a retry runs again.

A middleware, so that every POST under ``/api/`` has it without each view opting in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

HEADER = "Idempotency-Key"
TTL_S = 24 * 3600
LOCK_TTL_S = 300
MAX_KEY_LENGTH = 255
NOT_KEPT = {401, 403, 429}


def _error(status: int, code: str, message: str) -> JsonResponse:
    body = {"error": {"status": status, "code": code, "message": message, "fields": {}}}
    return JsonResponse(body, status=status)


def _caller(request: HttpRequest) -> str:
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if authorization:
        return "auth:" + hashlib.sha256(authorization.encode()).hexdigest()
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return "addr:" + request.META.get("REMOTE_ADDR", "")


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.get_full_path()):
        digest.update(part.encode() + b"\0")
    digest.update(request.body)
    return digest.hexdigest()


class IdempotencyMiddleware:
    """Replays the stored answer of a POST retried with the same ``Idempotency-Key``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not key or len(key) > MAX_KEY_LENGTH:
            return _error(400, "idempotency_key_invalid",
                          _("Idempotency-Key must be 1 to 255 characters."))
        slot = "idem:" + hashlib.sha256(f"{_caller(request)}\0{key}".encode()).hexdigest()
        fingerprint = _fingerprint(request)
        stored = cache.get(slot)
        if stored is not None:
            return self._replay(stored, fingerprint)
        if not cache.add(slot + ":lock", 1, LOCK_TTL_S):
            return _error(409, "idempotency_in_progress", _(
                "A request with this Idempotency-Key is still being processed; retry later."))
        try:
            response = self.get_response(request)
            if response.status_code < 500 and response.status_code not in NOT_KEPT:
                cache.set(slot, {
                    "fingerprint": fingerprint,
                    "status": response.status_code,
                    "content_type": response.get("Content-Type", "application/json"),
                    "body": bytes(response.content),
                }, TTL_S)
        finally:
            cache.delete(slot + ":lock")
        return response

    def _replay(self, stored: dict, fingerprint: str) -> HttpResponse:
        if stored["fingerprint"] != fingerprint:
            return _error(422, "idempotency_key_reused", _(
                "This Idempotency-Key was used for a different request in the last 24 hours; "
                "use a new key for a new request."))
        response = HttpResponse(
            stored["body"], status=stored["status"], content_type=stored["content_type"]
        )
        response["Idempotent-Replayed"] = "true"
        return response
