"""A match card adds up: every number on it is a stored figure after the disclosure
rounding, the range note names whose range covers the distance, and only the score
components that are on get a bar."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from matching import services
from matching.disclosure import distance_band, explanation_text, rounded, snapped_distance_km
from matching.models import Match
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def _matched(owner, partner, *, offered: float = 1425.3) -> Match:
    # 1,425.3 t of a 3,000 t need is 0.4751: floored to 47 % in the engine's line, but
    # the stored component rounds to 0.5 for a counterpart, and so must the card's text.
    owner.listing.quantity = offered
    owner.listing.amount_per_year = offered
    owner.listing.save()
    services.listing_rematch(listing_id=owner.listing.id)
    return Match.objects.get(offer=owner.listing, want=partner.listing)


def _card(page: str, match: Match) -> str:
    start = page.index(f'id="match-{match.pk}"')
    return page[start:page.index("</article>", start)]


def test_every_number_on_the_card_is_a_stored_figure_after_rounding(client, owner, partner):
    match = _matched(owner, partner)
    client.force_login(partner.user)

    card = _card(client.get(reverse("matching:listing_detail",
                                    args=[partner.listing.pk])).content.decode(), match)

    def percent(value: float) -> int:
        return round(rounded(value) * 100)

    shown = {int(p) for p in re.findall(r"(\d+)%", card)}
    # Every stored component but the one switched off by default (semantic).
    on = set(match.components) - {"semantic"}
    expected = {percent(match.score)} | {percent(match.components[name]) for name in on}
    assert shown == expected
    assert f"covers about {percent(match.components['quantity'])}% of the need" in card
    assert "covers about 50% of the need" in card
    low, high = distance_band(snapped_distance_km(owner.listing.site, partner.listing.site))
    assert f"{low}–{high} km" in card
    # No other distance: the exact kilometres stay inside the app.
    assert re.findall(r"(\d+(?:\.\d)?) km", card) == [str(high)] * card.count(f"–{high} km")


def test_no_bar_for_a_score_component_that_is_switched_off(settings, client, owner, partner):
    settings.MATCH_COMPONENTS = "text,pathway"
    match = _matched(owner, partner)
    client.force_login(owner.user)

    page = client.get(reverse("matching:listing_detail", args=[owner.listing.pk]))

    labels = [c.label for c in page.context["rows"][0].components]
    assert "Semantic" not in labels and "Waste code" not in labels
    assert "Description match" in labels
    assert "semantic" not in client_for(owner.user).get(
        reverse("api:match-detail", args=[match.pk])).json()["components"]


def test_no_semantic_bar_with_the_default_components(client, owner, partner):
    _matched(owner, partner)
    client.force_login(owner.user)

    page = client.get(reverse("matching:listing_detail", args=[owner.listing.pk]))

    labels = [c.label for c in page.context["rows"][0].components]
    assert "Semantic" not in labels
    assert "Waste code" in labels


def test_the_taker_reads_that_the_offerers_range_covers_the_distance(client, owner, partner):
    partner.listing.max_distance_km = 20
    partner.listing.save()
    match = _matched(owner, partner)
    assert 20 < match.distance_km <= 50

    client.force_login(partner.user)
    taker = client.get(reverse("matching:listing_detail", args=[partner.listing.pk]))
    offerer = client_for(owner.user).get(reverse("api:match-detail", args=[match.pk])).json()

    assert "(within the offerer's 50 km range; beyond your 20 km)" in html.unescape(
        taker.content.decode())
    assert "(within your 50 km range; beyond the taker's 20 km)" in offerer["explanation"]


def test_a_counterparts_coverage_is_the_rounded_stored_component():
    line = "same material, 12 km, covers 47% of the need"

    assert explanation_text(line, (10, 15), quantity=0.4751) == (
        "same material, 10–15 km, covers about 50% of the need")
    assert explanation_text("same material, 12 km, covers under 1% of the need", (10, 15),
                            quantity=0.004) == (
        "same material, 10–15 km, covers almost none of the need")
