"""Schemathesis against the live schema: every operation, authenticated, a few examples each.

The schema is the one the app serves (drf-spectacular, ``/api/schema/``) and requests go
to Django through WSGI in this process, so they see the test's database. Each operation
gets ``MAX_EXAMPLES`` generated requests (derandomized: the same ones every run) with a
company API key holding every scope; the one operation a key is refused by design
(signing an agreement) is called with a person's token instead. A server error (5xx), an
undocumented status code or content type, or a body or header that does not match the
documented response fails the test.

Path ids are mostly those of rows the fixture made (a contact accepted, an agreement
active with a delivery, a saved search, a webhook …), so detail and action endpoints
answer from real rows; every third draw keeps the generated id (usually a 404).

Only schemathesis' "generate" phase runs: its "explicit" phase would add its coverage
cases, about 6,000 requests, minutes instead of seconds.
"""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from exchanges import services as exchange_services
from integrations import services as integration_services
from integrations.models import ApiKey
from tests.exchanges.factories import MatchFactory, terms

MAX_EXAMPLES = 5
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# The one act a key may never do (exchanges.api.views): a signatory's, by token.
PERSONAL_ONLY = {("POST", "/api/v1/agreements/{id}/sign/")}


def _load_schema():
    """The schema as the running app serves it, fetched through WSGI at collection time
    (schemathesis' lazy fixture loader needs a pytest internal that pytest 9 dropped)."""
    from symbiosis.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/", application)


schema = _load_schema()
# Filled by the ``world`` fixture: the first path segment → ids of real rows.
_ROWS: dict[str, list] = {}


@schema.hook
def map_path_parameters(context, path_parameters):
    """Two draws in three name a real row of the resource the path is about."""
    if not path_parameters or not _ROWS:
        return path_parameters
    resource = context.operation.path.removeprefix("/api/v1/").split("/")[0]
    for name in ("id", "external_id"):
        drawn = path_parameters.get(name)
        rows = _ROWS.get("external" if name == "external_id" else resource)
        if drawn is None or not rows:
            continue
        seed = drawn if isinstance(drawn, int) else len(str(drawn))
        if seed % 3:
            path_parameters[name] = rows[seed % len(rows)]
    return path_parameters


@pytest.fixture
def _connection_kept():
    """What Django's test client does around a request: the start and end of a WSGI
    request must not close the connection that holds the test's transaction."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def world(_connection_kept, owner, partner, settings, tmp_path):
    """Rows for the detail endpoints to find, and the credentials."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.WEBHOOK_ALLOW_PRIVATE = True
    match = MatchFactory(offer=owner.listing, want=partner.listing)
    contact = exchange_services.contact_request(
        user=partner.user, company=partner.company, match_id=match.pk, message="Fly ash?")
    exchange_services.contact_accept(contact=contact, user=owner.user)
    agreement = exchange_services.agreement_create(
        contact=contact, user=partner.user,
        terms=terms(start_date=dt.date.today() - dt.timedelta(days=1)))
    exchange_services.agreement_propose(agreement=agreement, user=partner.user)
    for persona in (partner, owner):
        exchange_services.agreement_sign(agreement=agreement, user=persona.user, version=1)
    # On or after the start date one confirmation makes it active.
    exchange_services.agreement_activate(agreement=agreement, user=partner.user)
    delivery = exchange_services.delivery_record(
        agreement=agreement, user=partner.user, date=dt.date.today(), quantity="20",
        unit="t")
    search = exchange_services.saved_search_create(
        company=owner.company, user=owner.user, name="Ash", params={"q": "ash"})
    _key, text = integration_services.api_key_create(
        company=owner.company, user=owner.user, name="Schemathesis",
        scopes=ApiKey.Scope.values)
    endpoint = integration_services.webhook_endpoint_create(
        company=owner.company, user=owner.user, url="https://hooks.example/x",
        events=["match.created"])
    owner.listing.external_id = "ERP-1"
    owner.listing.save(update_fields=["external_id"])
    _ROWS.clear()
    _ROWS.update({
        "listings": [owner.listing.pk], "external": ["ERP-1"], "matches": [match.pk],
        "sites": [owner.site.pk], "contacts": [contact.pk], "agreements": [agreement.pk],
        "deliveries": [delivery.pk], "searches": [search.pk], "webhooks": [endpoint.pk],
        "notifications": list(owner.user.notifications.values_list("pk", flat=True)),
    })
    yield {
        "key": f"Api-Key {text}",
        "token": f"Token {Token.objects.get_or_create(user=owner.user)[0].key}",
    }
    _ROWS.clear()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
    phases=[Phase.generate], suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, world):
    personal = (case.method.upper(), case.path) in PERSONAL_ONLY
    headers = {"Authorization": world["token"] if personal else world["key"]}
    response = case.call(headers=headers)
    case.validate_response(response, checks=CHECKS, headers=headers)
