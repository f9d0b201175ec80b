"""The review queue's demo part: decisions of every kind, notes, an assignment and one
introduction in the demo region; a second run writes nothing."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings

from agency.demo.review import FIRM_EMAIL, REVIEWER_EMAIL, review_part
from agency.models import Assignment, Decision, Introduction, ReviewNote
from exchanges import demo as exchanges_demo
from exchanges.models import Contact
from matching.demo.services import demo_region_load

MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """Matching's and exchanges' demo, then the review part twice; rolled back after."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=MD5):
        with transaction.atomic():
            demo_region_load()
            exchanges_demo.load()
            first = review_part()
            counts = (Decision.objects.count(), ReviewNote.objects.count(),
                      Assignment.objects.count(), Introduction.objects.count())
            second = review_part()
            yield first, second, counts
            transaction.set_rollback(True)


def test_demo_reviewer_has_decisions_notes_an_assignment_and_an_introduction(loaded, db):
    first, _second, _counts = loaded
    assert "Review queue:" in first[0]
    verdicts = sorted(Decision.objects.filter(decided_by__email=REVIEWER_EMAIL)
                      .values_list("decision", flat=True))
    assert verdicts == ["approve", "approve", "hold", "reject"]
    assert ReviewNote.objects.count() == 2 and Assignment.objects.count() == 1
    introduction = Introduction.objects.get()
    contact = introduction.contact
    assert contact.introduced_by == introduction.agency
    assert contact.state == Contact.State.REQUESTED
    firms = {contact.requester_id, contact.recipient_id}
    assert any(m.user.email == FIRM_EMAIL for c in (contact.requester, contact.recipient)
               for m in c.memberships.select_related("user")), firms


def test_a_second_run_writes_nothing(loaded, db):
    _first, second, counts = loaded
    assert (Decision.objects.count(), ReviewNote.objects.count(),
            Assignment.objects.count(), Introduction.objects.count()) == counts
    assert "reviewed pairs already" in second[0]
