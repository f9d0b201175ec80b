"""The review queue and the pair page (portal) and the agency API: filters, sorts,
actions, bulk; staff of other regions and firms get 404; firms see "reviewed by the
agency" once an agency approved or introduced the pair."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from agency import selectors, services
from agency.models import Assignment, Decision, Introduction, ReviewNote
from agency.selectors import QueueFilters
from tests.exchanges.factories import MatchFactory
from tests.factories import CompanyFactory, ListingFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def steel(partner):
    """A second pair in Satakunta: steel scrap (metals, NACE 24) for the cement works,
    lower score, farther, larger estimated impact."""
    company = CompanyFactory(name="Rauta Oy", nace_code="24.10")
    site = SiteFactory(company=company, city="Harjavalta", latitude=61.31, longitude=22.14)
    offer = ListingFactory(company=company, site=site, title="Steel scrap",
                           category="ferrous-metals", ewc_code="120101", quantity=20000,
                           amount_per_year=20000.0)
    want = ListingFactory(kind="want", company=partner.company, site=partner.site,
                          title="Scrap for the kiln", category="ferrous-metals",
                          ewc_code="120101", quantity=8000, amount_per_year=8000.0)
    return MatchFactory(offer=offer, want=want, score=0.55, distance_km=48.0)


def _queue(agency, **filters):
    return [m.pk for m in selectors.review_queue_ordered(agency=agency,
                                                         filters=QueueFilters(**filters))]


def test_filters_narrow_the_queue(agency, reviewer, colleague, match, steel):
    assert _queue(agency) == [match.pk, steel.pk]  # best score first
    assert _queue(agency, category="ash") == [match.pk]
    assert _queue(agency, ewc_chapter="12") == [steel.pk]
    assert _queue(agency, sector="24") == [steel.pk]
    assert _queue(agency, sector="35") == [match.pk]
    assert _queue(agency, min_score=0.6) == [match.pk]
    assert _queue(agency, max_distance_km=45) == [match.pk]
    services.decision_record(agency=agency, user=reviewer.user, offer=steel.offer,
                             want=steel.want, decision="hold")
    services.review_assign(agency=agency, user=reviewer.user, offer=match.offer,
                           want=match.want, assigned_to=colleague)
    assert _queue(agency, status="held") == [steel.pk]
    assert _queue(agency, status="undecided") == [match.pk]
    assert _queue(agency, status="approved") == []
    assert _queue(agency, assignee=colleague.pk) == [match.pk]
    assert _queue(agency, assignee="none") == [steel.pk]


def test_sort_by_estimated_impact_uses_the_smaller_side_and_its_factor(agency, match, steel):
    # Fly ash: the want's 3000 t/yr is the smaller side, × 942 kg CO2e/t (ICE v2.0).
    assert selectors.estimated_impact_t(match.offer, match.want) == pytest.approx(2826.0)
    steel_t = selectors.estimated_impact_t(steel.offer, steel.want)
    basis = selectors.impact_basis(steel.offer, steel.want)
    assert basis.amount == 8000.0
    assert steel_t == pytest.approx(8000 * basis.factor.value / 1000)
    assert steel_t > 2826.0
    assert _queue(agency, sort="impact") == [steel.pk, match.pk]
    # A pair without a yearly amount on either side has no estimate and sorts last.
    unknown = MatchFactory(offer=ListingFactory(site=match.offer.site,
                                                company=match.offer.company,
                                                amount_per_year=None, title="Unknown"),
                           want=ListingFactory(kind="want", site=match.want.site,
                                               company=match.want.company,
                                               amount_per_year=None), score=0.99)
    assert selectors.estimated_impact_t(unknown.offer, unknown.want) is None
    assert _queue(agency, sort="impact")[-1] == unknown.pk


def test_queue_page_filters_and_shows_status(client, reviewer, match, steel):
    client.force_login(reviewer.user)
    page = client.get(reverse("agency:matches"), {"category": "ferrous-metals"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "Steel scrap" in body and "Rauta Oy" in body
    assert match.offer.title not in body
    body = client.get(reverse("agency:matches"), {"sort": "impact"}).content.decode()
    assert body.index("Steel scrap") < body.index(match.offer.title)
    # A malformed filter is refused on its own; the valid ones still apply.
    body = client.get(reverse("agency:matches"), {"ewc_chapter": "1x",
                                                  "category": "ash"}).content.decode()
    assert match.offer.title in body and "Steel scrap" not in body


def test_pair_page_actions_store_decisions_notes_assignments(client, reviewer, colleague,
                                                            agency, match, owner, partner):
    client.force_login(reviewer.user)
    url = reverse("agency:pair", args=[match.offer_id, match.want_id])
    body = client.get(url).content.decode()
    assert owner.company.name in body and partner.company.name in body
    assert "Score breakdown" in body and "<svg" in body and "km" in body

    def act(action, **data):
        return client.post(reverse("agency:pair_action",
                                   args=[match.offer_id, match.want_id, action]), data)

    assert act("decision", decision="approve").status_code == 302
    act("decision", decision="reject", reason="hazard", note="Needs a permit")
    act("note", text="Spoke to both plant managers.")
    act("assign", assigned_to=str(colleague.pk))
    decisions = list(Decision.objects.order_by("decided_at", "id"))
    assert [d.decision for d in decisions] == ["approve", "reject"]
    assert decisions[1].reason == "hazard" and decisions[1].decided_by == reviewer.user
    assert ReviewNote.objects.get().author == reviewer.user
    assert Assignment.objects.get().assigned_to == colleague
    body = client.get(url).content.decode()
    assert "Needs a permit" in body and "Spoke to both plant managers." in body
    assert "Cai Colleague" in body
    act("introduce", message="Please meet.")
    assert Introduction.objects.get().contact.introduced_by == agency


def test_bulk_action_from_the_queue(client, reviewer, match, steel):
    client.force_login(reviewer.user)
    pairs = [f"{m.offer_id}-{m.want_id}" for m in (match, steel)]
    response = client.post(reverse("agency:bulk"), {"pair": pairs, "action": "reject",
                                                    "reason": "distance"})
    assert response.status_code == 302
    assert Decision.objects.filter(decision="reject", reason="distance").count() == 2
    client.post(reverse("agency:bulk"), {"pair": pairs[:1], "action": "approve"})
    assert selectors.status_of(selectors.match_get_for_agency(
        agency=reviewer.agency, pk=match.pk)) == "approved"


def test_staff_of_another_region_and_firms_get_404(client, lapland, owner, match):
    pair_url = reverse("agency:pair", args=[match.offer_id, match.want_id])
    for user in (lapland.user, owner.user):
        client.force_login(user)
        assert client.get(pair_url).status_code == 404
        assert client.post(reverse("agency:pair_action", args=[
            match.offer_id, match.want_id, "decision"]), {"decision": "approve"}
        ).status_code == 404
        assert client.get(reverse("agency:match", args=[match.pk])).status_code == 404
    client.force_login(lapland.user)
    assert match.offer.title not in client.get(reverse("agency:matches")).content.decode()
    api = APIClient()
    for user in (lapland.user, owner.user):
        api.force_authenticate(user)
        assert api.get(f"/api/v1/agency/matches/{match.pk}/").status_code == 404
        assert api.post(f"/api/v1/agency/matches/{match.pk}/decision/",
                        {"decision": "approve"}, format="json").status_code == 404
    api.force_authenticate(lapland.user)
    assert api.get("/api/v1/agency/matches/").json()["count"] == 0
    assert not Decision.objects.exists()


def test_firms_see_reviewed_by_the_agency_on_the_match(client, agency, reviewer, match,
                                                       owner, partner):
    url = reverse("exchanges:match_detail", args=[match.pk])
    client.force_login(owner.user)
    assert "Reviewed by the agency" not in client.get(url).content.decode()
    services.decision_record(agency=agency, user=reviewer.user, offer=match.offer,
                             want=match.want, decision="approve")
    for persona in (owner, partner):
        client.force_login(persona.user)
        assert f"Reviewed by the agency ({agency.name})" in client.get(url).content.decode()
    body = client.get(reverse("matching:listing_detail", args=[partner.listing.pk]))
    assert "Reviewed by the agency" in body.content.decode()
    api = APIClient()
    api.force_authenticate(owner.user)
    assert api.get(f"/api/v1/matches/{match.pk}/").json()["reviewed_by"] == [agency.name]
    # A later rejection withdraws the badge (the current decision counts).
    services.decision_record(agency=agency, user=reviewer.user, offer=match.offer,
                             want=match.want, decision="reject", reason="quality")
    assert api.get(f"/api/v1/matches/{match.pk}/").json()["reviewed_by"] == []


def test_api_queue_filters_and_actions(reviewer, colleague, agency, match, steel):
    api = APIClient()
    api.force_authenticate(reviewer.user)
    body = api.get("/api/v1/agency/matches/", {"sort": "impact"}).json()
    assert [r["id"] for r in body["results"]] == [steel.pk, match.pk]
    first = body["results"][0]
    assert first["offer"]["company"] == "Rauta Oy" and first["status"] == "undecided"
    assert first["estimated_impact_t"] > 0
    assert api.get("/api/v1/agency/matches/", {"category": "ash"}).json()["count"] == 1
    bad = api.get("/api/v1/agency/matches/", {"colour": "red"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "unknown_parameter"
    assert api.get("/api/v1/agency/matches/", {"status": "maybe"}).status_code == 400

    made = api.post(f"/api/v1/agency/matches/{match.pk}/decision/",
                    {"decision": "reject", "reason": "quality", "note": "Too wet"},
                    format="json")
    assert made.status_code == 201
    assert made.json()["decided_by"]["id"] == reviewer.user.pk
    refused = api.post(f"/api/v1/agency/matches/{match.pk}/decision/",
                       {"decision": "reject"}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()["error"]["fields"]
    assert api.post(f"/api/v1/agency/matches/{match.pk}/note/", {"text": "Call them"},
                    format="json").status_code == 201
    assigned = api.post(f"/api/v1/agency/matches/{match.pk}/assign/",
                        {"assigned_to": colleague.pk}, format="json")
    assert assigned.status_code == 201
    row = api.get(f"/api/v1/agency/matches/{match.pk}/").json()
    assert row["status"] == "rejected" and row["current_decision"]["note"] == "Too wet"
    assert row["assignee"]["id"] == colleague.pk
    intro = api.post(f"/api/v1/agency/matches/{steel.pk}/introduce/", {"message": "Meet"},
                     format="json")
    assert intro.status_code == 201 and intro.json()["agency"] == agency.name
    assert api.get("/api/v1/agency/matches/", {"status": "introduced"}).json()["count"] == 1


def test_api_gives_staff_score_and_distance_at_the_pages_precision_only(reviewer, partner,
                                                                       owner):
    """Exact values stay internal (DESIGN.md "Disclosure"): the API rounded as the queue
    page does, not the metre-exact distance the permission matrix found in it."""
    match = MatchFactory(offer=owner.listing, want=partner.listing,
                         distance_km=41.937698921287065, score=0.8237,
                         components={"material": 0.912345, "distance": 0.601234})
    api = APIClient()
    api.force_authenticate(reviewer.user)
    for row in (api.get(f"/api/v1/agency/matches/{match.pk}/").json(),
                api.get("/api/v1/agency/matches/").json()["results"][0]):
        assert row["distance_km"] == 42.0 and row["score"] == 0.82
        assert row["components"] == {"material": 0.91, "distance": 0.6}


def test_api_bulk_gives_one_result_per_item(reviewer, match, steel):
    api = APIClient()
    api.force_authenticate(reviewer.user)
    response = api.post("/api/v1/agency/decisions/bulk/", {"items": [
        {"match": match.pk, "decision": "approve"},
        {"match": steel.pk, "decision": "reject"},
        {"match": 987654, "decision": "hold"},
        {"match": steel.pk, "decision": "hold", "note": "Waiting for analysis"},
    ]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["stored"], body["failed"]) == (2, 2)
    assert [r["ok"] for r in body["results"]] == [True, False, False, True]
    assert "reason" in body["results"][1]["errors"]
    assert body["results"][3]["decision"]["note"] == "Waiting for analysis"


def test_the_pair_page_shows_no_bar_for_a_switched_off_score_component(client, reviewer, match):
    match.components = {"material": 0.8, "text": 0.5, "semantic": 0.0, "distance": 0.6}
    match.save()
    client.force_login(reviewer.user)

    page = client.get(reverse("agency:pair", args=[match.offer_id, match.want_id]))

    names = [name for name, _value in page.context["components"]]
    assert "semantic" not in names
    assert {"material", "text", "distance"} <= set(names)
