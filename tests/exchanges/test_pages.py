"""The exchanges pages, driven as the two firms would with the test client."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from exchanges.models import Agreement, Contact
from tests.exchanges.factories import terms


def _client(persona) -> Client:
    client = Client()
    client.force_login(persona.user)
    return client


def test_match_titles_link_to_the_match_page(owner, match):
    html = _client(owner).get("/portal/").content.decode()
    assert f'href="/exchanges/matches/{match.pk}/"' in html
    html = _client(owner).get(f"/portal/listings/{owner.listing.pk}/").content.decode()
    assert f'href="/exchanges/matches/{match.pk}/"' in html


def test_match_page_anonymises_the_other_side(owner, partner, match):
    r = _client(owner).get(f"/exchanges/matches/{match.pk}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert owner.listing.title in html and partner.listing.title in html
    assert partner.company.name not in html and partner.site.name not in html
    assert "Rauma" not in html  # the only cement works in town: shown as the region
    assert "40–45 km" in html and "41 km" not in html and "82%" not in html
    assert "within your 50 km delivery range" in html
    assert "Request contact" in html and "Dismiss" in html


def test_outsiders_cannot_open_the_match_page(outsider, match):
    assert _client(outsider).get(f"/exchanges/matches/{match.pk}/").status_code == 404


def test_request_accept_talk_and_agree_through_the_pages(owner, partner, match):
    them, us = _client(owner), _client(partner)
    r = us.post(f"/exchanges/matches/{match.pk}/contact/", {"message": "Can we talk?"})
    contact = Contact.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/exchanges/contacts/{contact.pk}/"

    html = them.get(f"/exchanges/contacts/{contact.pk}/").content.decode()
    assert "Can we talk?" in html and "Accept" in html
    assert partner.company.name not in html and partner.user.email not in html
    accept_url = f"/exchanges/contacts/{contact.pk}/accept/"
    assert accept_url in html
    assert accept_url not in us.get(f"/exchanges/contacts/{contact.pk}/").content.decode()

    them.post(f"/exchanges/contacts/{contact.pk}/accept/")
    html = them.get(f"/exchanges/contacts/{contact.pk}/").content.decode()
    assert partner.company.name in html and partner.user.email in html

    us.post(f"/exchanges/contacts/{contact.pk}/message/", {"body": "Sending the spec"})
    us.post(f"/exchanges/contacts/{contact.pk}/attachment/",
            {"file": SimpleUploadedFile("spec.pdf", b"%PDF spec"), "kind": "specification"})
    us.post(f"/exchanges/contacts/{contact.pk}/feasibility/",
            {"key": "legal-status", "legal-status-done": "on",
             "legal-status-legal_status": "by-product"})
    html = them.get(f"/exchanges/contacts/{contact.pk}/").content.decode()
    assert "Sending the spec" in html and "spec.pdf" in html
    contact.refresh_from_db()
    assert contact.stage == "feasibility"

    data = {k: ("" if v is None else v) for k, v in terms().items()}
    r = us.post(f"/exchanges/contacts/{contact.pk}/agreement/", data)
    agreement = Agreement.objects.get()
    assert r.status_code == 302
    us.post(f"/exchanges/agreements/{agreement.pk}/edit/", {**data, "quantity": "2500"})
    us.post(f"/exchanges/agreements/{agreement.pk}/edit/", {**data, "quantity": "2500"})
    assert agreement.versions.count() == 2
    html = them.get(f"/exchanges/agreements/{agreement.pk}/").content.decode()
    assert "<del>3000.000</del>" in html or "<del>3000</del>" in html
    us.post(f"/exchanges/agreements/{agreement.pk}/propose/")
    us.post(f"/exchanges/agreements/{agreement.pk}/sign/", {"version": "2"})
    html = them.get(f"/exchanges/agreements/{agreement.pk}/").content.decode()
    assert "signed by the other firm" in html and "Sign version 2" in html
    them.post(f"/exchanges/agreements/{agreement.pk}/sign/", {"version": "2"})
    agreement.refresh_from_db()
    assert agreement.state == "signed"
    printed = them.get(f"/exchanges/agreements/{agreement.pk}/print/").content.decode()
    assert owner.company.name in printed and partner.company.name in printed
    assert printed.count('class="signature"') == 2

    pipeline = them.get("/exchanges/pipeline/").content.decode()
    assert f"/exchanges/contacts/{contact.pk}/" in pipeline


def test_service_refusals_show_as_messages(owner, partner, contact):
    r = _client(partner).post(f"/exchanges/contacts/{contact.pk}/accept/", follow=True)
    assert "Only the firm that received the request can accept it." in r.content.decode()
    contact.refresh_from_db()
    assert contact.state == "requested"


@pytest.mark.parametrize("url", ["/exchanges/contacts/", "/exchanges/pipeline/"])
def test_inbox_and_pipeline_list_only_the_firms_contacts(url, contact, owner, outsider):
    assert f"/exchanges/contacts/{contact.pk}/" in _client(owner).get(url).content.decode()
    assert f"/exchanges/contacts/{contact.pk}/" not in _client(outsider).get(url
                                                                            ).content.decode()


def test_pipeline_starts_with_matches_not_yet_in_contact(owner, partner, match):
    client = _client(owner)
    link = f"/exchanges/matches/{match.pk}/"
    html = client.get("/exchanges/pipeline/").content.decode()
    assert link in html.split('id="stage-contacted"')[0]
    assert partner.company.name not in html.split("<footer")[0]
    from exchanges import services

    services.contact_request(user=partner.user, company=partner.company, match_id=match.pk,
                             message="Hi")
    html = client.get("/exchanges/pipeline/").content.decode()
    assert link not in html
