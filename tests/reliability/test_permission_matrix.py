"""Isolation, proved by a matrix: every URL pattern and API operation as six personas.

The expected outcomes live in one table, tests/reliability/matrix.py (its docstring says how
to read and extend it). The walk fails when a pattern or operation has no row (so a new
endpoint cannot be forgotten), when a row names nothing that exists, on any outcome other
than the row's (an unexpected 2xx above all) and on a leaked field: a 2xx answer to anyone
but firm A that contains something of A's the disclosure rules keep back.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts import claims
from accounts import services as accounts_services
from accounts.models import AgencyMembership
from agency.facilities import mapping
from agency.facilities.services import facility_import_row
from agency.services import review as review_services
from agency.services import staff as agency_staff_services
from exchanges import services as exchanges_services
from exchanges.models import Notification
from integrations import services as integrations_services
from integrations.models import WebhookDelivery
from matching.imports import services as import_services
from symbiosis import health
from tests.agency.facility_helpers import csv_bytes, satakunta_rows
from tests.exchanges.factories import MatchFactory, terms
from tests.factories import (
    AgencyFactory,
    AgencyMembershipFactory,
    ListingFactory,
    RegionFactory,
    UserFactory,
)
from tests.reliability.matrix import OPERATIONS, PAGES, PERSONAS, Op, Page

# Values the disclosure rules keep from whoever is not a party (or keep internal).
EXACT_DISTANCE = 41.937698921287065
EXACT_SCORE = 0.8237
MESSAGE = "Our weighbridge opens at 06:40 on weekdays"
ATTACHMENT_NAME = "lab-report-fly-ash.pdf"
DECISION_NOTE = "Check the ash's chloride content first"


@dataclass
class Call:
    key: str            # the table row (URL name or operation id)
    persona: str
    method: str
    url: str
    expected: str
    bearer: bool = False


# --- the endpoints -------------------------------------------------------------------------


def _schema_operations() -> tuple[list[tuple[str, str, str]], set]:
    """(operation id, method, path template) for every operation, and the views behind them."""
    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    operations = [
        (operation["operationId"], method.upper(), path)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    # The views the schema documents (the enumerator also lists ones it then leaves out,
    # such as the schema's own views).
    # (The enumerator says {pk} where the schema says {id}: compare without the names.)
    def shape(path: str) -> str:
        return re.sub(r"\{[^}]+\}", "{}", path)

    documented = {(shape(path), method.upper()) for _op, method, path in operations}
    callbacks = {callback for path, _regex, method, callback in generator.endpoints
                 if (shape(path), method.upper()) in documented}
    return operations, callbacks


def _patterns(resolver=None, prefix: str = "", namespace: str = "") -> Iterator[tuple]:
    """(namespace, URL name or None, route, pattern) for every pattern the resolver holds."""
    resolver = resolver or get_resolver()
    for item in resolver.url_patterns:
        if isinstance(item, URLResolver):
            inner = namespace
            if item.namespace:
                inner = f"{namespace}:{item.namespace}" if namespace else item.namespace
            yield from _patterns(item, prefix + str(item.pattern), inner)
        elif isinstance(item, URLPattern):
            name = f"{namespace}:{item.name}" if namespace and item.name else item.name
            yield namespace, name, prefix + str(item.pattern), item


def page_keys() -> dict[str, tuple[str, str, URLPattern]]:
    """Table key → (namespace, route, pattern) for the URL patterns the page rows cover.

    Patterns whose view the schema documents are covered by their operations; an API
    pattern the schema leaves out (the API root) needs a page row like any other.
    """
    _operations, documented = _schema_operations()
    keys: dict[str, tuple[str, str, URLPattern]] = {}
    for namespace, name, route, pattern in _patterns():
        if pattern.callback in documented:
            continue
        keys.setdefault(name or route, (namespace, route, pattern))
    return keys


def _row_for_page(key: str, namespace: str) -> Page | None:
    return PAGES.get(key) or (PAGES.get(f"{namespace}:*") if namespace else None)


def test_every_url_pattern_and_api_operation_has_a_row():
    """A new endpoint fails here until the table says who may call it."""
    operations, _ = _schema_operations()
    missing_pages = sorted(
        f"{key!r}  ({route})" for key, (namespace, route, _p) in page_keys().items()
        if _row_for_page(key, namespace) is None
    )
    missing_ops = sorted(
        f"{op_id!r}  ({method} {path})" for op_id, method, path in operations
        if op_id not in OPERATIONS
    )
    message = []
    if missing_pages:
        message.append("URL patterns with no row in tests/reliability/matrix.py PAGES:\n    "
                       + "\n    ".join(missing_pages))
    if missing_ops:
        message.append("API operations with no row in tests/reliability/matrix.py "
                       "OPERATIONS:\n    " + "\n    ".join(missing_ops))
    assert not message, "\n".join(message)


def test_every_row_names_an_endpoint_that_exists():
    """A row left behind by a removed endpoint would hide a typo in a new one."""
    operations, _ = _schema_operations()
    keys = page_keys()
    namespaces = {namespace for namespace, _route, _p in keys.values()}
    stale_pages = [
        key for key in PAGES
        if key not in keys and not (key.endswith(":*") and key[:-2] in namespaces)
    ]
    stale_ops = sorted(set(OPERATIONS) - {op_id for op_id, _m, _p in operations})
    assert not stale_pages and not stale_ops, (stale_pages, stale_ops)


def test_every_row_gives_an_outcome_per_persona():
    for key, row in [*PAGES.items(), *OPERATIONS.items()]:
        outcomes = [row.get, row.post] if isinstance(row, Page) else [row.expect]
        for outcome in filter(None, outcomes):
            codes = outcome.split()
            assert len(codes) == len(PERSONAS), (key, outcome)
            assert set(codes) <= {"2", "3", "L", "H", "4", "*"}, (key, outcome)


# --- the world: firm A's objects and the personas ---------------------------------------------


@pytest.fixture
def world(owner, partner, outsider, reviewer, settings, tmp_path, mailoutbox):
    """Firm A (``owner``) with one object of every kind; the personas that call."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.WEBHOOK_ALLOW_PRIVATE = True  # no DNS look-up for the endpoint's host
    a, b, c = owner, partner, outsider  # c: A's counterpart in a contact (not a persona)
    a.listing.external_id = "ERP-4711"
    a.listing.save(update_fields=["external_id"])
    # B's want is matched with A's offer: B sees it anonymised, so never A's name.
    b_match = MatchFactory(offer=a.listing, want=b.listing, distance_km=EXACT_DISTANCE,
                           score=EXACT_SCORE)
    # C and A went all the way: accepted contact, message, file, signed agreement, delivery.
    c_want = ListingFactory(company=c.company, site=c.site, kind="want",
                            title="Ash for our kiln trials")
    c_match = MatchFactory(offer=a.listing, want=c_want)
    contact = exchanges_services.contact_request(
        user=c.user, company=c.company, match_id=c_match.pk, message="Could we take it?")
    exchanges_services.contact_accept(contact=contact, user=a.user)
    exchanges_services.message_post(contact=contact, user=a.user, body=MESSAGE)
    attachment = exchanges_services.attachment_add(
        contact=contact, user=a.user,
        file=SimpleUploadedFile(ATTACHMENT_NAME, b"%PDF-1.4 lab report", "application/pdf"))
    agreement = exchanges_services.agreement_create(
        contact=contact, user=c.user, terms=terms(price_per_unit="-17.35"))
    exchanges_services.agreement_propose(agreement=agreement, user=c.user)
    exchanges_services.agreement_sign(agreement=agreement, user=c.user, version=1)
    exchanges_services.agreement_sign(agreement=agreement, user=a.user, version=1)
    exchanges_services.agreement_activate(agreement=agreement, user=c.user)
    exchanges_services.agreement_activate(agreement=agreement, user=a.user)
    delivery = exchanges_services.delivery_record(
        agreement=agreement, user=c.user, date=agreement.versions.get().start_date,
        quantity=120, unit="t")
    key, key_text = integrations_services.api_key_create(
        company=a.company, user=a.user, name="ERP", scopes=["read"])
    webhook = integrations_services.webhook_endpoint_create(
        company=a.company, user=a.user, url="https://erp.power.example/hooks",
        events=["match.created"])
    webhook_delivery = WebhookDelivery.objects.create(
        endpoint=webhook, event="match.created", payload={"id": b_match.pk})
    invitation = accounts_services.invitation_create(
        company=a.company, user=a.user, email="new.colleague@power.example", role="member")
    search = exchanges_services.saved_search_create(
        company=a.company, user=a.user, name="Gypsum nearby", params={"q": "gypsum"})
    notification = Notification.objects.filter(user=a.user).first()
    assert notification is not None, "the contact should have notified A's owner"
    listing_import = import_services.import_job_preview(
        kind="listings", user=a.user, company=a.company, file_name="listings.csv",
        data=b"external_id;kind;title;ewc_code;quantity;unit\n"
             b"ERP-9;offer;Grate ash from boiler four;10 01 01;40;t/month\n")

    # The region's agency: the reviewer is made a manager, so the region persona reaches
    # every agency page (staff, regions, invitations); the region is A's and B's.
    agency = reviewer.agency
    reviewer.role = AgencyMembership.Role.MANAGER
    reviewer.save(update_fields=["role"])
    region = agency.regions.get()
    colleague = AgencyMembershipFactory(agency=agency,
                                        user=UserFactory(email="colleague@agency.example"))
    staff_invitation = agency_staff_services.staff_invite(
        agency=agency, user=reviewer.user, email="new.reviewer@agency.example",
        role=AgencyMembership.Role.REVIEWER)
    # A lets the agency keep its listings (on-behalf edits), and the agency judged the pair.
    accounts_services.agency_consent_grant(company=a.company, agency=agency, user=a.user)
    decision = review_services.decision_record(
        agency=agency, user=reviewer.user, offer=a.listing, want=b.listing, decision="hold",
        text=DECISION_NOTE)
    # Cold start: an unclaimed register profile in the region, its import job, a claim link.
    register_rows = satakunta_rows(facilities=1)
    facility = facility_import_row(row=mapping.facility_row_read(register_rows[-1]),
                                   agency=agency, user=reviewer.user).facility
    claims.company_set_claim_domain(company=facility.company, domain="plant.example")
    [claim] = claims.company_claim_request(email="anna@plant.example")
    facility_import = import_services.import_job_preview(
        kind="facilities", user=reviewer.user, agency_id=agency.pk, file_name="eprtr.csv",
        data=csv_bytes(register_rows))

    other_region = RegionFactory(name="Uusimaa", slug="uusimaa", min_lat=59.8, max_lat=60.7,
                                 min_lon=23.4, max_lon=26.0)
    other = AgencyMembershipFactory(agency=AgencyFactory(regions=[other_region]),
                                    user=UserFactory(email="staff@uusimaa-agency.example"))
    staff = UserFactory(email="staff@platform.example", is_staff=True)

    objects = {
        "site": {"pk": a.site.pk},
        "listing": {"pk": a.listing.pk},
        "match": {"pk": b_match.pk},
        "contact": {"pk": contact.pk},
        "attachment": {"pk": attachment.pk},
        "agreement": {"pk": agreement.pk},
        "delivery": {"pk": delivery.pk},
        "api_key": {"pk": key.pk},
        "webhook": {"pk": webhook.pk},
        "webhook_delivery": {"pk": webhook_delivery.pk},
        "invitation": {"pk": invitation.pk},
        "invitation_token": {"token": invitation.token},
        "notification": {"pk": notification.pk},
        "search": {"pk": search.pk},
        "external_id": {"external_id": "ERP-4711"},
        "ewc_code": {"code": "100102"},
        "verify_token": {"token": accounts_services.email_verification_link(user=a.user)
                         .rstrip("/").rsplit("/", 1)[-1]},
        "import_job": {"pk": listing_import.pk},
        "pair": {"offer": a.listing.pk, "want": b.listing.pk},
        "firm": {"pk": a.company.pk},
        "firm_listing": {"pk": a.company.pk, "listing_pk": a.listing.pk},
        "region": {"pk": region.pk},
        "agency": {"agency_id": agency.pk},
        "staff_membership": {"pk": colleague.pk},
        "staff_invitation": {"pk": staff_invitation.pk},
        "staff_invitation_token": {"token": staff_invitation.token},
        "facility_profile": {"pk": facility.company.pk},
        "facility_import": {"pk": facility_import.pk},
        "claim_token": {"token": claim.token},
        "decision": {"pk": decision.pk},
        "reset": {"uidb64": urlsafe_base64_encode(force_bytes(a.user.pk)),
                  "token": default_token_generator.make_token(a.user)},
    }
    users = {"anon": None, "a": a.user, "b": b.user, "region": reviewer.user,
             "other": other.user, "staff": staff}
    # What no one but firm A may read: A's identity (before a contact), the exact values
    # that stay internal, and the conversation's content (agency staff see parties and
    # stage only).
    secret_of_a = {
        "A's company name": a.company.name,
        "A's site name": a.site.name,
        "A's owner's e-mail": a.user.email,
        "the exact distance": str(EXACT_DISTANCE)[:7],
        "the exact score": str(EXACT_SCORE),
        "the agency's note on A's pair": DECISION_NOTE,
        "A's import file": "Grate ash from boiler four",
    }
    conversation = {
        "a message": MESSAGE,
        "an attachment's name": ATTACHMENT_NAME,
        "an agreed price": "17.35",
        "the API key": key_text,
        "the webhook secret": webhook.secret,
    }
    # What only the region's agency knows: its staff, its invitations, the unclaimed
    # register profile in its region (other firms never see an unclaimed firm's name).
    of_the_region = {
        "the region's unclaimed profile": facility.company.name,
        "a colleague's e-mail": colleague.user.email,
        "an invited reviewer's e-mail": staff_invitation.email,
    }
    secret_of_a |= of_the_region
    forbidden = {
        "anon": secret_of_a | conversation,
        "b": secret_of_a | conversation,
        # Region staff see the parties of contacts in their region, never the talk.
        "region": {"the exact distance": str(EXACT_DISTANCE)[:7],
                   "the exact score": str(EXACT_SCORE)} | conversation,
        "other": secret_of_a | conversation,
        "staff": secret_of_a | conversation,
    }
    return {"objects": objects, "users": users, "forbidden": forbidden}


