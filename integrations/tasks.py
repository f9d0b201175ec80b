"""Celery tasks of integrations: ids in, one service call."""

from __future__ import annotations

from celery import shared_task

from integrations import services


@shared_task(name="integrations.tasks.deliver_webhook", acks_late=True)
def deliver_webhook(delivery_id: int) -> None:
    """Send one webhook delivery; on failure the service queues the next try."""
    services.webhook_deliver(delivery_id=delivery_id)
