"""Integrations' part of a firm's export and erasure (see ``symbiosis.datarights``)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from accounts.models import Company
from integrations.models import ApiKey, ApiKeyAction, WebhookEndpoint
from symbiosis.datarights import rows


def export_company(*, company: Company) -> dict[str, Any]:
    """Keys and webhooks as the firm set them up; never a key's hash or a webhook secret."""
    keys = ApiKey.objects.filter(company=company)
    return {
        "api_keys": rows(keys.order_by("pk"), exclude=("secret_hash",)),
        "api_key_actions": rows(ApiKeyAction.objects.filter(key__in=keys).order_by("pk")),
        "webhooks": rows(WebhookEndpoint.objects.filter(company=company).order_by("pk"),
                         exclude=("secret",)),
    }


def erase_company(*, company: Company, pseudonym: str) -> dict[str, int]:
    """Keys are revoked (their action log stays: the audit of what each key did) and the
    webhook endpoints, with their secrets and deliveries, go."""
    revoked = ApiKey.objects.filter(company=company, revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    webhooks = WebhookEndpoint.objects.filter(company=company).delete()[0]
    return {"api_keys_revoked": revoked, "webhook_rows_deleted": webhooks}
