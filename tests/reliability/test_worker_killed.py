"""Issue 19, faults: a real ``celery worker`` killed (SIGKILL) in the middle of a task.

Tasks are ``acks_late``: the broker keeps a task until it has run. The first worker stalls
in the first task it receives (``tests/reliability/stalling_worker.py``), the test kills
it, and a second worker on the same queue gets the task again once the visibility timeout
(``CELERY_VISIBILITY_TIMEOUT_S``, 5 s here) has passed. The task then runs once: one match
for the pair, one e-mail for the notification.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from bench.celery_worker import celery_workers
from exchanges.models import Notification
from exchanges.tasks import send_notification_email
from matching import services
from matching.models import Match
from tests.waiting import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _mails(folder: Path) -> list[str]:
    return [path.read_text() for path in folder.glob("*")] if folder.exists() else []


def test_a_task_of_a_killed_worker_is_delivered_again_and_runs_once(owner, partner, tmp_path):
    marker, mail = tmp_path / "stalled", tmp_path / "mail"
    env = {"STALL_MARKER": str(marker), "STALL_S": "300", "CELERY_VISIBILITY_TIMEOUT_S": "5",
           "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
           "EMAIL_FILE_PATH": str(mail)}
    with celery_workers(1, prefix="killed", app_module="tests.reliability.stalling_worker",
                        env=env) as first:
        # Two tasks: the listing's match (queued on commit) and a notification's e-mail.
        listing = services.listing_create(
            company=owner.company, user=owner.user,
            data={"kind": "offer", "site": owner.site, "title": "Pulverised fuel ash",
                  "description": "Dry fly ash from our coal boiler, silo storage.",
                  "ewc_code": "100102", "quantity": 800, "unit": "t", "frequency": "monthly"},
        )
        notification = Notification.objects.create(
            user=owner.user, kind=Notification.Kind.MESSAGE, text="New message from a firm",
            url="/exchanges/contacts/")
        send_notification_email.delay(notification.pk)

        wait_until(marker.exists, timeout=90, interval=0.1,
                   message=lambda: "no task reached the worker:\n" + first.logs()[0])
        stalled_task, stalled_id, pid = marker.read_text().split()
        worker = first.processes[0]
        assert int(pid) == worker.pid  # --pool=solo: the task runs in the worker process
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=10) == -signal.SIGKILL

        # Killed before the task's work: nothing of it happened.
        if stalled_task == "matching.tasks.match_listing":
            assert not Match.objects.filter(offer=listing).exists()
        else:
            assert _mails(mail) == []

        with celery_workers(1, prefix="killed", env=env, queue=first.queue,
                            app_module="tests.reliability.stalling_worker") as second:
            def both_done() -> bool:
                second.check_running()
                notification.refresh_from_db()
                return (Match.objects.filter(offer=listing, want=partner.listing).exists()
                        and notification.emailed_at is not None)

            wait_until(both_done, timeout=120, interval=0.25,
                       message=lambda: "the tasks did not finish in the second worker:\n"
                       + second.logs()[0][-3000:])
            # The redelivered task is the very one the killed worker held.
            wait_until(lambda: second.succeeded(stalled_task) == [1], timeout=30,
                       interval=0.2, message=lambda: second.logs()[0][-3000:])
            log = second.logs()[0]
    assert f"[{stalled_id}]" in log
    assert Match.objects.filter(offer=listing, want=partner.listing).count() == 1
    sent = [text for text in _mails(mail) if "New message from a firm" in text]
    assert len(sent) == 1, sent
