"""Project-level periodic tasks."""

from __future__ import annotations

from celery import shared_task

from symbiosis import health


@shared_task(name="symbiosis.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """A worker is alive and beat is scheduling (read by /readyz)."""
    health.heartbeat_record()
