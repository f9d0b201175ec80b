from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from exchanges import events as exchange_events
        from integrations import subscribers
        from matching import events

        events.matches_saved.connect(subscribers.send_match_events,
                                     dispatch_uid="integrations.match_events")
        events.matches_changed.connect(subscribers.send_matches_changed,
                                       dispatch_uid="integrations.matches_changed")
        exchange_events.company_event.connect(subscribers.send_company_event,
                                              dispatch_uid="integrations.company_event")
