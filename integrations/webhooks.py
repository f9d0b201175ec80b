"""Webhook deliveries: what is sent, how it is signed, and the rules on endpoint URLs.

Every delivery is a POST of JSON ``{"id", "event", "created_at", "data"}`` with headers

- ``Symbiosis-Event``: the event name (``match.created`` …);
- ``Symbiosis-Delivery``: the delivery id (the same on retries: deduplicate on it);
- ``Symbiosis-Signature``: ``t=<unix seconds>,v1=<hex>`` where ``<hex>`` is
  HMAC-SHA256 with the endpoint's secret over ``"<t>." + body``.

A 2xx answer is a success; anything else (or no answer in 10 s) is retried with
exponential back-off (``WEBHOOK_RETRY_BASE_S`` × 2^attempt, ``WEBHOOK_MAX_ATTEMPTS``
tries); an endpoint that has failed for a day is disabled, with a notice in the portal.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """The ``Symbiosis-Signature`` header value for a body sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(*, secret: str, header: str, body: bytes, now: int, tolerance_s: int = 300) -> bool:
    """What a receiver does (docs/api.md): recompute, compare in constant time, check age."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = sign(secret=secret, timestamp=timestamp, body=body).split("v1=", 1)[1]
    return abs(now - timestamp) <= tolerance_s and hmac.compare_digest(
        expected, parts.get("v1", "")
    )


def validate_url(url: str) -> None:
    """HTTPS to a public address; plain HTTP and private or loopback addresses only when
    ``WEBHOOK_ALLOW_PRIVATE`` is set (tests, local development)."""
    parts = urlsplit(url)
    allow_private = getattr(settings, "WEBHOOK_ALLOW_PRIVATE", False)
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise ValidationError({"url": _("Use an https:// address.")})
    if not parts.hostname:
        raise ValidationError({"url": _("Give a full address with a host name.")})
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError:
        raise ValidationError({"url": _("The host name cannot be resolved.")}) from None
    for info in infos:
        if not ipaddress.ip_address(info[4][0]).is_global:
            raise ValidationError(
                {"url": _("The address is private or local; use a public one.")}
            )
