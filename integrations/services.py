"""Writes of integrations: creating, revoking and using company API keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company, Membership, User
from accounts.selectors import membership_role_for
from integrations.models import ApiKey

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
