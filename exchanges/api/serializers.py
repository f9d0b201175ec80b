"""Input serializers (what a client may send) and output shapes (what a viewer may see).

Outputs are built from ``exchanges.visibility`` views, never from model fields directly,
so the API shows what the pages show and nothing more.
"""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from exchanges import selectors, visibility
from exchanges.models import (
    Agreement,
    AgreementVersion,
    Attachment,
    Contact,
    Delivery,
    FeasibilityItem,
    Message,
    Notification,
    SavedSearch,
)
from exchanges.permissions import Role

# --- input -----------------------------------------------------------------------------


class ContactCreateSerializer(serializers.Serializer):
    match = serializers.IntegerField(required=False, help_text="A current match id.")
    listing = serializers.IntegerField(required=False, help_text="Another firm's listing.")
    own_listing = serializers.IntegerField(required=False, help_text="One of your listings.")
    message = serializers.CharField(max_length=5000)

    def validate(self, attrs):
        if "match" not in attrs and not ("listing" in attrs and "own_listing" in attrs):
            raise serializers.ValidationError(
                "Give `match`, or `listing` and `own_listing`.")
        return attrs


class DeclineSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class StopSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="One of: " + ", ".join(Contact.StopReason.values))
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class MessageInSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000)


class AttachmentInSerializer(serializers.Serializer):
    file = serializers.FileField()
    kind = serializers.CharField(default=Attachment.Kind.OTHER,
                                 help_text="One of: " + ", ".join(Attachment.Kind.values))


class FeasibilityInSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=FeasibilityItem.Key.choices)
    done = serializers.BooleanField(required=False)
    legal_status = serializers.CharField(required=False, allow_blank=True)
    permit_reference = serializers.CharField(required=False, allow_blank=True, max_length=200)
    transport_document_reference = serializers.CharField(required=False, allow_blank=True,
                                                         max_length=200)
    cost_estimate = serializers.DecimalField(max_digits=14, decimal_places=2, required=False,
                                             allow_null=True)
    currency = serializers.CharField(required=False, allow_blank=True, max_length=3)
    decision = serializers.CharField(required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class TermsSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgreementVersion
        fields = list(AgreementVersion.TERMS)


class AgreementCreateSerializer(TermsSerializer):
    contact = serializers.IntegerField()

    class Meta(TermsSerializer.Meta):
        fields = ["contact", *AgreementVersion.TERMS]


class SignSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class DeliveryInSerializer(serializers.ModelSerializer):
    class Meta:
        model = Delivery
        fields = ["date", "quantity", "unit", "note"]


# --- output ----------------------------------------------------------------------------


def _side(company_id: int, viewer_id: int) -> str:
    return "you" if company_id == viewer_id else "them"


def contact_data(contact: Contact, *, role: Role, viewer) -> dict:
    return visibility.contact_view(contact, viewer=viewer, agency=role is Role.AGENCY)


def message_data(message: Message, *, viewer, contact: Contact) -> dict:
    data = {"id": message.id, "sender": _side(message.company_id, viewer.id),
            "body": message.body, "created_at": message.created_at}
    if contact.is_accepted and message.author is not None:
        data["author"] = message.author.get_full_name()
    return data


def attachment_data(attachment: Attachment, *, viewer) -> dict:
    return {"id": attachment.id, "sender": _side(attachment.company_id, viewer.id),
            "name": attachment.original_name, "kind": attachment.kind,
            "size": attachment.size, "content_type": attachment.content_type,
            "created_at": attachment.created_at,
            "download_url": reverse("exchanges:attachment_download", args=[attachment.pk])}


def feasibility_data(item: FeasibilityItem) -> dict:
    return {"key": item.key, "label": item.get_key_display(), "done": item.done,
            "legal_status": item.legal_status, "permit_reference": item.permit_reference,
            "transport_document_reference": item.transport_document_reference,
            "cost_estimate": None if item.cost_estimate is None else str(item.cost_estimate),
            "currency": item.currency, "decision": item.decision, "note": item.note,
            "updated_at": item.updated_at}


def terms_data(version: AgreementVersion) -> dict:
    data = TermsSerializer(version).data
    data["number"] = version.number
    data["created_at"] = version.created_at
    return data


def version_data(version: AgreementVersion, *, viewer, previous=None) -> dict:
    data = terms_data(version)
    data["signatures"] = [
        {"by": _side(s.company_id, viewer.id), "signed_at": s.signed_at}
        for s in version.signatures.all()
    ]
    data["changes"] = [
        {"field": c.field, "before": c.before, "after": c.after}
        for c in selectors.version_diff(before=previous, after=version)
    ] if previous is not None else []
    return data


def agreement_data(agreement: Agreement, *, role: Role, viewer) -> dict:
    contact = agreement.contact
    data = {"id": agreement.id, "contact": contact.id, "state": agreement.state,
            "stage": contact.stage, "updated_at": agreement.updated_at}
    if role is Role.AGENCY:
        # Parties and state only: terms carry prices.
        data["parties"] = {"requester": contact.requester.name,
                           "recipient": contact.recipient.name}
        return data
    latest = selectors.version_list(agreement=agreement).last()
    data.update({
        "drafted_by": _side(agreement.drafted_by_id, viewer.id),
        "version": latest.number,
        "terms": terms_data(latest),
        "signed_by": sorted(_side(s.company_id, viewer.id) for s in latest.signatures.all()),
        "end_reason": agreement.end_reason,
        "activation_confirmed_by": (_side(agreement.activation_confirmed_by_id, viewer.id)
                                    if agreement.activation_confirmed_by_id else None),
    })
    if agreement.state in (Agreement.State.ACTIVE, Agreement.State.COMPLETED,
                           Agreement.State.TERMINATED):
        totals = selectors.delivery_totals(agreement=agreement)
        data["deliveries"] = {"unit": totals.unit, "confirmed": totals.confirmed,
                              "disputed": totals.disputed, "pending": totals.pending,
                              "agreed": totals.agreed, "progress": totals.progress}
    return data


def delivery_data(delivery: Delivery, *, viewer) -> dict:
    return {"id": delivery.id, "agreement": delivery.agreement_id, "date": delivery.date,
            "quantity": str(delivery.quantity), "unit": delivery.unit,
            "canonical_quantity": delivery.canonical_quantity,
            "canonical_unit": delivery.canonical_unit, "note": delivery.note,
            "state": delivery.state, "recorded_by": _side(delivery.company_id, viewer.id),
            "dispute_reason": delivery.dispute_reason}


# --- output shapes, for the OpenAPI description (bodies are built by the functions above)


class ContactOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=Contact.State.choices)
    stage = serializers.ChoiceField(choices=Contact.Stage.choices)
    stop_reason = serializers.CharField()
    role = serializers.ChoiceField(choices=["requester", "recipient"], required=False)
    introduced_by = serializers.CharField(
        allow_null=True, help_text="The agency that introduced the two firms (both must "
        "accept such a contact), or null.")
    awaiting_you = serializers.BooleanField(
        required=False, help_text="Your firm's answer is still needed to open the contact.")
    counterpart = serializers.CharField(allow_null=True, required=False,
                                        help_text="The other firm's name once accepted.")
    pair = serializers.JSONField(required=False, help_text="Both listings as you may see them.")
    parties = serializers.JSONField(required=False, help_text="Agency staff only.")
    expires_at = serializers.DateTimeField(allow_null=True, required=False)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class MessageOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sender = serializers.CharField(help_text="you or them")
    body = serializers.CharField()
    author = serializers.CharField(required=False)
    created_at = serializers.DateTimeField()


class AttachmentOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sender = serializers.CharField(help_text="you or them")
    name = serializers.CharField()
    kind = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    download_url = serializers.CharField()
    created_at = serializers.DateTimeField()


class FeasibilityOutSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Contact.Stage.choices)
    items = serializers.JSONField()


class AgreementOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    contact = serializers.IntegerField()
    state = serializers.ChoiceField(choices=Agreement.State.choices)
    stage = serializers.ChoiceField(choices=Contact.Stage.choices)
    version = serializers.IntegerField(required=False)
    terms = serializers.JSONField(required=False)
    signed_by = serializers.ListField(child=serializers.CharField(), required=False)
    deliveries = serializers.JSONField(required=False)
    updated_at = serializers.DateTimeField()


class VersionOutSerializer(TermsSerializer):
    number = serializers.IntegerField()
    signatures = serializers.JSONField()
    changes = serializers.JSONField()

    class Meta(TermsSerializer.Meta):
        fields = [*TermsSerializer.Meta.fields, "number", "signatures", "changes"]


class DeliveryOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agreement = serializers.IntegerField()
    date = serializers.DateField()
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
    unit = serializers.CharField()
    canonical_quantity = serializers.FloatField()
    canonical_unit = serializers.CharField()
    state = serializers.ChoiceField(choices=Delivery.State.choices)
    recorded_by = serializers.CharField(help_text="you or them")
    note = serializers.CharField()
    dispute_reason = serializers.CharField()


class NotificationSerializer(serializers.ModelSerializer):
    """One notification of the caller's: its text names only the caller's own listing."""

    kind = serializers.CharField(read_only=True,
                                 help_text="One of: " + ", ".join(Notification.Kind.values))
    contact = serializers.IntegerField(source="contact_id", allow_null=True, read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "url", "contact", "read", "read_at", "created_at"]
        read_only_fields = fields

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were unread.")


class SavedSearchInSerializer(serializers.Serializer):
    """A search to keep: a name and the criteria of ``/api/v1/searches/run/``."""

    name = serializers.CharField(max_length=100)
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    kind = serializers.RegexField(r"^(offer|want)$", required=False,
                                  help_text="offer or want")
    category = serializers.CharField(required=False, allow_blank=True)
    ewc_chapter = serializers.RegexField(r"^\d{2}$", required=False)
    site = serializers.IntegerField(required=False)
    distance_km = serializers.ChoiceField(choices=[10, 25, 50, 100, 200], required=False)


class SavedSearchSerializer(serializers.ModelSerializer):
    class Meta:
        model = SavedSearch
        fields = ["id", "name", "params", "created_at"]
        read_only_fields = fields


def search_result_data(result, *, viewer) -> dict:
    """A search hit as the viewer may see it (anonymised unless public)."""
    from exchanges import visibility

    data = visibility.listing_view(result.listing, viewer=viewer).as_dict()
    data["distance_band_km"] = list(result.band) if result.band else None
    return data
