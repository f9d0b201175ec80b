"""Writes of integrations: creating, revoking and using company API keys."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company, Membership, User
from accounts.selectors import membership_role_for
from integrations import webhooks
from integrations.models import ApiKey, ApiKeyAction, WebhookDelivery, WebhookEndpoint

KEY_PREFIX = "sym"
# last_used_at is written at most this often per key: a busy client must not turn every
# request into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _require_owner(*, user: User, company: Company) -> None:
    if membership_role_for(user=user, company=company) != Membership.Role.OWNER:
        raise PermissionDenied(_("Only an owner of the company manages its API keys."))


def api_key_create(
    *, company: Company, user: User, name: str, scopes: Iterable[str]
) -> tuple[ApiKey, str]:
    """Create a key; returns it and the full key text, which is never available again."""
    _require_owner(user=user, company=company)
    chosen = sorted(set(scopes))
    unknown = set(chosen) - set(ApiKey.Scope.values)
    if unknown or not chosen:
        raise ValidationError({"scopes": _("Choose one or more of: %s.")
                               % ", ".join(ApiKey.Scope.values)})
    if not name.strip():
        raise ValidationError({"name": _("Name the key after the system that will use it.")})
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        company=company, created_by=user, name=name.strip()[:100], prefix=prefix,
        secret_hash=hash_secret(secret), scopes=chosen,
    )
    return key, f"{KEY_PREFIX}_{prefix}_{secret}"


def api_key_revoke(*, key: ApiKey, user: User) -> ApiKey:
    """Revoke a key for good: requests sending it are refused from now on."""
    _require_owner(user=user, company=key.company)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def api_key_authenticate(*, raw: str) -> ApiKey | None:
    """The active key whose text is ``raw`` (its last use noted), else None."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    key = (
        ApiKey.objects.select_related("company", "created_by")
        .filter(prefix=parts[1], revoked_at__isnull=True).first()
    )
    if key is None or not hmac.compare_digest(key.secret_hash, hash_secret(parts[2])):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


# --- webhooks -------------------------------------------------------------------------

FAILING_FOR = timedelta(days=1)


def webhook_endpoint_create(
    *, company: Company, user: User, url: str, events: Iterable[str]
) -> WebhookEndpoint:
    """Register an endpoint; its signing secret is generated here."""
    _require_owner(user=user, company=company)
    chosen = sorted(set(events))
    if not chosen or set(chosen) - set(WebhookEndpoint.Event.values):
        raise ValidationError({"events": _("Choose one or more of: %s.")
                               % ", ".join(WebhookEndpoint.Event.values)})
    webhooks.validate_url(url)
    return WebhookEndpoint.objects.create(
        company=company, url=url, events=chosen, secret=secrets.token_hex(32)
    )


def webhook_event_send(*, company_id: int, event: str, data: dict[str, Any]) -> list[int]:
    """Record a delivery of ``event`` to each live endpoint of the company that wants it,
    queued after commit. Returns the delivery ids."""
    from integrations.tasks import deliver_webhook

    ids = []
    for endpoint in WebhookEndpoint.objects.filter(company_id=company_id,
                                                   disabled_at__isnull=True):
        if event not in endpoint.events:
            continue
        delivery = WebhookDelivery.objects.create(endpoint=endpoint, event=event, payload=data)
        ids.append(delivery.pk)
        transaction.on_commit(lambda pk=delivery.pk: deliver_webhook.delay(pk))
    return ids


def webhook_delivery_replay(*, delivery: WebhookDelivery, user: User) -> WebhookDelivery:
    """Send a delivery again (from the portal), as a new delivery of the same event."""
    from integrations.tasks import deliver_webhook

    _require_owner(user=user, company=delivery.endpoint.company)
    copy = WebhookDelivery.objects.create(
        endpoint=delivery.endpoint, event=delivery.event, payload=delivery.payload
    )
    transaction.on_commit(lambda: deliver_webhook.delay(copy.pk))
    return copy


