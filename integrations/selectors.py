"""Reads of integrations."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Company
from integrations.models import ApiKey


def api_key_list_for_company(*, company: Company) -> QuerySet[ApiKey]:
    """A company's keys, newest first, revoked ones included (they show when and who)."""
    return ApiKey.objects.filter(company=company).select_related("created_by")
