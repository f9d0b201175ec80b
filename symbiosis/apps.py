from django.apps import AppConfig
from django.core import signals


class SymbiosisConfig(AppConfig):
    """The project itself: its commands (load_demo) and the in-process task runner."""

    name = "symbiosis"
    verbose_name = "Symbiosis"

    def ready(self) -> None:
        from symbiosis import background, freshness

        # Every database connection reports its writes, so cached answers end with them.
        freshness.install()

        # Work queued during a request is held until its response has been sent.
        signals.request_started.connect(
            background.request_started, dispatch_uid="symbiosis.background.request_started"
        )
        signals.request_finished.connect(
            background.request_finished, dispatch_uid="symbiosis.background.request_finished"
        )
