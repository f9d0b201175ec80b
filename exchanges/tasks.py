"""Periodic work for exchanges: thin tasks calling one service each."""

from __future__ import annotations

from celery import shared_task

from exchanges import services


@shared_task
def exchanges_daily() -> dict:
    """Expire lapsed contact requests; start and finish agreements on their dates.
    Runs hourly; each step is idempotent, so a repeated or overlapping run does nothing."""
    expired = services.contact_expire_due()
    activated, completed = services.agreement_run_due()
    return {"expired": expired, "activated": activated, "completed": completed}
