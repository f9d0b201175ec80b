"""``manage.py load_demo``: the Satakunta demo region, ready to click through."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from matching.demo.data import DemoDataError
from matching.demo.services import demo_region_load


class Command(BaseCommand):
    # Developer-facing, like the help of Django's own commands: not translated.
    help = (
        "Create (or refresh) the Satakunta demo region: fictional firms at real industrial "
        "sites, their offers and wants, demo log-ins, and the matches between them. "
        "Safe to run again: it changes nothing that is already in place."
    )

    def handle(self, *args, **options) -> None:
        try:
            summary = demo_region_load(stdout=self.stdout)
        except DemoDataError as exc:
            raise CommandError(
                _("The demo data is not valid, nothing was loaded: %(error)s") % {"error": exc}
            ) from exc
        out = self.stdout
        out.write("")
        out.write(
            self.style.SUCCESS(
                _("Demo region loaded in %(seconds).1f s.") % {"seconds": summary.load_seconds}
            )
        )
        out.write(
            _("  Companies: %(companies)d   Sites: %(sites)d")
            % {"companies": summary.companies, "sites": summary.sites}
        )
        out.write(
            _("  Offers: %(offers)d   Wants: %(wants)d")
            % {"offers": summary.offers, "wants": summary.wants}
        )
        out.write(
            _("  Matches: %(matches)d (matching took %(seconds).2f s)")
            % {"matches": summary.matches, "seconds": summary.match_seconds}
        )
        out.write(
            _("  Rows created: %(created)d   updated: %(updated)d")
            % {"created": summary.created, "updated": summary.updated}
        )
        out.write("")
        out.write(
            _("Demo log-ins (the firm user works for %(firm)s):") % {"firm": summary.firm_name}
        )
        for login in summary.logins:
            out.write(f"  {login.role:<16} {login.email:<26} {login.password}")
        out.write("")
        out.write(_("Portal: %(url)s") % {"url": summary.portal_url})
