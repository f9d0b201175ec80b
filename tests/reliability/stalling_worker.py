"""The project's Celery app for a worker that stalls in the first task it receives.

``tests/reliability/test_worker_killed.py`` starts a real worker with ``-A`` this module:
the first task (of any name) waits ``STALL_S`` seconds before it runs, long enough for the
test to kill the worker mid-task. A marker file (``STALL_MARKER``) records that a task has
stalled, with the task's name and id, so the redelivered task, in the next worker, runs.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from celery.signals import task_prerun

from symbiosis.celery import app

__all__ = ["app"]


@task_prerun.connect
def _stall_the_first_task(task_id=None, task=None, **kwargs) -> None:
    marker = Path(os.environ["STALL_MARKER"])
    try:
        with open(marker, "x") as created:  # only the first task anywhere stalls
            created.write(f"{task.name} {task_id} {os.getpid()}")
    except FileExistsError:
        return
    time.sleep(float(os.environ.get("STALL_S", "300")))