def _body(delivery: WebhookDelivery) -> bytes:
    return json.dumps({
        "id": delivery.pk, "event": delivery.event,
        "created_at": delivery.created_at.isoformat(), "data": delivery.payload,
    }, separators=(",", ":")).encode()


def webhook_deliver(*, delivery_id: int) -> None:
    """Try one delivery once; on failure note it and queue the next try with back-off."""
    from integrations.tasks import deliver_webhook

    delivery = (WebhookDelivery.objects.select_related("endpoint")
                .filter(pk=delivery_id, delivered_at__isnull=True).first())
    if delivery is None or delivery.endpoint.disabled_at is not None:
        return
    endpoint = delivery.endpoint
    body = _body(delivery)
    timestamp = int(time.time())
    request = urllib.request.Request(endpoint.url, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "User-Agent": "Symbiosis-Webhooks/1",
        "Symbiosis-Event": delivery.event,
        "Symbiosis-Delivery": str(delivery.pk),
        "Symbiosis-Signature": webhooks.sign(secret=endpoint.secret, timestamp=timestamp,
                                             body=body),
    })
    status, error = None, ""
    try:
        webhooks.validate_url(endpoint.url)  # again: the name may now point elsewhere
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, str(exc.reason)[:300]
    except (OSError, ValidationError) as exc:
        error = str(exc)[:300]
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status, delivery.last_error = status, error
    ok = status is not None and 200 <= status < 300
    if ok:
        delivery.delivered_at = now
    delivery.save(update_fields=["attempts", "last_status", "last_error", "delivered_at"])
    if ok:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        return
    failing_since = endpoint.failing_since or now
    if now - failing_since >= FAILING_FOR:
        disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at__isnull=True
                                                  ).update(
            disabled_at=now,
            disabled_reason=_("Disabled after failing for a day (last: %s).")
            % str(status or error)[:200],
        )
        if disabled:
            _notice_disabled(endpoint)
        return
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=failing_since)
    if delivery.attempts < settings.WEBHOOK_MAX_ATTEMPTS:
        countdown = settings.WEBHOOK_RETRY_BASE_S * 2 ** (delivery.attempts - 1)
        deliver_webhook.apply_async((delivery.pk,), countdown=countdown)


def _notice_disabled(endpoint: WebhookEndpoint) -> None:
    """Tell the company's owners by e-mail (after commit) that an endpoint was disabled;
    the portal's webhooks page shows it too, with a button to enable it again."""
    owners = list(User.objects.filter(
        memberships__company_id=endpoint.company_id, memberships__role=Membership.Role.OWNER,
        is_active=True).values_list("email", flat=True).distinct())
    if not owners:
        return
    subject = _("Symbiosis: webhook endpoint disabled")
    body = _("Deliveries to %(url)s have failed for a day, so the endpoint is disabled and "
             "nothing more is sent to it. Fix the receiver, then enable it again on the "
             "Webhooks page of your company (undelivered events can be sent again from "
             "there).") % {"url": endpoint.url}
    transaction.on_commit(lambda: send_mail(subject, body, None, owners))


def webhook_endpoint_enable(*, endpoint: WebhookEndpoint, user: User) -> WebhookEndpoint:
    """Enable a disabled endpoint again (owners): deliveries resume with new events."""
    _require_owner(user=user, company=endpoint.company)
    endpoint.disabled_at = None
    endpoint.failing_since = None
    endpoint.disabled_reason = ""
    endpoint.save(update_fields=["disabled_at", "failing_since", "disabled_reason"])
    return endpoint


def api_key_action_record(*, key: ApiKey, method: str, path: str, status: int) -> None:
    """Note a write made with ``key`` (who did what, for the company's records)."""
    ApiKeyAction.objects.create(key=key, method=method, path=path[:500], status=status)
