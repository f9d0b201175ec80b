"""Contact services: request, accept, decline, stop, block, expiry, thread, checklist."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from exchanges import services
from exchanges.models import AuditEntry, Contact, FeasibilityItem, Notification
from tests.factories import ListingFactory


def test_request_from_a_match_stores_the_pair_not_the_row(contact, match, owner, partner):
    assert (contact.offer, contact.want) == (owner.listing, partner.listing)
    assert contact.requester == partner.company and contact.recipient == owner.company
    assert contact.state == "requested" and contact.stage == "contacted"
    assert contact.messages.get().body == "We could take your fly ash."
    match.delete()  # a rematch drops the row; the contact stays
    contact.refresh_from_db()
    assert contact.offer == owner.listing


def test_request_expires_after_the_configured_days(settings, match, partner):
    settings.CONTACT_EXPIRY_DAYS = 7
    contact = services.contact_request(user=partner.user, company=partner.company,
                                       match_id=match.pk, message="Hello")
    assert timedelta(days=6, hours=23) < contact.expires_at - timezone.now() <= timedelta(days=7)


def test_request_from_a_listing_and_own_listing(owner, partner):
    contact = services.contact_request(user=owner.user, company=owner.company,
                                       listing=partner.listing, own_listing=owner.listing,
                                       message="Interested?")
    assert (contact.offer, contact.want) == (owner.listing, partner.listing)
    assert contact.requester == owner.company


@pytest.mark.parametrize("case", ["same-kind", "not-mine", "my-own", "empty-message"])
def test_request_refused_with_a_message(case, owner, partner, outsider):
    kwargs = {"listing": partner.listing, "own_listing": owner.listing, "message": "Hi"}
    if case == "same-kind":
        kwargs["own_listing"] = ListingFactory(company=owner.company, kind="want")
    elif case == "not-mine":
        kwargs["own_listing"] = ListingFactory(company=outsider.company)
    elif case == "my-own":
        kwargs["listing"] = ListingFactory(company=owner.company, kind="want")
    else:
        kwargs["message"] = "   "
    with pytest.raises(ValidationError) as exc:
        services.contact_request(user=owner.user, company=owner.company, **kwargs)
    assert exc.value.messages
    assert not Contact.objects.exists()


def test_a_match_of_another_firm_cannot_be_used(match, outsider):
    with pytest.raises(ValidationError, match="No such match"):
        services.contact_request(user=outsider.user, company=outsider.company,
                                 match_id=match.pk, message="Hi")


def test_one_open_contact_per_pair(contact, owner, partner):
    with pytest.raises(ValidationError, match="already an open contact"):
        services.contact_request(user=owner.user, company=owner.company,
                                 listing=partner.listing, own_listing=owner.listing,
                                 message="Me too")


def test_the_database_refuses_a_second_open_contact(contact):
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(offer=contact.offer, want=contact.want,
                               requester=contact.recipient, recipient=contact.requester,
                               expires_at=timezone.now())


def test_a_closed_contact_lets_the_pair_be_asked_again(contact, owner, partner, match):
    services.contact_decline(contact=contact, user=owner.user, note="Not now")
    again = services.contact_request(user=partner.user, company=partner.company,
                                     match_id=match.pk, message="Second try")
    assert again.pk != contact.pk and again.state == "requested"


def test_accept_reveals_and_opens_the_checklist(contact, owner):
    services.contact_accept(contact=contact, user=owner.user)
    contact.refresh_from_db()
    assert contact.state == "accepted" and contact.accepted_by == owner.user
    assert set(contact.feasibility.values_list("key", flat=True)) == set(
        FeasibilityItem.Key.values)


def test_only_the_recipient_accepts_or_declines(contact, partner, outsider):
    with pytest.raises(PermissionDenied):
        services.contact_accept(contact=contact, user=partner.user)
    with pytest.raises(PermissionDenied):
        services.contact_decline(contact=contact, user=outsider.user)
    contact.refresh_from_db()
    assert contact.state == "requested"


def test_an_expired_request_cannot_be_accepted(contact, owner):
    Contact.objects.filter(pk=contact.pk).update(expires_at=timezone.now() - timedelta(1))
    contact.refresh_from_db()
    with pytest.raises(ValidationError, match="expired"):
        services.contact_accept(contact=contact, user=owner.user)


def test_decline_stops_the_pipeline_with_the_reason(contact, owner):
    services.contact_decline(contact=contact, user=owner.user, note="No capacity")
    contact.refresh_from_db()
    assert (contact.state, contact.stage, contact.stop_reason) == ("declined", "stopped",
                                                                  "declined")
    assert contact.stop_note == "No capacity"


def test_stop_needs_a_listed_reason(accepted, partner):
    with pytest.raises(ValidationError):
        services.contact_stop(contact=accepted, user=partner.user, reason="bored")
    services.contact_stop(contact=accepted, user=partner.user, reason="price", note="Too dear")
    accepted.refresh_from_db()
    assert (accepted.state, accepted.stage, accepted.stop_reason) == ("stopped", "stopped",
                                                                     "price")


def test_stop_refused_while_an_agreement_is_signed(signed, partner):
    with pytest.raises(ValidationError, match="Terminate"):
        services.contact_stop(contact=signed.contact, user=partner.user, reason="price")


def test_block_closes_the_request_and_stops_new_ones_both_ways(contact, owner, partner, match):
    services.contact_block(contact=contact, user=owner.user)
    contact.refresh_from_db()
    assert contact.state == "declined"
    for persona, other in ((partner, owner), (owner, partner)):
        with pytest.raises(ValidationError, match="cannot contact"):
            services.contact_request(user=persona.user, company=persona.company,
                                     listing=other.listing, own_listing=persona.listing,
                                     message="Again")


def test_expiry_is_idempotent(contact, match, owner, partner):
    fresh_offer = ListingFactory(company=owner.company, site=owner.site, title="Bottom ash")
    fresh = services.contact_request(user=partner.user, company=partner.company,
                                     listing=fresh_offer, own_listing=partner.listing,
                                     message="And this one?")
    Contact.objects.filter(pk=contact.pk).update(expires_at=timezone.now() - timedelta(1))
    assert services.contact_expire_due() == 1
    assert services.contact_expire_due() == 0
    contact.refresh_from_db()
    fresh.refresh_from_db()
    assert (contact.state, contact.stop_reason) == ("expired", "expired")
    assert fresh.state == "requested"
    assert AuditEntry.objects.filter(subject="contact", subject_id=contact.pk,
                                     action="expire").count() == 1


def test_messages_need_an_accepted_contact(contact, accepted, partner, outsider):
    message = services.message_post(contact=accepted, user=partner.user, body="When can we talk?")
    assert message.company == partner.company
    with pytest.raises(PermissionDenied):
        services.message_post(contact=accepted, user=outsider.user, body="Hi")
    with pytest.raises(ValidationError):
        services.message_post(contact=accepted, user=partner.user, body=" ")


def test_messages_refused_before_acceptance(contact, partner):
    with pytest.raises(ValidationError, match="accepted"):
        services.message_post(contact=contact, user=partner.user, body="Hello?")


def test_attachment_stored_under_a_random_name(accepted, owner):
    upload = SimpleUploadedFile("Harbour Power spec.pdf", b"%PDF-1.4 spec",
                                content_type="application/pdf")
    attachment = services.attachment_add(contact=accepted, user=owner.user, file=upload,
                                         kind="specification")
    assert attachment.original_name == "Harbour_Power_spec.pdf"
    assert "Harbour" not in attachment.file.name and attachment.file.name.endswith(".pdf")
    assert attachment.file.read() == b"%PDF-1.4 spec"


def test_attachment_limits(settings, accepted, owner):
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="at most"):
        services.attachment_add(contact=accepted, user=owner.user,
                                file=SimpleUploadedFile("a.pdf", b"x" * 11))
    with pytest.raises(ValidationError, match="type"):
        services.attachment_add(contact=accepted, user=owner.user,
                                file=SimpleUploadedFile("run.exe", b"MZ",
                                                        content_type="application/pdf"))


def test_feasibility_moves_the_stage_and_checks_waste_paperwork(accepted, partner):
    with pytest.raises(ValidationError, match="permit"):
        services.feasibility_update(contact=accepted, user=partner.user, key="legal-status",
                                    data={"legal_status": "waste", "done": True})
    item = services.feasibility_update(
        contact=accepted, user=partner.user, key="legal-status",
        data={"legal_status": "waste", "done": True, "permit_reference": "YLO-123",
              "transport_document_reference": "SIIRTO-9"})
    assert item.done and item.permit_reference == "YLO-123"
    accepted.refresh_from_db()
    assert accepted.stage == "feasibility"
    with pytest.raises(ValidationError, match="currency"):
        services.feasibility_update(contact=accepted, user=partner.user, key="cost-estimate",
                                    data={"cost_estimate": "1200"})


def test_every_contact_state_change_is_audited(contact, owner, partner):
    services.contact_accept(contact=contact, user=owner.user)
    services.contact_stop(contact=contact, user=partner.user, reason="timing")
    rows = list(AuditEntry.objects.filter(subject="contact", subject_id=contact.pk,
                                          action__in=["request", "accept", "stop"])
                .values_list("action", "from_state", "to_state", "user"))
    assert rows == [("request", "", "requested", partner.user.pk),
                    ("accept", "requested", "accepted", owner.user.pk),
                    ("stop", "accepted", "stopped", partner.user.pk)]


def test_expiry_notifies_both_sides_once_each_of_its_own_listing(contact, owner, partner):
    Contact.objects.filter(pk=contact.pk).update(expires_at=timezone.now() - timedelta(1))

    services.contact_expire_due()
    services.contact_expire_due()  # a second run finds nothing and tells nobody again

    asked = Notification.objects.filter(contact=contact, text__contains="expired")
    by_user = {n.user_id: n.text for n in asked}
    assert set(by_user) == {owner.user.pk, partner.user.pk}
    assert by_user[partner.user.pk] == (
        f'Your contact request about "{partner.listing.title}" expired unanswered.')
    assert by_user[owner.user.pk] == (
        f'A contact request about "{owner.listing.title}" expired unanswered.')
    for text in by_user.values():
        assert owner.company.name not in text and partner.company.name not in text
