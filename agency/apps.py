"""The regional agency's workspace: review queue, decisions, introductions, impact."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgencyConfig(AppConfig):
    name = "agency"
    verbose_name = _("Agency")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Firms see "reviewed by the agency" on a match; matching reads it through this
        # hook, since matching cannot import agency.
        from agency.selectors import on_behalf_entries, reviewed_pairs
        from matching import authorship, reviews

        reviews.register_review_source(reviewed_pairs)
        # Firms see on their listing page which agency entered or edited it for them.
        authorship.register_authorship_source(on_behalf_entries)

        # The register import is a kind of matching's one import machinery.
        from agency.facilities.importer import FacilitiesImporter
        from matching.imports import register

        register(FacilitiesImporter())
