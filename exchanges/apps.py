from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangesConfig(AppConfig):
    name = "exchanges"
    verbose_name = _("Exchanges")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The owner's per-listing choice lives here; matching's pages read it through
        # this hook, since matching cannot import exchanges.
        from exchanges.visibility import listing_policies
        from matching import disclosure

        disclosure.register_listing_policy(listing_policies)
