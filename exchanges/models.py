"""Contacts between firms over an (offer, want) pair, their conversation and feasibility
checklist, agreements with versions and signatures, deliveries, and the audit trail.

Everything refers to the listing pair, never to a ``Match`` row: rematches rewrite and
delete match rows, while a contact must outlive them.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Company
from matching.models import Listing


class ListingDisclosure(models.Model):
    """How much a listing's owner lets others see before a contact is accepted.

    Kept beside the listing rather than on it so that ``matching`` stays the matcher; a
    listing without a row has the defaults (anonymous, exact quantity).
    """

    class Visibility(models.TextChoices):
        ANONYMOUS = "anonymous", _("Anonymous until a contact is accepted")
        PUBLIC = "public", _("Public: my company name is shown")

    class QuantityShown(models.TextChoices):
        EXACT = "exact", _("Exact quantity")
        BANDED = "banded", _("A range only")

    listing = models.OneToOneField(Listing, on_delete=models.CASCADE, related_name="disclosure")
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.ANONYMOUS
    )
    quantity_shown = models.CharField(
        _("quantity shown"), max_length=10, choices=QuantityShown.choices,
        default=QuantityShown.EXACT,
    )

    def __str__(self) -> str:
        return f"{self.listing_id}: {self.visibility}, {self.quantity_shown}"


class Contact(models.Model):
    """One firm asked another about an (offer, want) pair; confidential until accepted."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        STOPPED = "stopped", _("Stopped")

    class Stage(models.TextChoices):
        MATCHED = "matched", _("Matched")
        CONTACTED = "contacted", _("Contacted")
        FEASIBILITY = "feasibility", _("Feasibility")
        AGREEMENT = "agreement", _("Agreement")
        OPERATING = "operating", _("Operating")
        COMPLETED = "completed", _("Completed")
        STOPPED = "stopped", _("Stopped")

    class StopReason(models.TextChoices):
        MATERIAL = "material", _("The material does not fit")
        QUALITY = "quality", _("Quality or specification")
        QUANTITY = "quantity", _("Quantity")
        PRICE = "price", _("Price or cost")
        LOGISTICS = "logistics", _("Transport or logistics")
        LEGAL = "legal", _("Legal status or permits")
        TIMING = "timing", _("Timing")
        OTHER_PARTNER = "other-partner", _("Found another partner")
        DECLINED = "declined", _("Request declined")
        EXPIRED = "expired", _("Request expired")
        TERMINATED = "terminated", _("Agreement terminated")
        OTHER = "other", _("Other")

    OPEN_STATES = (State.REQUESTED, State.ACCEPTED)

    offer = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="contacts_as_offer")
    want = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="contacts_as_want")
    requester = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="contacts_requested"
    )
    recipient = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="contacts_received"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The named contact persons, revealed to both sides on acceptance.
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    introduced_by = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="introductions"
    )
    # An introduced contact (an agency put the pair's firms in touch) needs both firms to
    # accept; each side's consent is kept here, and the state turns accepted (names
    # revealed) only when both have given it. ``requested_by`` and ``accepted_by`` name
    # each side's contact person, as for a contact one firm asked for.
    requester_accepted_at = models.DateTimeField(null=True, blank=True)
    recipient_accepted_at = models.DateTimeField(null=True, blank=True)
    introduction_note = models.CharField(_("introduction"), max_length=2000, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.REQUESTED
    )
    stage = models.CharField(
        _("stage"), max_length=12, choices=Stage.choices, default=Stage.CONTACTED
    )
    stop_reason = models.CharField(
        _("reason"), max_length=20, choices=StopReason.choices, blank=True
    )
    stop_note = models.CharField(_("note"), max_length=500, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "want"],
                condition=Q(state__in=["requested", "accepted"]),
                name="contact_one_open_per_pair",
                violation_error_message=_("There is already an open contact about this pair."),
            ),
            models.CheckConstraint(
                condition=~Q(requester=F("recipient")),
                name="contact_two_firms",
            ),
            models.CheckConstraint(
                condition=~Q(offer=F("want")),
                name="contact_two_listings",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["requested", "accepted", "declined", "expired", "stopped"]),
                name="contact_state_known",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "expires_at"], name="contact_state_expiry"),
        ]

    def __str__(self) -> str:
        return f"Contact {self.pk}: {self.offer_id} → {self.want_id} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def is_accepted(self) -> bool:
        return self.state == self.State.ACCEPTED

    @property
    def is_introduction(self) -> bool:
        return self.introduced_by_id is not None

    def awaits(self, company_id: int | None) -> bool:
        """Whether this firm's answer is still needed to open the contact: the recipient
        of a request; either firm of an introduction that has not accepted yet."""
        if self.state != self.State.REQUESTED or company_id is None:
            return False
        if self.is_introduction:
            if company_id == self.requester_id:
                return self.requester_accepted_at is None
            if company_id == self.recipient_id:
                return self.recipient_accepted_at is None
            return False
        return company_id == self.recipient_id

    def other_company_id(self, company_id: int) -> int:
        return self.recipient_id if company_id == self.requester_id else self.requester_id