# --- the walk --------------------------------------------------------------------------------

LOGIN_PATHS = ("/accounts/login/", "/admin/login/")
AGENCY_PATHS = ("/agency/", "/api/v1/agency/")
# The impact API picks a region (?region=), not an agency: its refusal of another
# agency's region is tests/agency/test_dashboard.py's.
AGENCY_PATHS_WITHOUT_CHOICE = ("/api/v1/agency/impact/",)
# Where the portal sends someone a page is not for: a user without a firm is asked to
# register one, agency staff without a firm go to their agency's home (the review queue;
# only that exact URL: an agency's POST that worked redirects to its other pages).
SENT_AWAY_PATHS = ("/accounts/company/new/",)
SENT_AWAY_URLS = ("/agency/",)


def _outcome(response) -> str:
    code = response.status_code
    if 200 <= code < 300:
        return "2"
    if 300 <= code < 400:
        location = response.headers.get("Location", "")
        if any(location.startswith(p) for p in LOGIN_PATHS):
            return "L"
        if location in SENT_AWAY_URLS or any(location.startswith(p) for p in SENT_AWAY_PATHS):
            return "H"
        return "3"
    if 400 <= code < 500:
        return "4"
    return str(code)


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _generic_admin_url(route: str) -> str:
    """A URL for one of the admin's unnamed patterns (the object redirects, the catch-all)."""
    url = re.sub(r"<[^>]+>", "1", route)
    url = url.replace("(?P<url>.*)$", "no-such-page/")
    return "/" + url


