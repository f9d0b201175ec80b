from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgencyConfig(AppConfig):
    name = "agency"
    verbose_name = _("Agency")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The register import is a kind of matching's one import machinery.
        from agency.facilities.importer import FacilitiesImporter
        from matching.imports import register

        register(FacilitiesImporter())
