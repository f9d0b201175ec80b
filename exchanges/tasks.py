"""Periodic work for exchanges: thin tasks calling one service each."""

from __future__ import annotations

from celery import shared_task

from exchanges import services


@shared_task(name="exchanges.tasks.exchanges_daily")
def exchanges_daily() -> dict:
    """Expire lapsed contact requests; start and finish agreements on their dates.
    Runs hourly; each step is idempotent, so a repeated or overlapping run does nothing."""
    expired = services.contact_expire_due()
    activated, completed = services.agreement_run_due()
    return {"expired": expired, "activated": activated, "completed": completed}


@shared_task(name="exchanges.tasks.send_notification_email", acks_late=True)
def send_notification_email(notification_id: int) -> bool:
    """E-mail one notification (nothing when it is gone, already sent, or opted out)."""
    from exchanges.services.notifications import notification_email_send

    return notification_email_send(notification_id=notification_id)


@shared_task(name="exchanges.tasks.saved_search_digest")
def saved_search_digest() -> int:
    """Daily: new listings for each saved search (idempotent within a day's run)."""
    return services.saved_search_digest()