def _page_url(key: str, namespace: str, route: str, pattern: URLPattern, row: Page,
              objects: dict) -> str:
    params = set(pattern.pattern.regex.groupindex) - {"format"}
    if namespace == "admin":
        if not pattern.name:
            return _generic_admin_url(route)
        values = {"app_label": "accounts", "object_id": "1", "content_type_id": "1", "id": "1"}
        return reverse(key, kwargs={p: values[p] for p in params})
    given = {**objects.get(row.obj, {}), **row.kwargs}
    missing = params - set(given)
    assert not missing, f"{key}: the row's obj gives no value for {sorted(missing)}"
    return reverse(key, kwargs={p: given[p] for p in params})


def _api_url(key: str, path: str, row: Op, objects: dict) -> str:
    given = dict(objects.get(row.obj, {}))
    if "pk" in given:
        given.setdefault("id", given["pk"])
    try:
        return path.format(**given)
    except KeyError as exc:
        raise AssertionError(f"{key}: the row's obj gives no value for {exc}") from None


def _calls(world) -> Iterator[tuple[Call, bool]]:
    """Every (call, is_api) the table asks for."""
    objects = world["objects"]
    for key, (namespace, route, pattern) in page_keys().items():
        row = _row_for_page(key, namespace)
        url = _page_url(key, namespace, route, pattern, row, objects)
        for method, outcomes in (("GET", row.get), ("POST", row.post)):
            if outcomes is None:
                continue
            for persona, expected in zip(PERSONAS, outcomes.split(), strict=True):
                yield Call(key, persona, method, url, expected, row.bearer), False
    operations, _ = _schema_operations()
    for op_id, method, path in operations:
        row = OPERATIONS[op_id]
        url = _api_url(op_id, path, row, objects)
        for persona, expected in zip(PERSONAS, row.expect.split(), strict=True):
            yield Call(op_id, persona, method, url, expected), True


