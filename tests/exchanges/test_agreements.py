"""Agreement services: versions, proposal, signatures, lifecycle, deliveries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Membership
from exchanges import selectors, services
from exchanges.models import Agreement, AuditEntry, Signature
from tests.exchanges.factories import terms
from tests.factories import MembershipFactory, UserFactory


def test_create_needs_an_accepted_contact(contact, partner):
    with pytest.raises(ValidationError, match="accepted"):
        services.agreement_create(contact=contact, user=partner.user, terms=terms())


def test_create_makes_version_one_and_moves_the_stage(agreement, partner):
    assert agreement.state == "draft" and agreement.drafted_by == partner.company
    assert list(agreement.versions.values_list("number", flat=True)) == [1]
    agreement.contact.refresh_from_db()
    assert agreement.contact.stage == "agreement"


def test_terms_are_validated(accepted, partner):
    with pytest.raises(ValidationError) as exc:
        services.agreement_create(contact=accepted, user=partner.user,
                                  terms=terms(quantity="0", currency="euro"))
    assert "quantity" in exc.value.message_dict or "currency" in exc.value.message_dict
    with pytest.raises(ValidationError, match="power"):
        services.agreement_create(contact=accepted, user=partner.user,
                                  terms=terms(unit="MW", frequency="yearly"))
    with pytest.raises(ValidationError):
        services.agreement_create(
            contact=accepted, user=partner.user,
            terms=terms(end_date=dt.date.today() - dt.timedelta(days=400)))
    assert not Agreement.objects.exists()


def test_an_edit_that_changes_nothing_makes_no_version(agreement, owner):
    _, version = services.agreement_update(agreement=agreement, user=owner.user,
                                           terms={"quantity": "3000.000", "currency": "eur"})
    assert version is None
    assert agreement.versions.count() == 1


def test_an_edit_makes_a_version_and_clears_signatures(agreement, owner, partner):
    services.agreement_propose(agreement=agreement, user=partner.user)
    services.agreement_sign(agreement=agreement, user=partner.user, version=1)
    _, version = services.agreement_update(agreement=agreement, user=owner.user,
                                           terms={"price_per_unit": "-10.00"})
    assert version.number == 2 and not version.signatures.exists()
    with pytest.raises(ValidationError, match="not the current version"):
        services.agreement_sign(agreement=agreement, user=owner.user, version=1)
    changes = selectors.version_diff(before=agreement.versions.get(number=1), after=version)
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("price_per_unit", "-12.50", "-10.00")]
    agreement.refresh_from_db()
    assert agreement.state == "proposed"


def test_only_the_drafter_proposes(agreement, owner):
    with pytest.raises(PermissionDenied):
        services.agreement_propose(agreement=agreement, user=owner.user)


def test_one_signature_keeps_it_proposed_both_sign_it(agreement, owner, partner):
    services.agreement_propose(agreement=agreement, user=partner.user)
    services.agreement_sign(agreement=agreement, user=partner.user, version=1)
    agreement.refresh_from_db()
    assert agreement.state == "proposed"
    with pytest.raises(ValidationError, match="already signed"):
        services.agreement_sign(agreement=agreement, user=partner.user, version=1)
    services.agreement_sign(agreement=agreement, user=owner.user, version=1)
    agreement.refresh_from_db()
    assert agreement.state == "signed" and agreement.signed_at is not None


def test_a_draft_cannot_be_signed(agreement, partner):
    with pytest.raises(ValidationError, match="proposed"):
        services.agreement_sign(agreement=agreement, user=partner.user, version=1)


def test_only_owners_and_signatories_sign(agreement, owner, partner):
    services.agreement_propose(agreement=agreement, user=partner.user)
    clerk = UserFactory()
    membership = MembershipFactory(user=clerk, company=owner.company,
                                   role=Membership.Role.MEMBER)
    with pytest.raises(PermissionDenied, match="signatory"):
        services.agreement_sign(agreement=agreement, user=clerk, version=1)
    membership.is_signatory = True
    membership.save()
    services.agreement_sign(agreement=agreement, user=clerk, version=1)
    assert Signature.objects.filter(company=owner.company, user=clerk).exists()


def test_signed_agreements_are_not_edited_or_withdrawn(signed, owner):
    with pytest.raises(ValidationError, match="no longer be edited"):
        services.agreement_update(agreement=signed, user=owner.user, terms={"notes": "x"})
    with pytest.raises(ValidationError, match="terminate"):
        services.agreement_withdraw(agreement=signed, user=owner.user, reason="changed mind")


def test_activation_needs_both_before_the_start_date(signed, owner, partner):
    services.agreement_activate(agreement=signed, user=partner.user)
    signed.refresh_from_db()
    assert signed.state == "signed" and signed.activation_confirmed_by == partner.company
    services.agreement_activate(agreement=signed, user=partner.user)  # twice: still waiting
    signed.refresh_from_db()
    assert signed.state == "signed"
    services.agreement_activate(agreement=signed, user=owner.user)
    signed.refresh_from_db()
    assert signed.state == "active"
    signed.contact.refresh_from_db()
    assert signed.contact.stage == "operating"


def test_periodic_run_activates_on_the_start_date_and_completes_after_the_end(signed):
    version = signed.versions.get()
    assert services.agreement_run_due(today=version.start_date - dt.timedelta(1)) == (0, 0)
    assert services.agreement_run_due(today=version.start_date) == (1, 0)
    assert services.agreement_run_due(today=version.start_date) == (0, 0)
    assert services.agreement_run_due(today=version.end_date + dt.timedelta(1)) == (0, 1)
    signed.refresh_from_db()
    signed.contact.refresh_from_db()
    assert signed.state == "completed" and signed.contact.stage == "completed"


def test_complete_and_terminate(active, owner, partner):
    with pytest.raises(ValidationError, match="reason"):
        services.agreement_terminate(agreement=active, user=owner.user, reason="")
    services.agreement_complete(agreement=active, user=owner.user)
    active.refresh_from_db()
    assert active.state == "completed"
    with pytest.raises(ValidationError):
        services.agreement_terminate(agreement=active, user=owner.user, reason="late")


def test_terminate_stops_the_contact_stage(active, owner):
    services.agreement_terminate(agreement=active, user=owner.user, reason="Plant closed")
    active.contact.refresh_from_db()
    assert (active.contact.stage, active.contact.stop_reason) == ("stopped", "terminated")


def test_withdraw_returns_to_feasibility_and_a_new_draft_is_allowed(agreement, owner):
    services.agreement_withdraw(agreement=agreement, user=owner.user, reason="Price")
    agreement.refresh_from_db()
    assert agreement.state == "withdrawn" and agreement.end_reason == "Price"
    again = services.agreement_create(contact=agreement.contact, user=owner.user,
                                      terms=terms())
    assert again.pk != agreement.pk


def test_a_second_open_agreement_is_refused(agreement, owner):
    with pytest.raises(ValidationError, match="open agreement"):
        services.agreement_create(contact=agreement.contact, user=owner.user, terms=terms())


def test_outsiders_change_nothing(agreement, outsider):
    for call in (
        lambda: services.agreement_update(agreement=agreement, user=outsider.user,
                                          terms={"notes": "mine"}),
        lambda: services.agreement_propose(agreement=agreement, user=outsider.user),
        lambda: services.agreement_withdraw(agreement=agreement, user=outsider.user,
                                            reason="x"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert agreement.versions.count() == 1


def test_lifecycle_is_audited(active):
    rows = list(AuditEntry.objects.filter(subject="agreement", subject_id=active.pk)
                .values_list("action", "from_state", "to_state"))
    assert rows == [("create", "", "draft"), ("propose", "draft", "proposed"),
                    ("sign", "proposed", "proposed"), ("sign", "proposed", "signed"),
                    ("confirm-start", "signed", "signed"), ("activate", "signed", "active")]


# --- deliveries ---------------------------------------------------------------------------


def test_deliveries_need_an_active_agreement(signed, owner):
    with pytest.raises(ValidationError, match="active"):
        services.delivery_record(agreement=signed, user=owner.user, date=dt.date.today(),
                                 quantity="10", unit="t")


def test_totals_count_confirmed_deliveries_in_canonical_units(active, owner, partner):
    first = services.delivery_record(agreement=active, user=owner.user, date=dt.date.today(),
                                     quantity="250", unit="t")
    second = services.delivery_record(agreement=active, user=owner.user,
                                      date=dt.date.today(), quantity="50000", unit="kg")
    third = services.delivery_record(agreement=active, user=owner.user, date=dt.date.today(),
                                     quantity="5", unit="t")
    services.delivery_confirm(delivery=first, user=partner.user)
    services.delivery_confirm(delivery=second, user=partner.user)
    services.delivery_dispute(delivery=third, user=partner.user, reason="Wet ash")
    totals = selectors.delivery_totals(agreement=active)
    assert totals.unit == "t"
    assert totals.confirmed == pytest.approx(300.0)
    assert totals.disputed == pytest.approx(5.0)
    assert totals.agreed == pytest.approx(3000.0, rel=0.01)
    assert totals.progress == pytest.approx(0.1, rel=0.01)


def test_the_recorder_cannot_confirm_and_units_must_fit(active, owner, partner):
    delivery = services.delivery_record(agreement=active, user=owner.user,
                                        date=dt.date.today(), quantity="10", unit="t")
    with pytest.raises(PermissionDenied):
        services.delivery_confirm(delivery=delivery, user=owner.user)
    with pytest.raises(ValidationError, match="same kind"):
        services.delivery_record(agreement=active, user=owner.user, date=dt.date.today(),
                                 quantity="10", unit="MWh")
    with pytest.raises(ValidationError, match="reason|wrong"):
        services.delivery_dispute(delivery=delivery, user=partner.user, reason="")
    services.delivery_confirm(delivery=delivery, user=partner.user)
    with pytest.raises(ValidationError, match="already confirmed"):
        services.delivery_dispute(delivery=delivery, user=partner.user, reason="Late")


def test_owners_choose_signatories_members_cannot(owner, partner):
    from django.test import Client

    clerk = UserFactory()
    membership = MembershipFactory(user=clerk, company=owner.company,
                                   role=Membership.Role.MEMBER)
    as_clerk = Client()
    as_clerk.force_login(clerk)
    as_clerk.post("/exchanges/signatories/", {"signatory": [str(clerk.pk)]})
    membership.refresh_from_db()
    assert not membership.is_signatory
    as_owner = Client()
    as_owner.force_login(owner.user)
    assert clerk.email in as_owner.get("/exchanges/signatories/").content.decode()
    as_owner.post("/exchanges/signatories/", {"signatory": [str(clerk.pk)]})
    membership.refresh_from_db()
    assert membership.is_signatory
    with pytest.raises(PermissionDenied):
        services.membership_signatories_set(company=partner.company, user=owner.user,
                                            signatory_ids=set())