class Block(models.Model):
    """A firm wants no requests from (and to) another firm."""

    blocker = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="blocks_made")
    blocked = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="blocks_received")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_unique"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="block_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class Message(models.Model):
    """One message of a contact's thread."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="messages")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("message"), max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Message {self.pk} on contact {self.contact_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    """A random stored name: the original name is kept in the row, never in the path."""
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"exchanges/{instance.contact_id}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    """A file in a contact's thread (specification sheet, lab analysis)."""

    class Kind(models.TextChoices):
        SPECIFICATION = "specification", _("Specification sheet")
        LAB_ANALYSIS = "lab-analysis", _("Lab analysis")
        OTHER = "other", _("Other document")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="attachments")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class FeasibilityItem(models.Model):
    """One line of a contact's feasibility checklist."""

    class Key(models.TextChoices):
        SPECIFICATION = "specification", _("Specification exchanged")
        LAB_ANALYSIS = "lab-analysis", _("Lab analysis exchanged")
        LEGAL_STATUS = "legal-status", _("Legal status of the material")
        COST_ESTIMATE = "cost-estimate", _("Transport and treatment cost estimate")
        DECISION = "decision", _("Go / no-go")

    class LegalStatus(models.TextChoices):
        BY_PRODUCT = "by-product", _("By-product (Waste Framework Directive, art. 5)")
        END_OF_WASTE = "end-of-waste", _("End-of-waste (Waste Framework Directive, art. 6)")
        WASTE = "waste", _("Remains waste")

    class Decision(models.TextChoices):
        GO = "go", _("Go")
        NO_GO = "no-go", _("No go")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="feasibility")
    key = models.CharField(max_length=20, choices=Key.choices)
    done = models.BooleanField(_("done"), default=False)
    legal_status = models.CharField(
        _("legal status"), max_length=20, choices=LegalStatus.choices, blank=True
    )
    permit_reference = models.CharField(_("permit reference"), max_length=200, blank=True)
    transport_document_reference = models.CharField(
        _("transport document reference"), max_length=200, blank=True
    )
    cost_estimate = models.DecimalField(
        _("cost estimate"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=1000, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["contact", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "key"], name="feasibility_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.key}"


class Agreement(models.Model):
    """Terms two firms agree on for a contact; the terms live in versions."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PROPOSED = "proposed", _("Proposed")
        SIGNED = "signed", _("Signed")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        TERMINATED = "terminated", _("Terminated")

    OPEN_STATES = (State.DRAFT, State.PROPOSED, State.SIGNED, State.ACTIVE)
    EDITABLE_STATES = (State.DRAFT, State.PROPOSED)

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="agreements")
    drafted_by = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.DRAFT
    )
    # Early activation needs both sides; the first to confirm is remembered here.
    activation_confirmed_by = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.CharField(_("reason"), max_length=500, blank=True)
    # Cost figures the two firms chose to share with the region's agency for its impact
    # reports (never the price, which stays between them). Empty: nothing shared.
    shared_savings = models.DecimalField(
        _("yearly savings shared"), max_digits=14, decimal_places=2, null=True, blank=True,
        help_text=_("What the exchange saves both firms together per year (avoided disposal "
                    "fees and purchases, less new costs)."),
    )
    shared_costs = models.DecimalField(
        _("one-off costs shared"), max_digits=14, decimal_places=2, null=True, blank=True,
        help_text=_("Investment or set-up costs of the exchange, both firms together."),
    )
    shared_currency = models.CharField(_("currency"), max_length=3, default="EUR")
    shared_by = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shared_at = models.DateTimeField(null=True, blank=True)
    proposed_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"],
                condition=Q(state__in=["draft", "proposed", "signed", "active"]),
                name="agreement_one_open_per_contact",
                violation_error_message=_("This contact already has an open agreement."),
            ),
        ]

    def __str__(self) -> str:
        return f"Agreement {self.pk} ({self.state})"


class AgreementVersion(models.Model):
    """The terms of an agreement as they stood after one edit; never changed afterwards."""

    class Transport(models.TextChoices):
        SUPPLIER = "supplier", _("The supplier")
        RECEIVER = "receiver", _("The receiver")
        THIRD_PARTY = "third-party", _("A third party")

    TERMS = (
        "material", "quantity", "unit", "frequency", "price_per_unit", "currency",
        "start_date", "end_date", "transport_by", "quality_specification", "legal_status",
        "notes",
    )

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    material = models.CharField(_("material"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=5, choices=Listing.Unit.choices)
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Listing.Frequency.choices,
        default=Listing.Frequency.YEARLY,
    )
    # Negative: a gate fee the supplier pays the receiver.
    price_per_unit = models.DecimalField(
        _("price per unit"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    transport_by = models.CharField(
        _("transport by"), max_length=12, choices=Transport.choices, default=Transport.SUPPLIER
    )
    quality_specification = models.TextField(_("quality specification"), blank=True)
    legal_status = models.CharField(
        _("legal status"), max_length=20, choices=FeasibilityItem.LegalStatus.choices,
        blank=True,
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "number"], name="agreement_version_unique"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="agreement_quantity_positive"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="agreement_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Agreement {self.agreement_id} v{self.number}"

    def terms(self) -> dict:
        return {name: getattr(self, name) for name in self.TERMS}


class Signature(models.Model):
    """A firm signed one version of an agreement."""

    version = models.ForeignKey(
        AgreementVersion, on_delete=models.CASCADE, related_name="signatures"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "company"], name="signature_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.company_id} signed {self.version_id}"


class Delivery(models.Model):
    """What moved under an active agreement, as one party recorded it."""

    class State(models.TextChoices):
        RECORDED = "recorded", _("Recorded")
        CONFIRMED = "confirmed", _("Confirmed")
        DISPUTED = "disputed", _("Disputed")

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="deliveries")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    date = models.DateField(_("date"))
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=5, choices=Listing.Unit.choices)
    # Set by the service through the engine's unit table (one place for conversions).
    canonical_quantity = models.FloatField(editable=False)
    canonical_unit = models.CharField(max_length=5, editable=False)
    note = models.CharField(_("note"), max_length=500, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.RECORDED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    dispute_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name_plural = _("deliveries")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="delivery_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.pk} ({self.state})"


class AuditEntry(models.Model):
    """A state change of a contact, agreement or delivery: who, when, from, to.

    ``accounts`` has no audit model yet; when it gains one, these rows move there.
    """

    class Subject(models.TextChoices):
        CONTACT = "contact", _("Contact")
        AGREEMENT = "agreement", _("Agreement")
        DELIVERY = "delivery", _("Delivery")
        BLOCK = "block", _("Block")

    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="audit"
    )
    subject = models.CharField(max_length=10, choices=Subject.choices)
    subject_id = models.BigIntegerField()
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    note = models.CharField(max_length=500, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["subject", "subject_id"], name="audit_subject")]

    def __str__(self) -> str:
        return f"{self.subject} {self.subject_id}: {self.from_state} → {self.to_state}"


class Notification(models.Model):
    """Something happened that a person of the other firm should know about."""

    class Kind(models.TextChoices):
        CONTACT_REQUESTED = "contact-requested", _("A firm asks to get in touch")
        CONTACT_ANSWERED = "contact-answered", _("Your request was answered")
        MESSAGE = "message", _("New message or file")
        AGREEMENT = "agreement", _("Agreement proposed, signed or started")
        DELIVERY = "delivery", _("Delivery recorded, confirmed or disputed")
        SEARCH = "search", _("New listings for a saved search (daily digest)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    saved_search = models.ForeignKey(
        "SavedSearch", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Written through exchanges.visibility: it never names a firm before acceptance.
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=200)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.text


class EmailOptOut(models.Model):
    """A person does not want e-mails of one kind (the portal still shows them)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Notification.Kind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="email_opt_out_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} opts out of {self.kind}"


class SavedSearch(models.Model):
    """A firm's search of other firms' listings, kept to hear about new listings that fit."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="searches")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    # The search form's cleaned values (words, kind, category, EWC chapter, site, distance).
    params = models.JSONField(default=dict)
    # Listings created after this are "new" (the digest moves it forward).
    seen_until = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
