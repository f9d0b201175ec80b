"""Celery application; configuration comes from Django settings (CELERY_*).

Without a broker, tasks go to the in-process runner (``symbiosis.background``) instead.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.contrib.django.task import DjangoTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "symbiosis.settings")


class Task(DjangoTask):
    """A task that, with no broker configured, runs on the in-process thread pool: after
    the response when queued during a request (``symbiosis.background``)."""

    def apply_async(self, args=None, kwargs=None, *rest, **options):
        from symbiosis import background

        if not self.app.conf.task_always_eager and background.in_process():
            # No result to hand back: in-process runs keep no result backend.
            background.runner().submit(self.apply, args=args, kwargs=kwargs, throw=True)
            return None
        return super().apply_async(args, kwargs, *rest, **options)


app = Celery("symbiosis", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
