"""The permission matrix's table and its walker (tests/reliability/test_permission_matrix.py).

Every URL pattern (from the URL resolver) and every API operation (from the OpenAPI schema)
has ONE row in ``PAGES`` or ``OPERATIONS``. A row says which of firm A's objects fills the
path's id and what each persona gets, as a string of six outcomes in the order of
``PERSONAS``::

    anon  a  b  region  other  staff
    "L    2  4  4       4      4"

- ``2``: a 2xx answer (allowed);
- ``3``: a redirect somewhere other than a log-in page (a page's POST that worked, say);
- ``L``: a redirect to a log-in page (the portal's or the admin's);
- ``H``: sent away without being served: a user with no firm to the page that registers
  one, agency staff with no firm to their region's matches;
- ``4``: a 4xx answer (refused, not found, method not allowed, invalid input);
- ``*``: anything but a 5xx (only where the persona's access is not the question).

A 5xx is always a failure.

Personas: ``anon`` (not logged in), ``a`` (the owner of firm A, which owns every object the
ids point at), ``b`` (the owner of firm B, whose want is matched with A's offer, no contact),
``region`` (a manager of the agency whose region holds A's site), ``other`` (a reviewer of
an agency of another region; on the agency's pages and API it also names the region's
agency with ``?agency=``, which must change nothing) and ``staff`` (platform staff:
``is_staff``, not a superuser, no firm).

Agency staff read the parties and stages of their region (a leaked message, attachment or
price fails the walk); anything of the region (A's name, the unclaimed profile, the
agency's staff and invitations) read by anyone but A and the region's staff fails it too.

Pages are called with GET and with POST (an empty form), API operations with their own
method (an empty JSON body). Each request runs in a transaction that is rolled back, so no
call changes what the next one sees.

To add an app's endpoints: run the matrix, copy the rows its failure message prints as
missing, fill in the outcomes, and say in ``obj`` which object of firm A the id is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PERSONAS = ("anon", "a", "b", "region", "other", "staff")


@dataclass(frozen=True)
class Page:
    """A portal URL pattern: outcomes for GET and for POST, the object its ids name.

    ``post=None`` leaves POST out (the admin's model pages: the same permission check
    answers both, and 140 patterns twice over would double the walk). ``bearer`` marks a
    path that holds a secret mailed to one person (an invitation): who has the link may
    read what it names, so the leak check does not apply.
    """

    get: str
    post: str | None
    obj: str | None = None
    kwargs: dict = field(default_factory=dict)
    bearer: bool = False


@dataclass(frozen=True)
class Op:
    """An API operation (its method is in the schema); the object its ids name."""

    expect: str
    obj: str | None = None


# Shorthands for the common rows.
PUBLIC = "2 2 2 2 2 2"        # anyone reads it
NOBODY = "4 4 4 4 4 4"        # a method the view does not take, or an empty body refused
BEFORE_LOGIN = "2 3 3 3 3 3"  # log-in and sign-up forms: who is logged in goes on
FIRM = "L 2 2 H H H"          # every firm's page of its own data; no firm: sent away
FIRM_DONE = "L 3 3 H H H"     # a firm's POST on its own data, done and redirected
OWN = "L 2 4 H H H"           # firm A's object: B refused, no firm: sent away
OWN_DONE = "L 3 4 H H H"      # a POST on firm A's object, done and redirected
POST_ONLY = "L 4 4 H H H"     # GET refused (405) for firms, no firm: sent away
PARTY = "L 2 4 2 4 4"         # a contact or agreement of A's: parties and region staff
PARTY_ONLY = "L 2 4 4 4 4"    # what only the parties see (prices, files, drafting)
PARTY_DONE = "L 3 4 4 4 4"    # a party's POST on a contact, agreement or delivery
PARTY_POST = "L 4 4 4 4 4"    # GET of a POST-only action on a contact (405)
API_OWN = "4 2 4 4 4 4"       # firm A's object through the API
API_FIRM = "4 2 2 4 4 4"      # a list or action every firm has for its own data
API_USER = "4 2 2 2 2 2"      # any logged-in user (agency and staff get their own, if any)
ADMIN = "L L L L L *"         # Django's admin: staff by model permission, others log in
# The agency's pages and API: staff of the region's agency; staff of another region's
# agency have their own lists (without this region's data) and a 404 on this region's
# objects; firms and platform staff (no agency) are refused.
AGENCY = "L 4 4 2 2 4"        # an agency list or form: every agency's staff, for their own
AGENCY_DONE = "L 4 4 3 3 4"   # an agency's POST on its own data, done and redirected
AGENCY_OBJ = "L 4 4 2 4 4"    # an object of the region: its agency only
AGENCY_OBJ_DONE = "L 4 4 3 4 4"  # a POST on an object of the region, done
MANAGER = "L 4 4 2 4 4"       # the agency's managers only (the region persona is one; the
                              # other region's is a reviewer: refused)
AGENCY_POST = "L 4 4 4 4 4"   # GET of a POST-only agency action (405), or refused
API_AGENCY = "4 4 4 2 2 4"    # an agency API list: every agency, its own regions' rows
API_AGENCY_OBJ = "4 4 4 2 4 4"  # an object of the region through the agency API

PAGES: dict[str, Page] = {
    # Project pages: everyone; a POST to them just renders the page again.
    "home": Page(get=BEFORE_LOGIN, post=BEFORE_LOGIN),
    "about": Page(get=PUBLIC, post=PUBLIC),
    "healthz": Page(get=PUBLIC, post=PUBLIC),
    "readyz": Page(get=PUBLIC, post=PUBLIC),
    "schema": Page(get=PUBLIC, post=NOBODY),
    "api-docs": Page(get=PUBLIC, post=NOBODY),
    "api-redoc": Page(get=PUBLIC, post=NOBODY),
    "api:api-root": Page(get=API_USER, post=NOBODY),
    # Accounts: the forms before log-in answer everyone; the rest is the firm's own.
    "accounts:signup": Page(get=BEFORE_LOGIN, post=BEFORE_LOGIN),
    "accounts:signup_done": Page(get=PUBLIC, post=NOBODY),
    "accounts:verify_email": Page(get="L 3 3 3 3 3", post=NOBODY, obj="verify_token"),
    "accounts:verify_email_resend": Page(get="L 4 4 4 4 4", post="L 3 3 3 3 3"),
    "accounts:login": Page(get=BEFORE_LOGIN, post=BEFORE_LOGIN),
    "accounts:logout": Page(get=NOBODY, post="3 3 3 3 3 3"),
    "accounts:password_reset": Page(get=PUBLIC, post=PUBLIC),
    "accounts:password_reset_done": Page(get=PUBLIC, post=NOBODY),
    "accounts:password_reset_confirm": Page(get=PUBLIC, post=PUBLIC, obj="reset",
                                            bearer=True),
    "accounts:password_reset_complete": Page(get=PUBLIC, post=NOBODY),
    "accounts:company": Page(get=FIRM, post=FIRM),
    "accounts:company_create": Page(get="L 3 3 2 2 2", post="L 3 3 2 2 2"),
    "accounts:invitation_create": Page(get=POST_ONLY, post=POST_ONLY),  # empty form: 400
    "accounts:invitation_revoke": Page(get=POST_ONLY, post=OWN_DONE, obj="invitation"),
    "accounts:invitation": Page(get=PUBLIC, post=PUBLIC, obj="invitation_token",
                                bearer=True),
    "accounts:sites": Page(get=FIRM, post=FIRM),
    # A firm's consent to an agency (on-behalf edits): the firm's owner decides.
    "accounts:agency_consent": Page(get=POST_ONLY, post=FIRM_DONE, obj="agency"),
    # Claiming an unclaimed profile: the form answers anyone (it names no firm); the
    # mailed link is a bearer secret.
    "accounts:claim": Page(get=PUBLIC, post=PUBLIC),
    "accounts:claim_link": Page(get=PUBLIC, post=PUBLIC, obj="claim_token", bearer=True),
    "accounts:site_create": Page(get=FIRM, post=FIRM),
    "accounts:site_edit": Page(get=OWN, post=OWN, obj="site"),
    # Matching's portal.
    "matching:dashboard": Page(get=FIRM, post=FIRM),
    "matching:listing_create": Page(get=FIRM, post=FIRM),
    "matching:listing_detail": Page(get=OWN, post=OWN, obj="listing"),
    "matching:listing_edit": Page(get=OWN, post=OWN, obj="listing"),
    "matching:listing_status": Page(get=POST_ONLY, post=OWN_DONE, obj="listing"),
    "matching:ewc_suggest": Page(get=FIRM, post=POST_ONLY),
    # Both firms of a match may dismiss it (each for itself).
    "matching:match_dismiss": Page(get=POST_ONLY, post=FIRM_DONE, obj="match"),
    # Listing imports: each firm's own jobs (the template file is the same for everyone).
    "matching:import_list": Page(get=FIRM, post=FIRM),
    "matching:import_template": Page(get=FIRM, post=POST_ONLY, kwargs={"fmt": "csv"}),
    "matching:import_detail": Page(get=OWN, post=POST_ONLY, obj="import_job"),
    "matching:import_status": Page(get=OWN, post=POST_ONLY, obj="import_job"),
    "matching:import_confirm": Page(get=POST_ONLY, post=OWN_DONE, obj="import_job"),
    # Exchanges: B sees the match with A anonymised (the leak check reads the page).
    "exchanges:match_detail": Page(get=FIRM, post=FIRM, obj="match"),
    "exchanges:match_contact": Page(get=POST_ONLY, post=FIRM_DONE, obj="match"),
    "exchanges:contact_inbox": Page(get=FIRM, post=FIRM),
    "exchanges:pipeline": Page(get=FIRM, post=FIRM),
    "exchanges:notifications": Page(get="L 2 2 2 2 2", post="L 3 3 3 3 3"),
    "exchanges:search": Page(get=FIRM, post=FIRM),
    "exchanges:signatories": Page(get=FIRM, post=FIRM_DONE),
    "exchanges:search_save": Page(get=POST_ONLY, post=FIRM_DONE),
    "exchanges:search_contact": Page(get=POST_ONLY, post=FIRM_DONE),
    "exchanges:listing_disclosure": Page(get=OWN, post=OWN, obj="listing"),
    "exchanges:contact_detail": Page(get=PARTY, post=PARTY, obj="contact"),
    "exchanges:agreement_create": Page(get=PARTY_ONLY, post=PARTY_ONLY, obj="contact"),
    "exchanges:contact_action": Page(get=PARTY_POST, post=PARTY_DONE, obj="contact",
                                     kwargs={"action": "message"}),
    "exchanges:attachment_download": Page(get=PARTY_ONLY, post=PARTY_ONLY, obj="attachment"),
    "exchanges:agreement_detail": Page(get=PARTY, post=PARTY, obj="agreement"),
    "exchanges:agreement_print": Page(get=PARTY_ONLY, post=PARTY_ONLY, obj="agreement"),
    "exchanges:agreement_action": Page(get=PARTY_POST, post=PARTY_DONE, obj="agreement",
                                       kwargs={"action": "complete"}),
    "exchanges:delivery_action": Page(get=PARTY_POST, post=PARTY_DONE, obj="delivery",
                                      kwargs={"action": "confirm"}),
    # The agency (agency/urls.py): region staff review pairs and see their firms.
    "agency:matches": Page(get=AGENCY, post=AGENCY),
    "agency:bulk": Page(get=AGENCY_POST, post=AGENCY_DONE),
    "agency:match": Page(get="L 4 4 3 4 4", post="L 4 4 3 4 4", obj="match"),
    "agency:pair": Page(get=AGENCY_OBJ, post=AGENCY_OBJ, obj="pair"),
    "agency:pair_action": Page(get=AGENCY_POST, post=AGENCY_OBJ_DONE, obj="pair",
                               kwargs={"action": "note"}),
    "agency:dashboard": Page(get=AGENCY, post=AGENCY),
    "agency:report_region": Page(get=AGENCY, post=AGENCY),
    "agency:report_company": Page(get=AGENCY_OBJ, post=AGENCY_OBJ, obj="firm"),
    "agency:firms": Page(get=AGENCY, post=AGENCY),
    "agency:firm_detail": Page(get=AGENCY_OBJ, post=AGENCY_OBJ, obj="firm"),
    "agency:firm_verify": Page(get=AGENCY_POST, post=AGENCY_OBJ_DONE, obj="firm"),
    "agency:firm_listing_create": Page(get=AGENCY_OBJ, post=AGENCY_OBJ, obj="firm"),
    "agency:firm_listing_edit": Page(get=AGENCY_OBJ, post=AGENCY_OBJ, obj="firm_listing"),
    "agency:region_activity": Page(get=AGENCY, post=AGENCY),
    "agency:regions": Page(get=AGENCY, post=AGENCY),
    "agency:region_create": Page(get=MANAGER, post=MANAGER),
    "agency:region_edit": Page(get=AGENCY_OBJ, post=AGENCY_OBJ, obj="region"),
    "agency:staff": Page(get=AGENCY, post=AGENCY),
    # An empty invitation form is refused (400) for the manager, other region's reviewer 403.
    "agency:staff_invite": Page(get=AGENCY_POST, post=AGENCY_POST),
    "agency:staff_invitation_revoke": Page(get=AGENCY_POST, post=AGENCY_OBJ_DONE,
                                           obj="staff_invitation"),
    "agency:staff_role": Page(get=AGENCY_POST, post=AGENCY_OBJ_DONE, obj="staff_membership"),
    "agency:staff_activity": Page(get=MANAGER, post=MANAGER),
    "agency:staff_invitation": Page(get=PUBLIC, post=PUBLIC, obj="staff_invitation_token",
                                    bearer=True),
    "agency:facility_profiles": Page(get=AGENCY, post=AGENCY_POST),
    "agency:facility_profile_domain": Page(get=AGENCY_POST, post=AGENCY_OBJ_DONE,
                                           obj="facility_profile"),
    "agency:facility_profile_claim": Page(get=AGENCY_POST, post=AGENCY_OBJ_DONE,
                                          obj="facility_profile"),
    "agency:facility_imports": Page(get=AGENCY, post=AGENCY),
    "agency:facility_import": Page(get=AGENCY_OBJ, post=AGENCY_POST, obj="facility_import"),
    "agency:facility_import_confirm": Page(get=AGENCY_POST, post=AGENCY_OBJ_DONE,
                                           obj="facility_import"),
    "agency:facility_import_status": Page(get=AGENCY_OBJ, post=AGENCY_POST,
                                          obj="facility_import"),
    # Integrations' pages (under /accounts/company/): each firm's own keys and hooks.
    "integrations:api_keys": Page(get=FIRM, post=FIRM),
    "integrations:api_key_revoke": Page(get=POST_ONLY, post=OWN_DONE, obj="api_key"),
    "integrations:webhooks": Page(get=FIRM, post=FIRM),
    "integrations:webhook_enable": Page(get=POST_ONLY, post=OWN_DONE, obj="webhook"),
    "integrations:webhook_replay": Page(get=POST_ONLY, post=OWN_DONE, obj="webhook_delivery"),
    # Data rights (symbiosis/datarights_views.py): each firm's owner, for its own firm;
    # a POST without the typed name is refused with a 400.
    "company_data": Page(get=FIRM, post="L 4 4 H H H"),
    "company_data_export": Page(get=FIRM, post=POST_ONLY),
    # Django's admin: the namespace row covers every model page; the rest answer anyone.
    "admin:*": Page(get=ADMIN, post=None),
    "admin:login": Page(get="2 2 2 2 2 3", post=PUBLIC),
    "admin:logout": Page(get="3 3 3 3 3 4", post="3 3 3 3 3 3"),
}

OPERATIONS: dict[str, Op] = {
    # Matching.
    "auth_token_obtain": Op("4 4 4 4 4 4"),
    "v1_categories_list": Op(PUBLIC),
    "v1_ewc_codes_list": Op(PUBLIC),
    "v1_ewc_codes_retrieve": Op(PUBLIC, obj="ewc_code"),
    "v1_ewc_codes_suggest_retrieve": Op(NOBODY),
    "v1_listings_list": Op(API_FIRM),
    "v1_listings_create": Op(NOBODY),
    "v1_listings_retrieve": Op(API_OWN, obj="listing"),
    "v1_listings_update": Op(NOBODY, obj="listing"),
    "v1_listings_partial_update": Op(API_OWN, obj="listing"),
    "v1_listings_destroy": Op(API_OWN, obj="listing"),
    "v1_listings_matches_list": Op(API_OWN, obj="listing"),
    "v1_matches_list": Op(API_FIRM),
    "v1_matches_retrieve": Op(API_FIRM, obj="match"),
    "v1_matches_dismiss_create": Op(NOBODY, obj="match"),
    "v1_sites_list": Op(API_FIRM),
    "v1_sites_create": Op(NOBODY),
    "v1_sites_retrieve": Op(API_OWN, obj="site"),
    "v1_sites_update": Op(NOBODY, obj="site"),
    "v1_sites_partial_update": Op(API_OWN, obj="site"),
    # Exchanges: parties read and act; region staff read parties and stage.
    "v1_contacts_list": Op(API_USER),
    "v1_contacts_create": Op(NOBODY),
    "v1_contacts_retrieve": Op("4 2 4 2 4 4", obj="contact"),
    "v1_contacts_accept_create": Op(NOBODY, obj="contact"),
    "v1_contacts_attachments_list": Op(API_OWN, obj="contact"),
    "v1_contacts_attachments_create": Op(NOBODY, obj="contact"),
    "v1_contacts_block_create": Op(API_OWN, obj="contact"),
    "v1_contacts_decline_create": Op(NOBODY, obj="contact"),
    "v1_contacts_feasibility_retrieve": Op(API_OWN, obj="contact"),
    "v1_contacts_feasibility_partial_update": Op(NOBODY, obj="contact"),
    "v1_contacts_messages_list": Op(API_OWN, obj="contact"),
    "v1_contacts_messages_create": Op(NOBODY, obj="contact"),
    "v1_contacts_stop_create": Op(NOBODY, obj="contact"),
    "v1_agreements_list": Op(API_USER),
    "v1_agreements_create": Op(NOBODY),
    "v1_agreements_retrieve": Op("4 2 4 2 4 4", obj="agreement"),
    "v1_agreements_partial_update": Op(NOBODY, obj="agreement"),
    "v1_agreements_activate_create": Op(NOBODY, obj="agreement"),
    "v1_agreements_complete_create": Op(API_OWN, obj="agreement"),
    "v1_agreements_deliveries_list": Op(API_OWN, obj="agreement"),
    "v1_agreements_deliveries_create": Op(NOBODY, obj="agreement"),
    "v1_agreements_propose_create": Op(NOBODY, obj="agreement"),
    "v1_agreements_sign_create": Op(NOBODY, obj="agreement"),
    "v1_agreements_terminate_create": Op(NOBODY, obj="agreement"),
    "v1_agreements_versions_list": Op(API_OWN, obj="agreement"),
    "v1_agreements_withdraw_create": Op(NOBODY, obj="agreement"),
    "v1_deliveries_list": Op(API_USER),
    "v1_deliveries_retrieve": Op(API_OWN, obj="delivery"),
    "v1_deliveries_confirm_create": Op(API_OWN, obj="delivery"),
    "v1_deliveries_dispute_create": Op(NOBODY, obj="delivery"),
    "v1_notifications_list": Op(API_USER),
    "v1_notifications_retrieve": Op(API_OWN, obj="notification"),
    "v1_notifications_read_create": Op(API_OWN, obj="notification"),
    "v1_notifications_read_all_create": Op(API_USER),
    "v1_searches_list": Op(API_FIRM),
    "v1_searches_create": Op(NOBODY),
    "v1_searches_retrieve": Op(API_OWN, obj="search"),
    "v1_searches_destroy": Op(API_OWN, obj="search"),
    "v1_searches_new_retrieve": Op(API_OWN, obj="search"),
    "v1_searches_run_retrieve": Op(API_FIRM),
    # Data rights: owners export their own firm; delete with an empty body is a 400.
    "v1_company_export_retrieve": Op(API_FIRM),
    "v1_company_delete_create": Op(NOBODY),
    # Listing imports: each firm's own jobs.
    "v1_imports_list": Op(API_FIRM),
    "v1_imports_create": Op(NOBODY),
    "v1_imports_retrieve": Op(API_OWN, obj="import_job"),
    "v1_imports_confirm_create": Op(API_OWN, obj="import_job"),
    # The agency's API: region staff read parties and stages, never the talk or prices.
    "v1_agency_matches_list": Op(API_AGENCY),
    "v1_agency_matches_retrieve": Op(API_AGENCY_OBJ, obj="match"),
    "v1_agency_matches_assign_create": Op(NOBODY, obj="match"),
    "v1_agency_matches_decision_create": Op(NOBODY, obj="match"),
    # An introduction's message is optional: the empty body introduces.
    "v1_agency_matches_introduce_create": Op(API_AGENCY_OBJ, obj="match"),
    "v1_agency_matches_note_create": Op(NOBODY, obj="match"),
    "v1_agency_decisions_bulk_create": Op(NOBODY),
    "v1_agency_impact_list": Op(API_AGENCY),
    "v1_agency_firms_list": Op(API_AGENCY),
    "v1_agency_firms_retrieve": Op(API_AGENCY_OBJ, obj="firm"),
    "v1_agency_firms_verify_create": Op(API_AGENCY_OBJ, obj="firm"),
    "v1_agency_firms_unverify_create": Op(API_AGENCY_OBJ, obj="firm"),
    "v1_agency_listings_list": Op(API_AGENCY),
    "v1_agency_listings_retrieve": Op(API_AGENCY_OBJ, obj="listing"),
    "v1_agency_contacts_list": Op(API_AGENCY),
    "v1_agency_contacts_retrieve": Op(API_AGENCY_OBJ, obj="contact"),
    "v1_agency_agreements_list": Op(API_AGENCY),
    "v1_agency_agreements_retrieve": Op(API_AGENCY_OBJ, obj="agreement"),
    "v1_agency_deliveries_list": Op(API_AGENCY),
    "v1_agency_deliveries_retrieve": Op(API_AGENCY_OBJ, obj="delivery"),
    "v1_agency_facilities_list": Op(API_AGENCY),
    "v1_agency_facilities_retrieve": Op(API_AGENCY_OBJ, obj="facility_profile"),
    "v1_agency_facilities_domain_create": Op(NOBODY, obj="facility_profile"),
    # Staff claim a profile for the firm; the owner's address is optional.
    "v1_agency_facilities_claim_create": Op(API_AGENCY_OBJ, obj="facility_profile"),
    "v1_agency_facility_imports_list": Op(API_AGENCY),
    "v1_agency_facility_imports_create": Op(NOBODY),
    "v1_agency_facility_imports_retrieve": Op(API_AGENCY_OBJ, obj="facility_import"),
    "v1_agency_facility_imports_confirm_create": Op(API_AGENCY_OBJ, obj="facility_import"),
    # Integrations.
    "v1_webhooks_list": Op(API_FIRM),
    "v1_webhooks_create": Op(NOBODY),
    "v1_webhooks_retrieve": Op(API_OWN, obj="webhook"),
    "listings_bulk": Op(NOBODY),
    "listings_external_retrieve": Op(API_OWN, obj="external_id"),
    "listings_external_replace": Op(NOBODY, obj="external_id"),
    "listings_external_close": Op(API_OWN, obj="external_id"),
}
