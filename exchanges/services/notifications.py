"""Notifications: one row per person of the firm that should know, and an e-mail sent by
a Celery task after commit unless the person opted out of that kind."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from exchanges.models import Contact, EmailOptOut, Notification

Kind = Notification.Kind


def notify_company(*, contact: Contact, company_id: int, kind: str, text: str,
                   url: str = "") -> list[Notification]:
    """Tell every member of one firm; e-mails go out after the surrounding commit."""
    url = url or reverse("exchanges:contact_detail", args=[contact.pk])
    users = User.objects.filter(memberships__company_id=company_id, is_active=True).distinct()
    made = Notification.objects.bulk_create(
        [Notification(user=user, kind=kind, contact=contact, text=text[:300], url=url)
         for user in users]
    )
    opted_out = set(EmailOptOut.objects.filter(kind=kind, user__in=users)
                    .values_list("user_id", flat=True))
    from exchanges.tasks import send_notification_email

    for notification in made:
        if notification.user_id not in opted_out and notification.pk is not None:
            send_notification_email.delay_on_commit(notification.pk)
    return made


def listing_title_for(contact: Contact, company_id: int) -> str:
    """The firm's own listing of the pair: what a notification may safely name."""
    own = contact.offer if contact.offer.company_id == company_id else contact.want
    return own.title


def notify_other(*, contact: Contact, actor_company_id: int | None, kind: str,
                 template: str, url: str = "") -> None:
    """Tell the firm across the contact from the one that acted (both when nobody did).

    ``template`` names only the told firm's own listing (``%(title)s``), never the other
    firm: notifications and e-mails go out before a contact is accepted too."""
    targets = ([contact.requester_id, contact.recipient_id] if actor_company_id is None
               else [contact.other_company_id(actor_company_id)])
    for company_id in targets:
        text = template % {"title": listing_title_for(contact, company_id)}
        notify_company(contact=contact, company_id=company_id, kind=kind, text=text, url=url)


def notification_email_send(*, notification_id: int) -> bool:
    """Send one notification's e-mail once; False when gone, sent, or opted out since."""
    with transaction.atomic():
        notification = (Notification.objects.select_for_update().select_related("user")
                        .filter(pk=notification_id, emailed_at__isnull=True).first())
        if notification is None:
            return False
        if EmailOptOut.objects.filter(user=notification.user, kind=notification.kind).exists():
            return False
        body = _("%(text)s\n\nOpen it in the portal: %(url)s\n\nYou can turn off e-mails of "
                 "this kind on your notifications page.") % {
            "text": notification.text, "url": notification.url}
        send_mail(subject=_("Symbiosis: %(text)s") % {"text": notification.text[:120]},
                  message=body, from_email=settings.DEFAULT_FROM_EMAIL,
                  recipient_list=[notification.user.email])
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
        return True


def notification_mark_read(*, user: User, contact: Contact | None = None,
                           notification_id: int | None = None) -> int:
    """Mark the user's notifications read (one, those of one contact, or all)."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if contact is not None:
        qs = qs.filter(contact=contact)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def email_opt_out_set(*, user: User, kinds: set[str]) -> None:
    """Replace the user's e-mail opt-outs by ``kinds``."""
    kinds = {k for k in kinds if k in Kind.values}
    with transaction.atomic():
        EmailOptOut.objects.filter(user=user).exclude(kind__in=kinds).delete()
        for kind in kinds:
            EmailOptOut.objects.get_or_create(user=user, kind=kind)
