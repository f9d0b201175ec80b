"""A firm's data rights: export everything it has here (JSON), and erase its account.

Every app that keeps a firm's data has a ``<app>/datarights.py`` with two functions:

- ``export_company(*, company) -> dict``: its sections of the export, only what the firm
  may see (matches as the firm sees them, never a counterpart's hidden details; no secrets
  such as key hashes or webhook secrets);
- ``erase_company(*, company, pseudonym) -> dict``: what it closes, drops or anonymises,
  with counts.

This module reads them in the order of ``symbiosis.layers.APPS`` (export lowest first,
erasure highest first, so an app's data goes before the rows it points at are renamed).
Erasure keeps what the other party of a contact relies on: agreements, deliveries,
messages and the audit trail stay, under the company's pseudonym, and the people who
acted stay as anonymised accounts, so the trail still says which account did what.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company, Membership, User
from symbiosis.layers import APPS

log = logging.getLogger(__name__)
EXPORT_FORMAT = 1


def rows(queryset: QuerySet, *, exclude: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Every stored column of the rows (foreign keys as ids), less ``exclude``."""
    skip = set(exclude)
    fields = [f.attname for f in queryset.model._meta.concrete_fields
              if f.name not in skip and f.attname not in skip]
    return list(queryset.values(*fields))


def _modules(apps: Iterable[str] = APPS) -> list[tuple[str, Any]]:
    return [(app, import_module(f"{app}.datarights")) for app in apps
            if find_spec(f"{app}.datarights") is not None]


def pseudonym_for(company: Company) -> str:
    """A stable name that does not say which firm it was (keyed by the secret key)."""
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:company:{company.pk}".encode()).hexdigest()
    return _("Former member %(code)s") % {"code": digest[:6].upper()}


def _require_owner(*, user: User, company: Company) -> None:
    if not Membership.objects.filter(user=user, company=company,
                                     role=Membership.Role.OWNER).exists():
        raise PermissionDenied(_("Only an owner of the company can do this."))


def company_export(*, company: Company, user: User) -> dict[str, Any]:
    """All the firm's data as one JSON-ready document; only an owner may take it."""
    _require_owner(user=user, company=company)
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now(),
        "exported_by": user.email,
    }
    for app, module in _modules():
        document[app] = module.export_company(company=company)
    return document


@transaction.atomic
def company_erase(*, company: Company, user: User, confirm_name: str) -> dict[str, Any]:
    """Delete the firm's account in one transaction; the owner types its name to confirm.

    Open listings close, its people's personal data goes (accounts of only this firm are
    anonymised and deactivated), keys and webhooks go; agreements, deliveries, messages
    and the audit trail stay in the other party's records under a pseudonym.
    """
    _require_owner(user=user, company=company)
    if (confirm_name or "").strip().casefold() != company.name.strip().casefold():
        raise ValidationError({"confirm_name": _(
            "Type the company's name exactly as it is shown to confirm.")})
    company = Company.objects.select_for_update().get(pk=company.pk)
    pseudonym = pseudonym_for(company)
    report: dict[str, Any] = {"company": company.pk, "pseudonym": pseudonym}
    for app, module in reversed(_modules()):
        report[app] = module.erase_company(company=company, pseudonym=pseudonym)
    # Ids only: the log must not keep the names the erasure removed.
    log.info("Company %s erased by user %s: %s", company.pk, user.pk, report)
    return report
