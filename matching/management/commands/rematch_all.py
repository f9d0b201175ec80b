"""``manage.py rematch_all``: recompute every match from the active listings."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from matching.services import match_rematch_all


class Command(BaseCommand):
    # Developer-facing, like the help of Django's own commands: not translated.
    help = "Rebuild the match index on all active listings and store every match."

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        count = match_rematch_all()
        self.stdout.write(
            _("%(count)d matches in %(seconds).2f s.")
            % {"count": count, "seconds": time.perf_counter() - started}
        )