def _client(persona_cookies: dict, persona: str, api: bool):
    client = APIClient() if api else Client()
    client.cookies = SimpleCookie(persona_cookies[persona])
    return client


def _request(client, call: Call, api: bool):
    kwargs = {"format": "json"} if api and call.method != "GET" else {}
    data = {} if call.method != "GET" else None
    handler = getattr(client, call.method.lower())
    return handler(call.url, data, **kwargs) if data is not None else handler(call.url)


def _leaked(forbidden: dict[str, str], body: str) -> list[str]:
    """What of ``forbidden`` (description → value) the answer's text contains."""
    return [f"{what} ({value!r})" for what, value in forbidden.items() if value and value in body]


def _matches(expected: str, got: str) -> bool:
    return not got.startswith("5") if expected == "*" else got == expected


@pytest.mark.postgres
def test_permission_matrix(world):
    """Each persona gets what the table says from every endpoint, and no one reads A's secrets."""
    cookies = {}
    for persona, user in world["users"].items():
        client = Client()
        if user is not None:
            client.force_login(user)
        cookies[persona] = client.cookies.output(header="", sep=";")
    cache = caches["default"]

    # (row, method) → what the table says and what each persona got.
    rows: dict[tuple[str, str], dict] = {}
    leaks, read, count, started = [], set(), 0, time.monotonic()
    region_agency = world["objects"]["agency"]["agency_id"]
    for call, api in _calls(world):
        if (call.persona == "other" and call.url.startswith(AGENCY_PATHS)
                and not call.url.startswith(AGENCY_PATHS_WITHOUT_CHOICE)):
            # Another region's staff name this region's agency: ?agency= picks among the
            # caller's own agencies only, so nothing may change.
            call.url += f"?agency={region_agency}"
        cache.clear()  # throttle counts: each call is judged on its own
        health.heartbeat_record()  # a worker is alive, so /readyz answers 200
        client = _client(cookies, call.persona, api)
        # Every call is rolled back: a revoke or a sign-out must not change the next call.
        with transaction.atomic():
            response = _request(client, call, api)
            got = _outcome(response)
            readable = got == "2" and call.persona != "a" and not call.bearer
            body = _body(response) if readable else ""
            transaction.set_rollback(True)
        count += 1
        row = rows.setdefault((call.key, call.method),
                              {"url": call.url, "expected": [], "got": [], "detail": []})
        row["expected"].append(call.expected)
        row["got"].append(got)
        if not _matches(call.expected, got):
            row["detail"].append(f"{call.persona}: {response.status_code} "
                                 f"{response.headers.get('Location', '')}".rstrip())
        if body:
            read.add((call.key, call.method, call.persona))
        leaks.extend(f"{call.key} {call.method} as {call.persona}: {what} in the answer "
                     f"from {call.url}"
                     for what in _leaked(world["forbidden"].get(call.persona, {}), body))
    elapsed = time.monotonic() - started

    wrong = [
        f"{key:38} {method:6} table {' '.join(row['expected'])!r:15} "
        f"got {' '.join(row['got'])!r:15} {row['url']}  [{'; '.join(row['detail'])}]"
        for (key, method), row in rows.items() if row["detail"]
    ]
    report = []
    if wrong:
        report.append(
            f"{len(wrong)} rows of tests/reliability/matrix.py answered otherwise (outcomes "
            "for anon a b region other staff; the statuses that differ in brackets):\n"
            + "\n".join(wrong))
    if leaks:
        report.append("Leaked fields:\n" + "\n".join(leaks))
    assert not report, "\n".join(report)
    assert count > 1000, count  # the walk really walked
    # The leak check read the answers that matter: B's view of its match with A, and the
    # region's view of A's contact and agreement.
    assert {("exchanges:match_detail", "GET", "b"), ("v1_matches_retrieve", "GET", "b"),
            ("v1_matches_list", "GET", "b"), ("exchanges:contact_detail", "GET", "region"),
            ("v1_agreements_list", "GET", "region"),
            # The agency's: its pair page and API for the region, lists for another region.
            ("agency:pair", "GET", "region"), ("agency:firm_detail", "GET", "region"),
            ("v1_agency_matches_retrieve", "GET", "region"),
            ("v1_agency_contacts_retrieve", "GET", "region"),
            ("agency:matches", "GET", "other"), ("agency:firms", "GET", "other"),
            ("v1_agency_matches_list", "GET", "other"),
            ("v1_agency_contacts_list", "GET", "other")} <= read
    print(f"permission matrix: {count} calls in {elapsed:.1f} s")  # noqa: T201


