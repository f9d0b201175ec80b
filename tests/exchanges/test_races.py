"""Races on PostgreSQL, each side on its own connection (threads)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from exchanges import services
from exchanges.models import Agreement, Contact
from tests.exchanges.factories import terms

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 4


def _together(*calls):
    """Run the calls at the same moment on separate connections; their errors, in order."""
    barrier = threading.Barrier(len(calls))
    errors: list[Exception | None] = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            call()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return errors


def _proposed(owner, partner, match):
    Contact.objects.all().delete()
    contact = services.contact_request(user=partner.user, company=partner.company,
                                       match_id=match.pk, message="Race")
    services.contact_accept(contact=contact, user=owner.user)
    agreement = services.agreement_create(contact=contact, user=partner.user, terms=terms())
    services.agreement_propose(agreement=agreement, user=partner.user)
    return agreement


def test_two_signatures_on_one_version_at_once_make_it_signed(owner, partner, match):
    for _ in range(ROUNDS):
        agreement = _proposed(owner, partner, match)
        errors = _together(
            lambda a=agreement: services.agreement_sign(agreement=a, user=owner.user, version=1),
            lambda a=agreement: services.agreement_sign(agreement=a, user=partner.user,
                                                        version=1),
        )
        assert errors == [None, None]
        agreement.refresh_from_db()
        assert agreement.state == "signed"


def test_signatures_on_different_versions_cannot_both_hold(owner, partner, match):
    """The owner signs v1 while the partner edits to v2 and signs it at once: whatever the
    order, the agreement is never signed on two versions, and a signature on v1 never
    counts once v2 exists."""
    for _ in range(ROUNDS):
        agreement = _proposed(owner, partner, match)

        def edit_and_sign(a=agreement):
            _, version = services.agreement_update(agreement=a, user=partner.user,
                                                   terms={"quantity": "2500"})
            services.agreement_sign(agreement=a, user=partner.user, version=version.number)

        errors = _together(
            lambda a=agreement: services.agreement_sign(agreement=a, user=owner.user, version=1),
            edit_and_sign,
        )
        assert errors[1] is None
        agreement = Agreement.objects.get(pk=agreement.pk)
        latest = agreement.versions.order_by("-number").first()
        assert latest.number == 2
        assert agreement.state == "proposed"
        assert list(latest.signatures.values_list("company", flat=True)) == [partner.company.pk]
        if errors[0] is not None:  # the edit came first: v1 was no longer current
            assert isinstance(errors[0], ValidationError)
            assert not agreement.versions.get(number=1).signatures.exists()


def test_two_requests_for_one_pair_at_once_make_one_contact(owner, partner, match):
    for _ in range(ROUNDS):
        Contact.objects.all().delete()
        errors = _together(
            lambda: services.contact_request(user=partner.user, company=partner.company,
                                             match_id=match.pk, message="A"),
            lambda: services.contact_request(user=owner.user, company=owner.company,
                                             match_id=match.pk, message="B"),
        )
        assert sum(e is None for e in errors) == 1
        assert all(isinstance(e, ValidationError) for e in errors if e is not None)
        assert Contact.objects.count() == 1


def test_expiry_run_twice_at_once_expires_each_request_once(owner, partner, match):
    from datetime import timedelta

    from django.utils import timezone

    contact = services.contact_request(user=partner.user, company=partner.company,
                                       match_id=match.pk, message="Old")
    Contact.objects.filter(pk=contact.pk).update(expires_at=timezone.now() - timedelta(1))
    counts = []
    errors = _together(lambda: counts.append(services.contact_expire_due()),
                       lambda: counts.append(services.contact_expire_due()))
    assert errors == [None, None]
    assert sorted(counts) == [0, 1]
    assert contact.audit.filter(action="expire").count() == 1
