"""Every portal page passes an axe-core audit with no serious or critical violations.

Each page is opened as the persona it is for (anonymous, firm A's owner, firm B's owner,
region agency staff), axe-core (``tests/browser/vendor/axe.min.js``, never served to users)
is injected and run, and every serious or critical violation is reported with the page,
the rule and the elements. A page added to the portal needs a line in ``PAGES``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from exchanges import services as exchanges_services
from tests.exchanges.factories import MatchFactory, terms
from tests.factories import (
    PASSWORD,
    AgencyMembershipFactory,
    CompanyFactory,
    ListingFactory,
    MembershipFactory,
    SiteFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
BLOCKING = {"serious", "critical"}
SHOTS = Path(settings.BASE_DIR) / "test-output" / "accessibility"


def test_the_vendored_axe_is_the_one_the_readme_names():
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256


def _firm(email: str, name: str, nace: str, lat: float, lon: float):
    user = UserFactory(email=email, full_name=name.split()[0] + " Person")
    company = CompanyFactory(name=name, nace_code=nace)
    MembershipFactory(user=user, company=company)
    site = SiteFactory(company=company, name=f"{name} works", latitude=lat, longitude=lon)
    return user, company, site


@pytest.fixture
def world(transactional_db, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    a_user, a, a_site = _firm("a@power.example", "Harbour Power Oy", "35.11", 61.4851, 21.7974)
    b_user, b, b_site = _firm("b@cement.example", "Kallio Cement Oy", "23.51", 61.1272, 21.5112)
    offer = ListingFactory(company=a, site=a_site)
    want = ListingFactory(company=b, site=b_site, kind="want", title="Fly ash for cement")
    match = MatchFactory(offer=offer, want=want)
    # A second firm that went all the way with A: an accepted contact and an agreement.
    c_user, c, c_site = _firm("c@kiln.example", "Uuni Kiln Oy", "23.52", 61.2, 21.6)
    c_want = ListingFactory(company=c, site=c_site, kind="want", title="Ash for kiln trials")
    contact = exchanges_services.contact_request(
        user=c_user, company=c, match_id=MatchFactory(offer=offer, want=c_want).pk,
        message="Could we take your fly ash?")
    exchanges_services.contact_accept(contact=contact, user=a_user)
    exchanges_services.message_post(contact=contact, user=a_user, body="Yes, from May.")
    agreement = exchanges_services.agreement_create(contact=contact, user=c_user,
                                                    terms=terms())
    exchanges_services.agreement_propose(agreement=agreement, user=c_user)
    exchanges_services.agreement_sign(agreement=agreement, user=c_user, version=1)
    exchanges_services.agreement_sign(agreement=agreement, user=a_user, version=1)
    # A manager: the region's pages for managers (regions, staff) are audited too.
    membership = AgencyMembershipFactory(user=UserFactory(email="r@agency.example"),
                                         role="manager")
    reviewer = membership.user
    CompanyFactory()  # one more firm in the region's lists
    return {"a": a_user, "b": b_user, "region": reviewer, "listing": offer, "match": match,
            "contact": contact, "agreement": agreement, "site": a_site, "want": want,
            "firm": a, "area": membership.agency.regions.first()}


def _pages(world) -> list[tuple[str, str]]:
    """(persona, path) for every portal page a person reads."""
    listing, site = world["listing"].pk, world["site"].pk
    contact, agreement = world["contact"].pk, world["agreement"].pk
    return [
        ("anon", reverse("home")), ("anon", reverse("about")),
        ("anon", reverse("accounts:login")), ("anon", reverse("accounts:signup")),
        ("anon", reverse("accounts:signup_done")), ("anon", reverse("accounts:password_reset")),
        ("anon", reverse("accounts:password_reset_done")),
        ("a", reverse("matching:dashboard")), ("a", reverse("matching:listing_create")),
        ("a", reverse("matching:listing_detail", args=[listing])),
        ("a", reverse("matching:listing_edit", args=[listing])),
        ("a", reverse("exchanges:listing_disclosure", args=[listing])),
        ("a", reverse("accounts:company")), ("a", reverse("accounts:sites")),
        ("a", reverse("accounts:site_create")),
        ("a", reverse("accounts:site_edit", args=[site])),
        ("a", reverse("exchanges:contact_inbox")), ("a", reverse("exchanges:pipeline")),
        ("a", reverse("exchanges:notifications")), ("a", reverse("exchanges:search")),
        ("a", reverse("exchanges:signatories")),
        ("a", reverse("exchanges:contact_detail", args=[contact])),
        ("a", reverse("exchanges:agreement_create", args=[contact])),
        ("a", reverse("exchanges:agreement_detail", args=[agreement])),
        ("a", reverse("exchanges:agreement_print", args=[agreement])),
        ("a", reverse("integrations:api_keys")), ("a", reverse("integrations:webhooks")),
        ("a", reverse("company_data")),
        ("b", reverse("exchanges:match_detail", args=[world["match"].pk])),
        ("a", reverse("matching:import_list")),
        ("anon", reverse("accounts:claim")),
        ("region", reverse("exchanges:contact_detail", args=[contact])),
        ("region", reverse("agency:matches")),
        ("region", reverse("agency:pair", args=[listing, world["want"].pk])),
        ("region", reverse("agency:dashboard")), ("region", reverse("agency:report_region")),
        ("region", reverse("agency:report_company", args=[world["firm"].pk])),
        ("region", reverse("agency:firms")),
        ("region", reverse("agency:firm_detail", args=[world["firm"].pk])),
        ("region", reverse("agency:region_activity")), ("region", reverse("agency:regions")),
        ("region", reverse("agency:region_edit", args=[world["area"].pk])),
        ("region", reverse("agency:staff")), ("region", reverse("agency:staff_activity")),
        ("region", reverse("agency:facility_profiles")),
        ("region", reverse("agency:facility_imports")),
    ]


def _session_cookie(user, url: str) -> list[dict]:
    client = Client()
    client.force_login(user)
    morsel = client.cookies[settings.SESSION_COOKIE_NAME]
    return [{"name": morsel.key, "value": morsel.value, "url": url}]


def test_every_portal_page_passes_axe(browser, live_server, world):
    script = AXE.read_text(encoding="utf-8")
    SHOTS.mkdir(parents=True, exist_ok=True)
    contexts = {}
    found = []
    try:
        for persona, path in _pages(world):
            if persona not in contexts:
                # The CSP forbids inline scripts; only the audit script is let in.
                context = browser.new_context(base_url=live_server.url, locale="en-GB",
                                              bypass_csp=True)
                if persona != "anon":
                    context.add_cookies(_session_cookie(world[persona], live_server.url))
                contexts[persona] = context.new_page()
            page = contexts[persona]
            response = page.goto(path)
            assert response.ok, f"{persona} {path}: {response.status} at {page.url}"
            assert page.url.endswith(path), f"{persona} {path} went to {page.url}"
            page.add_script_tag(content=script)
            result = page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']}))"
                ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
                " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))")
            bad = [v for v in result if v["impact"] in BLOCKING]
            if bad:
                name = path.strip("/").replace("/", "_") or "home"
                page.screenshot(path=str(SHOTS / f"{persona}-{name}.png"), full_page=True)
            found.extend(f"{persona} {path}: {v['impact']} {v['id']} ({v['help']}) at "
                         f"{', '.join(v['nodes'])}" for v in bad)
    finally:
        for page in contexts.values():
            page.context.close()
    assert not found, "axe-core violations:\n" + "\n".join(found)


def test_log_in_works_by_keyboard_alone(page, world):
    page.goto(reverse("accounts:login"))
    for _ in range(30):  # Tab to the e-mail field, wherever the header puts it
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "email":
            break
    page.keyboard.type("a@power.example")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/portal/")


def test_form_errors_are_announced_and_tied_to_their_field(page, world):
    """An alert says the form has errors; each field's error is in its aria-describedby."""
    page.goto(reverse("accounts:signup"))
    page.get_by_label("E-mail address").fill("new@firm.example")
    page.get_by_label("Password", exact=True).fill("12345678")
    page.get_by_label("Password again").fill("12345678")
    page.get_by_label("Company name").fill("New Firm Oy")
    page.get_by_label("Company name").press("Enter")  # submitted from the keyboard
    alert = page.get_by_role("alert").first
    alert.wait_for()
    assert "correct" in alert.inner_text()
    field = page.locator("#id_password1")
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby").split()
    errors = [page.locator(f"#{ref}").inner_text() for ref in described if "_error" in ref]
    assert errors and all(errors), described
    page.screenshot(path=str(SHOTS / "signup-errors.png"), full_page=True)
