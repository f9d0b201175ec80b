"""Matching's demo step for ``manage.py load_demo`` (``symbiosis.demo``): the Satakunta
region with its firms, sites, listings and log-ins, then one full rematch."""

from __future__ import annotations

from typing import TextIO

from django.utils.translation import gettext as _

from accounts.models import Company, User
from matching.demo.imports import demo_import_preview
from matching.demo.services import FIRM_EMAIL, demo_region_load
from symbiosis.demo import DemoReport


def demo_step(*, stdout: TextIO | None = None) -> DemoReport:
    """Load (or refresh) the demo region and say what is there and how to log in."""
    summary = demo_region_load(stdout=stdout)
    firm = Company.objects.filter(name=summary.firm_name).order_by("pk").first()
    upload = demo_import_preview(company=firm, user=User.objects.filter(
        email=FIRM_EMAIL).first())
    counts = upload.job.preview.get("counts", {})
    lines = [
        _("  Companies: %(companies)d   Sites: %(sites)d")
        % {"companies": summary.companies, "sites": summary.sites},
        _("  Offers: %(offers)d   Wants: %(wants)d")
        % {"offers": summary.offers, "wants": summary.wants},
        _("  Matches: %(matches)d (matching took %(seconds).2f s)")
        % {"matches": summary.matches, "seconds": summary.match_seconds},
        _("  Rows created: %(created)d   updated: %(updated)d")
        % {"created": summary.created, "updated": summary.updated},
        _("  Listing import waiting for confirmation: %(file)s (%(new)d new, %(errors)d "
          "refused)") % {"file": upload.job.file_name, "new": counts.get("create", 0),
                         "errors": counts.get("error", 0)},
        "",
        _("Demo log-ins (the firm user works for %(firm)s):") % {"firm": summary.firm_name},
        *(f"  {login.role:<16} {login.email:<26} {login.password}" for login in summary.logins),
        "",
        _("Portal: %(url)s") % {"url": summary.portal_url},
    ]
    return DemoReport(
        app="matching",
        headline=_("Demo region loaded in %(seconds).1f s.") % {"seconds": summary.load_seconds},
        lines=tuple(lines),
        created=summary.created + int(upload.created),
        updated=summary.updated,
    )
