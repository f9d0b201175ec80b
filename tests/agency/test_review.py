"""Decisions, notes, assignments and bulk decisions: stored by pair with who and when,
each agency for itself, and only for pairs in the agency's regions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agency import selectors, services
from agency.models import Decision
from matching.models import Match, MatchLabel
from tests.exchanges.factories import MatchFactory
from tests.factories import (
    AgencyFactory,
    AgencyMembershipFactory,
    ListingFactory,
    RegionFactory,
    SiteFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _decide(agency, user, match, decision, **kwargs):
    return services.decision_record(agency=agency, user=user, offer=match.offer,
                                    want=match.want, decision=decision, **kwargs)


def test_every_decision_is_stored_with_who_and_when(agency, reviewer, colleague, match):
    first = _decide(agency, reviewer.user, match, "hold", text="Ask about moisture")
    second = _decide(agency, colleague, match, "approve")
    history = selectors.pair_review(agency=agency, offer=match.offer, want=match.want)
    assert [d.pk for d in history.decisions] == [second.pk, first.pk]
    assert history.decisions[1].decided_by == reviewer.user
    assert history.decisions[1].text == "Ask about moisture"
    assert history.decisions[0].decided_by == colleague
    assert first.decided_at <= second.decided_at
    assert history.status == "approved"
    # The match as it stood is kept with the decision.
    assert second.score == pytest.approx(match.score)
    assert second.components == match.components


def test_reject_needs_a_reason_from_the_list(agency, reviewer, match):
    with pytest.raises(ValidationError) as missing:
        _decide(agency, reviewer.user, match, "reject")
    assert "reason" in missing.value.message_dict
    with pytest.raises(ValidationError) as unknown:
        _decide(agency, reviewer.user, match, "reject", reason="too-ugly")
    assert "reason" in unknown.value.message_dict
    made = _decide(agency, reviewer.user, match, "reject", reason="quality",
                   text="LOI above 5 %")
    assert (made.reason, made.text) == ("quality", "LOI above 5 %")


def test_a_decision_survives_a_rematch_that_rewrites_the_match_row(agency, reviewer, match):
    _decide(agency, reviewer.user, match, "approve")
    offer, want, old_id = match.offer, match.want, match.pk
    Match.objects.filter(pk=old_id).delete()  # the rematch drops the row ...
    again = MatchFactory(offer=offer, want=want, score=0.7)  # ... and writes it anew
    assert again.pk != old_id
    row = selectors.match_get_for_agency(agency=agency, pk=again.pk)
    assert selectors.status_of(row) == "approved"
    assert selectors.match_get_for_agency(agency=agency, pk=old_id) is None


def test_approval_and_rejection_become_ranker_labels(agency, reviewer, match):
    _decide(agency, reviewer.user, match, "approve")
    label = MatchLabel.objects.get(offer=match.offer, want=match.want)
    assert label.positive and label.agency == agency
    _decide(agency, reviewer.user, match, "hold")  # says neither: the label stays
    assert MatchLabel.objects.get(offer=match.offer, want=match.want).positive
    _decide(agency, reviewer.user, match, "reject", reason="distance")
    label = MatchLabel.objects.get(offer=match.offer, want=match.want)
    assert not label.positive and label.source == "agency_reject"


def test_two_agencies_of_a_cross_region_match_decide_each_for_itself(owner, reviewer):
    turku = RegionFactory(name="Varsinais-Suomi", slug="varsinais-suomi", min_lat=59.7,
                          max_lat=60.8, min_lon=21.0, max_lon=23.5)
    south = AgencyMembershipFactory(agency=AgencyFactory(name="South West Agency",
                                                         regions=[turku]))
    site = SiteFactory(city="Turku", latitude=60.4518, longitude=22.2666)
    want = ListingFactory(kind="want", company=site.company, site=site,
                          title="Ash for road base")
    match = MatchFactory(offer=owner.listing, want=want)
    # Visible to both: Pori is in Satakunta, Turku in Varsinais-Suomi.
    assert selectors.match_get_for_agency(agency=reviewer.agency, pk=match.pk)
    assert selectors.match_get_for_agency(agency=south.agency, pk=match.pk)
    _decide(reviewer.agency, reviewer.user, match, "approve")
    _decide(south.agency, south.user, match, "reject", reason="quantity")
    north_row = selectors.match_get_for_agency(agency=reviewer.agency, pk=match.pk)
    south_row = selectors.match_get_for_agency(agency=south.agency, pk=match.pk)
    assert selectors.status_of(north_row) == "approved"
    assert selectors.status_of(south_row) == "rejected"
    # Staff of one agency cannot decide for the other.
    with pytest.raises(PermissionDenied):
        _decide(south.agency, reviewer.user, match, "hold")


def test_a_pair_outside_the_agencys_regions_is_refused(agency, reviewer):
    offer = ListingFactory(site=SiteFactory(latitude=66.5, longitude=25.7))
    want_site = SiteFactory(latitude=66.52, longitude=25.75)
    want = ListingFactory(kind="want", company=want_site.company, site=want_site)
    with pytest.raises(PermissionDenied):
        services.decision_record(agency=agency, user=reviewer.user, offer=offer, want=want,
                                 decision="approve")
    assert not Decision.objects.exists()


def test_notes_and_assignments_are_kept_per_pair(agency, reviewer, colleague, match):
    services.review_note_add(agency=agency, user=reviewer.user, offer=match.offer,
                             want=match.want, text="Called the plant: dry ash only.")
    services.review_assign(agency=agency, user=reviewer.user, offer=match.offer,
                           want=match.want, assigned_to=colleague)
    review = selectors.pair_review(agency=agency, offer=match.offer, want=match.want)
    assert review.notes[0].author == reviewer.user
    assert review.assignee == colleague
    assert review.assignments[0].assigned_by == reviewer.user
    outsider = UserFactory()
    with pytest.raises(ValidationError):
        services.review_assign(agency=agency, user=reviewer.user, offer=match.offer,
                               want=match.want, assigned_to=outsider)
    with pytest.raises(ValidationError):
        services.review_note_add(agency=agency, user=reviewer.user, offer=match.offer,
                                 want=match.want, text="   ")


def test_bulk_decisions_succeed_or_fail_item_by_item(agency, reviewer, match, partner):
    second_offer = ListingFactory(company=match.offer.company, site=match.offer.site,
                                  title="Bottom ash")
    other = MatchFactory(offer=second_offer, want=partner.listing)
    results = services.decision_bulk(agency=agency, user=reviewer.user, items=[
        {"match": match.pk, "offer": match.offer, "want": match.want, "decision": "approve"},
        {"match": other.pk, "offer": other.offer, "want": other.want, "decision": "reject"},
        {"match": 999999, "offer": None, "want": None, "decision": "hold"},
        {"match": other.pk, "offer": other.offer, "want": other.want, "decision": "reject",
         "reason": "duplicate"},
    ])
    assert [r.ok for r in results] == [True, False, False, True]
    assert "reason" in results[1].errors and "match" in results[2].errors
    assert Decision.objects.filter(agency=agency).count() == 2
