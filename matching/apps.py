from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = _("Matching")

    def ready(self) -> None:
        # Subscriptions to what accounts announces (accounts never imports matching).
        from accounts import events
        from matching import subscribers

        events.site_moved.connect(
            subscribers.rematch_moved_site, dispatch_uid="matching.rematch_moved_site"
        )

        # Matching's own import kind; higher apps register theirs in their ready().
        from matching.imports import register
        from matching.imports.listings import ListingsImporter

        register(ListingsImporter())
