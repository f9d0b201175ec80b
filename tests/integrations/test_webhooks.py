"""Webhooks: signed deliveries to a real HTTP receiver on loopback, retries, disabling."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from integrations import services, webhooks
from integrations.models import WebhookDelivery, WebhookEndpoint
from matching import events

pytestmark = pytest.mark.django_db(transaction=True)


class Receiver:
    """A loopback HTTP server that checks each signature and fails the first N requests."""

    def __init__(self, *, fail_first: int = 0) -> None:
        self.secret = ""
        self.fail_first = fail_first
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                valid = webhooks.verify(secret=receiver.secret,
                                        header=self.headers["Symbiosis-Signature"],
                                        body=body, now=int(time.time()))
                receiver.received.append({"valid": valid, "body": json.loads(body),
                                          "delivery": self.headers["Symbiosis-Delivery"],
                                          "event": self.headers["Symbiosis-Event"]})
                failing = len(receiver.received) <= receiver.fail_first
                self.send_response(503 if failing or not valid else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def private_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_RETRY_BASE_S = 0
    settings.WEBHOOK_MAX_ATTEMPTS = 5


def _endpoint(owner, receiver, events_=("match.created", "match.updated", "matches.changed")):
    endpoint = services.webhook_endpoint_create(company=owner.company, user=owner.user,
                                                url=receiver.url, events=events_)
    receiver.secret = endpoint.secret
    return endpoint


def test_a_new_match_is_delivered_signed_to_both_firms(owner, partner, private_allowed):
    from matching import services as matching_services
    with Receiver() as receiver:
        _endpoint(owner, receiver)
        matching_services.listing_rematch(listing_id=partner.listing.pk)
    created = [r for r in receiver.received if r["event"] == "match.created"]
    assert created and all(r["valid"] for r in receiver.received)
    assert created[0]["body"]["data"]["listing_id"] == owner.listing.pk
    delivery = WebhookDelivery.objects.get(pk=created[0]["delivery"])
    assert delivery.last_status == 204 and delivery.delivered_at is not None


def test_failures_are_retried_with_the_same_delivery_id(owner, private_allowed):
    with Receiver(fail_first=2) as receiver:
        endpoint = _endpoint(owner, receiver)
        events.matches_changed_announce(listing_ids=[owner.listing.pk])
    assert len(receiver.received) == 3
    assert len({r["delivery"] for r in receiver.received}) == 1
    assert all(r["valid"] for r in receiver.received)
    assert receiver.received[0]["body"]["data"] == {
        "listings": [{"id": owner.listing.pk, "external_id": None}]}
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.attempts, delivery.last_status) == (3, 204)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_a_wrong_secret_fails_the_receivers_check(owner, private_allowed, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    with Receiver() as receiver:
        endpoint = _endpoint(owner, receiver)
        receiver.secret = "not-the-secret"
        events.matches_changed_announce(listing_ids=[owner.listing.pk])
    assert [r["valid"] for r in receiver.received] == [False]
    assert WebhookDelivery.objects.get(endpoint=endpoint).last_status == 503


def test_an_endpoint_failing_for_a_day_is_disabled(owner, private_allowed):
    with Receiver(fail_first=99) as receiver:
        endpoint = _endpoint(owner, receiver)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=timezone.now() - timedelta(days=1, minutes=1))
        events.matches_changed_announce(listing_ids=[owner.listing.pk])
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None and "503" in endpoint.disabled_reason
    assert len(receiver.received) == 1


def test_a_delivery_can_be_replayed(owner, private_allowed):
    with Receiver() as receiver:
        endpoint = _endpoint(owner, receiver)
        events.matches_changed_announce(listing_ids=[owner.listing.pk])
        first = WebhookDelivery.objects.get(endpoint=endpoint)
        services.webhook_delivery_replay(delivery=first, user=owner.user)
    assert len(receiver.received) == 2
    assert receiver.received[0]["body"]["data"] == receiver.received[1]["body"]["data"]


def test_http_and_loopback_urls_are_refused_unless_allowed(owner, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    for url in ("http://example.com/hook", "https://127.0.0.1/hook", "https://10.1.2.3/x"):
        with pytest.raises(ValidationError):
            services.webhook_endpoint_create(company=owner.company, user=owner.user, url=url,
                                             events=["match.created"])


def test_signature_is_hmac_sha256_over_timestamp_and_body():
    import hashlib
    import hmac
    header = webhooks.sign(secret="s3", timestamp=1700000000, body=b'{"a":1}')
    expected = hmac.new(b"s3", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert not webhooks.verify(secret="s3", header=header, body=b'{"a":1}', now=1700009999)


def test_the_portal_page_adds_an_endpoint_lists_deliveries_and_replays(client, owner,
                                                                        private_allowed):
    client.force_login(owner.user)
    with Receiver() as receiver:
        response = client.post("/accounts/company/webhooks/",
                               {"url": receiver.url, "events": ["matches.changed"]})
        assert response.status_code == 302
        endpoint = WebhookEndpoint.objects.get(company=owner.company)
        receiver.secret = endpoint.secret
        events.matches_changed_announce(listing_ids=[owner.listing.pk])
        delivery = WebhookDelivery.objects.get(endpoint=endpoint)
        page = client.get("/accounts/company/webhooks/").content.decode()
        assert "matches.changed" in page and "204" in page
        client.post(f"/accounts/company/webhooks/deliveries/{delivery.pk}/replay/")
    assert len(receiver.received) == 2 and all(r["valid"] for r in receiver.received)


@pytest.mark.django_db
def test_the_webhooks_api_needs_the_webhooks_scope(owner, private_allowed):
    from django.urls import reverse

    from tests.integrations.conftest import key_client
    body = {"url": "https://hooks.example/x", "events": ["match.created"]}
    without, _k, _t = key_client(owner, scopes=["read", "listings"])
    assert without.post(reverse("api:webhook-list"), body, format="json").status_code == 403
    client, _k2, _t2 = key_client(owner, scopes=["read", "webhooks"])
    created = client.post(reverse("api:webhook-list"), body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["secret"] == WebhookEndpoint.objects.get().secret
    listed = client.get(reverse("api:webhook-list"))
    assert listed.json()["count"] == 1 and "secret" not in listed.json()["results"][0]
    assert client.get(reverse("api:webhook-list") + "?foo=1").status_code == 400


def test_a_full_rematch_sends_one_matches_changed_per_company(owner, partner, private_allowed):
    from matching import services as matching_services
    with Receiver() as mine, Receiver() as theirs:
        _endpoint(owner, mine, events_=["matches.changed"])
        _endpoint(partner, theirs, events_=["matches.changed"])
        assert matching_services.match_rematch_all() > 0
    assert [r["event"] for r in mine.received] == ["matches.changed"]
    assert [r["event"] for r in theirs.received] == ["matches.changed"]
    assert mine.received[0]["body"]["data"]["listings"] == [
        {"id": owner.listing.pk, "external_id": None}]
    assert theirs.received[0]["body"]["data"]["listings"] == [
        {"id": partner.listing.pk, "external_id": None}]
    assert all(r["valid"] for r in mine.received + theirs.received)
