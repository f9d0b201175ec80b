"""What an agency records while reviewing its region's matches: decisions, notes,
assignments and introductions.

Each row names the (offer, want) listing pair, never a ``Match`` row: every rematch
rewrites or deletes match rows, while a decision must outlive them. Decisions and
assignments are histories: every change is a new row with who and when, and the current
one is the latest per agency and pair. Two agencies whose regions share a pair each keep
their own.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from matching.models import Listing


class PairRecord(models.Model):
    """The agency and the (offer, want) pair a review row is about."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    offer = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    want = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class Decision(PairRecord):
    """One reviewer's verdict on a pair, as advice (it never gates a contact)."""

    class Verdict(models.TextChoices):
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")
        HOLD = "hold", _("On hold")

    class Reason(models.TextChoices):
        NOT_FEASIBLE = "not_feasible", _("Not technically feasible")
        DISTANCE = "distance", _("Too far apart")
        QUANTITY = "quantity", _("Quantities do not fit")
        QUALITY = "quality", _("Quality or specification does not fit")
        HAZARD = "hazard", _("Hazard or permit issue")
        DUPLICATE = "duplicate", _("Duplicate of another pair")
        OTHER = "other", _("Other")

    decision = models.CharField(_("decision"), max_length=10, choices=Verdict.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    text = models.CharField(_("note"), max_length=1000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    # The match as it stood (score and components), so the label can be learned from
    # even after a rematch has rewritten or removed the row.
    score = models.FloatField(null=True, blank=True)
    components = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [
            models.Index(fields=["agency", "offer", "want", "-decided_at"],
                         name="decision_pair_latest"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(decision__in=["approve", "reject", "hold"]),
                                   name="decision_known"),
            models.CheckConstraint(condition=~Q(decision="reject") | ~Q(reason=""),
                                   name="decision_reject_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.offer_id} → {self.want_id} {self.decision}"


class ReviewNote(PairRecord):
    """A staff member's note on a pair, seen by the agency's staff only."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(_("note"), max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agency", "offer", "want"], name="review_note_pair")]

    def __str__(self) -> str:
        return f"Note on {self.offer_id} → {self.want_id}"


class Assignment(PairRecord):
    """Who of the agency's staff looks after a pair (``assigned_to`` empty: nobody)."""

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-assigned_at", "-id"]
        indexes = [
            models.Index(fields=["agency", "offer", "want", "-assigned_at"],
                         name="assignment_pair_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.offer_id} → {self.want_id} assigned to {self.assigned_to_id}"


class Introduction(PairRecord):
    """The agency put the two firms of a pair in touch: the facilitated contact it made."""

    introduced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    introduced_at = models.DateTimeField(default=timezone.now)
    message = models.CharField(_("message"), max_length=2000, blank=True)
    # exchanges' contact (both firms must accept it); kept when the contact is gone.
    contact = models.ForeignKey(
        "exchanges.Contact", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-introduced_at", "-id"]
        indexes = [models.Index(fields=["agency", "offer", "want"], name="introduction_pair")]

    def __str__(self) -> str:
        return f"{self.agency_id} introduced {self.offer_id} → {self.want_id}"
