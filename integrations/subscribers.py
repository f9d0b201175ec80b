"""Integrations' answers to what matching and exchanges announce (connected in
IntegrationsConfig.ready): webhook deliveries to the companies concerned."""

from __future__ import annotations

from collections import defaultdict

from integrations import services
from integrations.models import WebhookEndpoint
from matching.models import Listing, Match


def send_match_events(*, created: list[int], updated: list[int], **kwargs) -> None:
    """``match.created`` / ``match.updated`` to both companies of each match."""
    if not WebhookEndpoint.objects.filter(disabled_at__isnull=True).exists():
        return
    matches = Match.objects.filter(id__in=[*created, *updated]).select_related("offer", "want")
    new = set(created)
    for match in matches:
        event = "match.created" if match.pk in new else "match.updated"
        for own, other in ((match.offer, match.want), (match.want, match.offer)):
            services.webhook_event_send(company_id=own.company_id, event=event, data={
                "match_id": match.pk, "listing_id": own.pk,
                "listing_external_id": own.external_id or None,
                "counterpart_listing_id": other.pk, "score": match.score,
            })


def send_matches_changed(*, listing_ids: list[int], **kwargs) -> None:
    """One ``matches.changed`` per company, naming its listings whose matches changed."""
    companies = set(WebhookEndpoint.objects.filter(disabled_at__isnull=True)
                    .values_list("company_id", flat=True))
    if not companies:
        return
    per_company: dict[int, list[dict]] = defaultdict(list)
    rows = (Listing.objects.filter(id__in=listing_ids, company_id__in=companies)
            .order_by("id").values_list("company_id", "id", "external_id"))
    for company_id, pk, external_id in rows:
        per_company[company_id].append({"id": pk, "external_id": external_id or None})
    for company_id, listings in per_company.items():
        services.webhook_event_send(company_id=company_id, event="matches.changed",
                                    data={"listings": listings})


def send_company_event(*, event: str, company_id: int, data: dict, **kwargs) -> None:
    """An event exchanges (or an app above it) announced to one firm, as announced: the
    data already follows the disclosure rules. Unknown names are not sent."""
    if event in WebhookEndpoint.Event.values:
        services.webhook_event_send(company_id=company_id, event=event, data=data)