@pytest.mark.postgres
def test_leak_check_sees_what_a_party_may_see(world, outsider):
    """The check is not blind: A's counterpart after acceptance (C) does read A's secrets."""
    client = Client()
    client.force_login(outsider.user)
    contact = world["objects"]["contact"]["pk"]
    body = _body(client.get(reverse("exchanges:contact_detail", kwargs={"pk": contact})))
    found = _leaked(world["forbidden"]["b"], body)
    assert any("A's company name" in what for what in found)
    assert any("a message" in what for what in found)


@pytest.mark.postgres
def test_leak_check_sees_what_region_staff_may_see(world):
    """Not blind on the agency's pages either: the region's staff read A's name, the
    unclaimed profile and their colleagues, which another region's staff must not."""
    client = Client()
    client.force_login(world["users"]["region"])
    objects = world["objects"]
    found = []
    for url in (reverse("agency:firm_detail", kwargs=objects["firm"]),
                reverse("agency:facility_profiles"), reverse("agency:staff"),
                f"/api/v1/agency/contacts/{objects['contact']['pk']}/"):
        found += _leaked(world["forbidden"]["other"], _body(client.get(url)))
    for what in ("A's company name", "the region's unclaimed profile", "a colleague's e-mail",
                 "an invited reviewer's e-mail"):
        assert any(what in item for item in found), (what, found)


def test_outcome_reads_a_login_redirect_apart_from_other_redirects(client):
    """The table's ``L`` must not pass a page that redirected an outsider somewhere useful."""
    assert _outcome(client.get(reverse("matching:dashboard"))) == "L"
    assert _outcome(client.get("/admin/")) == "L"
    assert _outcome(client.get(reverse("about"))) == "2"
