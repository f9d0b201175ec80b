"""``manage.py load_demo``: the demo region, ready to click through (every app's part)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from symbiosis.demo import DemoDataError, demo_load


class Command(BaseCommand):
    # Developer-facing, like the help of Django's own commands: not translated.
    help = (
        "Create (or refresh) the Satakunta demo region: fictional firms at real industrial "
        "sites, their offers and wants, demo log-ins, and the matches between them (each "
        "app's demo step, lowest app first). Safe to run again: it changes nothing that is "
        "already in place."
    )

    def handle(self, *args, **options) -> None:
        try:
            reports = demo_load(stdout=self.stdout)
        except DemoDataError as exc:
            raise CommandError(
                _("The demo data is not valid, nothing was loaded: %(error)s") % {"error": exc}
            ) from exc
        for report in reports:
            self.stdout.write("")
            self.stdout.write(self.style.SUCCESS(report.headline))
            for line in report.lines:
                self.stdout.write(line)
