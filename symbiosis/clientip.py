"""The client's address, trusting ``X-Forwarded-For`` only as far as our own proxies.

Each trusted proxy appends the address it received the request from, so with
``TRUSTED_PROXY_COUNT`` = n the client is the n-th address from the right; anything to
its left was written by the client and proves nothing. With 0 (the default: no proxy in
front), the header is ignored and the socket's address is the client's. Log-in lock-out
(django-axes) and the API's throttles both count by this address.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address to count attempts by (see the module's docstring)."""
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < trusted:
        # Fewer hops than proxies configured: the request did not come through them all.
        return forwarded[0] if forwarded else remote
    return forwarded[-trusted]


def attempt_username(request: HttpRequest, credentials: dict | None) -> str:
    """The account a log-in attempt is for, as django-axes counts it: the portal form
    sends ``username``, the token endpoint ``email``; case does not make another account."""
    credentials = credentials or {}
    name = credentials.get("username") or credentials.get("email")
    if name is None:
        data = getattr(request, "data", None) or request.POST
        name = data.get("username") or data.get("email") or ""
    return str(name).strip().lower()


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lock-out check, for log-ins that come with a request (every log-in
    over HTTP). ``authenticate()`` called from code without one (``Client.login`` in tests,
    scripts) has no address to count and is left to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
