"""Company API keys: a secret the company's own systems send instead of a person's token."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Company


class ApiKey(models.Model):
    """A key of a company. Only a sha256 of the secret is kept; ``prefix`` finds the row.

    The full key is ``sym_<prefix>_<secret>``, shown once when created. Requests made with
    it act for ``company`` as ``created_by`` (so company scoping is the people's), and the
    key itself is ``request.auth``: what a key may not do (sign agreements) is checked on it.
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read listings, matches and sites")
        LISTINGS = "listings", _("Create, change and close listings")
        SITES = "sites", _("Add and change sites")
        EXCHANGES = "exchanges", _("Contact requests and exchanges")
        WEBHOOKS = "webhooks", _("Manage webhooks")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="api_keys")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    # Read by permissions elsewhere without importing this app: a key, not a person.
    is_api_key = True
    can_sign_agreements = False

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WebhookEndpoint(models.Model):
    """An HTTPS address of a company that is told about events, signed with ``secret``."""

    class Event(models.TextChoices):
        MATCH_CREATED = "match.created", "match.created"
        MATCH_UPDATED = "match.updated", "match.updated"
        MATCHES_CHANGED = "matches.changed", "matches.changed"
        # Announced by exchanges (exchanges.events), one per firm of the pair.
        CONTACT_REQUESTED = "contact.requested", "contact.requested"
        CONTACT_ACCEPTED = "contact.accepted", "contact.accepted"
        AGREEMENT_PROPOSED = "agreement.proposed", "agreement.proposed"
        AGREEMENT_SIGNED = "agreement.signed", "agreement.signed"
        DELIVERY_RECORDED = "delivery.recorded", "delivery.recorded"
        # An agency's introduction (a contact both firms must accept), to each firm.
        INTRODUCTION_CREATED = "introduction.created", "introduction.created"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one endpoint, with what the endpoint answered."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries")
    event = models.CharField(max_length=40)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.IntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.last_status or '—'})"


class ApiKeyAction(models.Model):
    """A write made with a key: the key is the actor (its creator only lends the scoping)."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="actions")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["key", "-at"])]

    def __str__(self) -> str:
        return f"{self.key_id} {self.method} {self.path} → {self.status}"
