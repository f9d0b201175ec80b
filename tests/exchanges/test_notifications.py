"""Notifications and their e-mails: who is told, what they may read, opt-outs, idempotence."""

from __future__ import annotations

from django.core import mail
from django.test import Client

from exchanges import services
from exchanges.models import EmailOptOut, Notification
from exchanges.tasks import send_notification_email


def _request(match, partner):
    return services.contact_request(user=partner.user, company=partner.company,
                                    match_id=match.pk, message="Hello there")


def test_a_request_tells_the_other_firm_without_naming_the_asker(
        match, owner, partner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        contact = _request(match, partner)
    notification = Notification.objects.get()
    assert notification.user == owner.user and notification.contact == contact
    assert owner.listing.title in notification.text
    assert notification.url == f"/exchanges/contacts/{contact.pk}/"
    assert [m.to for m in mail.outbox] == [[owner.user.email]]
    email = mail.outbox[0]
    for secret in (partner.company.name, partner.user.email, partner.listing.title,
                   partner.site.city):
        assert secret not in email.body and secret not in email.subject
    assert not Notification.objects.filter(user=partner.user).exists()


def test_opted_out_kinds_are_not_emailed_but_still_shown(
        match, owner, partner, django_capture_on_commit_callbacks):
    EmailOptOut.objects.create(user=owner.user, kind="contact-requested")
    with django_capture_on_commit_callbacks(execute=True):
        _request(match, partner)
    assert mail.outbox == []
    assert Notification.objects.filter(user=owner.user).count() == 1


def test_the_email_task_sends_once(match, owner, partner):
    _request(match, partner)  # on-commit callbacks not run: nothing sent yet
    notification = Notification.objects.get()
    assert send_notification_email(notification.pk) is True
    assert send_notification_email(notification.pk) is False
    assert send_notification_email(999999) is False
    assert len(mail.outbox) == 1


def test_each_step_tells_the_other_side(accepted, owner, partner):
    services.message_post(contact=accepted, user=partner.user, body="Spec?")
    kinds = list(Notification.objects.order_by("id").values_list("user__email", "kind"))
    assert kinds == [(owner.user.email, "contact-requested"),
                     (partner.user.email, "contact-answered"),
                     (owner.user.email, "message")]


def test_reading_a_contact_marks_its_notifications_read(accepted, owner, partner):
    services.message_post(contact=accepted, user=partner.user, body="Spec?")
    client = Client()
    client.force_login(owner.user)
    inbox = client.get("/exchanges/contacts/").content.decode()
    assert 'class="badge unread"' in inbox
    client.get(f"/exchanges/contacts/{accepted.pk}/")
    assert not Notification.objects.filter(user=owner.user, read_at__isnull=True).exists()
    assert 'class="badge unread"' not in client.get("/exchanges/contacts/").content.decode()


def test_the_notification_centre_saves_email_preferences(owner):
    client = Client()
    client.force_login(owner.user)
    assert client.get("/exchanges/notifications/").status_code == 200
    client.post("/exchanges/notifications/", {"email": ["message", "agreement"]})
    assert set(EmailOptOut.objects.filter(user=owner.user).values_list("kind", flat=True)) == {
        "contact-requested", "contact-answered", "delivery", "search"}
