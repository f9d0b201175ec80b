"""An agency's staff: invitations to join it, and the record of what staff did.

``StaffAction`` is the agency's activity log (who did what, when): verifications, listings
entered or edited on a firm's behalf, invitations, role and region changes. Listings
entered on behalf are recorded here, so a firm's listing always says who wrote it.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, AgencyMembership, Company, Region


class StaffInvitation(models.Model):
    """A manager's invitation for an e-mail address to join the agency with a role.

    As with firms' invitations, only a hash of the token is stored: the e-mailed link is the
    sole copy. Open means neither accepted nor revoked; past ``expires_at`` it is expired.
    """

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="staff_invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(
        _("role"), max_length=20, choices=AgencyMembership.Role.choices,
        default=AgencyMembership.Role.REVIEWER,
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("staff invitation")
        verbose_name_plural = _("staff invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_staff_invitation_per_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.agency} ({self.role})"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    def closed_message(self) -> str:
        """Why the invitation can no longer be accepted, or "" while it can."""
        if self.revoked_at is not None:
            return str(_("This invitation was withdrawn by %(agency)s.")
                       % {"agency": self.agency.name})
        if self.accepted_at is not None:
            return str(_("This invitation has already been used."))
        if self.is_expired:
            return str(_("This invitation has expired: ask %(agency)s for a new one.")
                       % {"agency": self.agency.name})
        return ""


class StaffAction(models.Model):
    """One thing a member of staff did, for the agency's activity page."""

    class Kind(models.TextChoices):
        VERIFIED = "verified", _("verified a firm")
        UNVERIFIED = "unverified", _("withdrew a firm's verification")
        LISTING_CREATED = "listing_created", _("entered a listing on the firm's behalf")
        LISTING_UPDATED = "listing_updated", _("edited a listing on the firm's behalf")
        INVITED = "invited", _("invited a colleague")
        INVITATION_REVOKED = "invitation_revoked", _("withdrew an invitation")
        JOINED = "joined", _("joined the agency")
        ROLE_CHANGED = "role_changed", _("changed a colleague's role")
        REGION_CHANGED = "region_changed", _("changed a region")

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="staff_actions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Listings entered or edited on behalf: the audit entry the firm's listing page reads.
    listing = models.ForeignKey(
        "matching.Listing", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="agency_actions",
    )
    region = models.ForeignKey(
        Region, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What it was about, in words that outlive the row it names (an e-mail, a title).
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("staff action")
        verbose_name_plural = _("staff actions")

    def __str__(self) -> str:
        return f"{self.user} {self.get_kind_display()} ({self.at:%Y-%m-%d})"
