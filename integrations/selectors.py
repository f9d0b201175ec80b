"""Reads of integrations."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Company
from integrations.models import ApiKey, WebhookDelivery, WebhookEndpoint


def api_key_list_for_company(*, company: Company) -> QuerySet[ApiKey]:
    """A company's keys, newest first, revoked ones included (they show when and who)."""
    return ApiKey.objects.filter(company=company).select_related("created_by")


def webhook_endpoint_list_for_company(*, company: Company) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(company=company)


def webhook_delivery_list_for_company(*, company: Company, limit: int | None = 50
                                      ) -> QuerySet[WebhookDelivery]:
    """The company's latest deliveries, with the endpoint's answer (the delivery log)."""
    rows = WebhookDelivery.objects.filter(endpoint__company=company).select_related("endpoint")
    return rows if limit is None else rows[:limit]
