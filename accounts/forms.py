"""Forms of the accounts pages. They check shape only; the services decide the rest."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.geocoding import countries
from accounts.models import Company, Membership, nace_validator

NACE_DATALIST_ID = "nace-codes"


def add_service_errors(
    form: forms.Form,
    error: ValidationError,
    *,
    field_map: Mapping[str, str] | None = None,
    fallback: str | None = None,
) -> None:
    """Put a service's ValidationError on the form's fields, so the page shows it, not a 500.

    ``field_map`` renames model fields to form fields; errors on fields the form does not
    have (and errors without a field) go to ``fallback``, or to the form as a whole.
    """
    field_map = field_map or {}
    if not hasattr(error, "error_dict"):
        form.add_error(fallback if fallback in form.fields else None, error)
        return
    for name, errors in error.error_dict.items():
        target = field_map.get(name, name)
        if target not in form.fields:
            target = fallback if fallback in form.fields else None
        for item in errors:
            form.add_error(target, item)


def _nace_field() -> forms.CharField:
    return forms.CharField(
        label=_("Sector (NACE Rev. 2 code)"),
        max_length=5,
        required=False,
        validators=[nace_validator],
        help_text=_("Start typing a code or a word, e.g. 23.51 or “cement”."),
        widget=forms.TextInput(
            attrs={"list": NACE_DATALIST_ID, "autocomplete": "off", "placeholder": "23.51"}
        ),
    )


class SignUpForm(forms.Form):
    """Everything needed to open an account for a person and their company at once."""

    email = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    full_name = forms.CharField(
        label=_("Your name"), max_length=150, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters; not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    company_name = forms.CharField(
        label=_("Company name"), max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    nace_code = _nace_field()
    registration_number = forms.CharField(
        label=_("Business registration number"), max_length=50, required=False,
        help_text=_("For example a Business ID (Y-tunnus) or a VAT number."),
    )

    # Model field names the service may report, as this form calls them.
    service_field_map = {"name": "company_name", "password": "password1"}

    def clean(self) -> dict:
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        return cleaned


class InvitationForm(forms.Form):
    """An owner invites a colleague by e-mail, as owner or member."""

    email = forms.EmailField(
        label=_("Colleague's e-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(
        label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER,
        help_text=_("Owners edit the profile, invite people and choose who signs."),
    )


class InvitationSignUpForm(forms.Form):
    """An account for an invited address: the address comes from the invitation."""

    full_name = forms.CharField(
        label=_("Your name"), max_length=150, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}),
    )
    password1 = forms.CharField(
        label=_("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters; not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    service_field_map = {"password": "password1"}

    def clean(self) -> dict:
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        return cleaned


class EmailAuthenticationForm(AuthenticationForm):
    """Django's log-in form, asking for the e-mail address the account was opened with."""

    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class CompanyForm(forms.ModelForm):
    """The company profile an owner may edit."""

    nace_code = _nace_field()
    website = forms.URLField(
        label=_("Website"), required=False, max_length=200, assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )

    class Meta:
        model = Company
        fields = ["name", "nace_code", "registration_number", "website", "description"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "description": _("What you make and what you handle; helps partners and agencies."),
        }


class SiteForm(forms.Form):
    """Where a site is. Its position is found from the town; coordinates are optional."""

    name = forms.CharField(
        label=_("Site name"), max_length=200,
        help_text=_("How your colleagues call it, e.g. “Main works” or “Harbour terminal”."),
    )
    address = forms.CharField(label=_("Street address"), max_length=255, required=False)
    city = forms.CharField(label=_("Town or city"), max_length=120)
    country = forms.ChoiceField(label=_("Country"), initial="FI")
    latitude = forms.FloatField(
        label=_("Latitude"), required=False, min_value=-90, max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "placeholder": "61.4851"}),
    )
    longitude = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "placeholder": "21.7974"}),
    )

    advanced_fields = ("latitude", "longitude")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = countries()

    def clean(self) -> dict:
        cleaned = super().clean()
        lat, lon = cleaned.get("latitude"), cleaned.get("longitude")
        typo = self.has_error("latitude") or self.has_error("longitude")
        if (lat is None) != (lon is None) and not typo:
            missing = "longitude" if lon is None else "latitude"
            self.add_error(missing, _("Give both coordinates, or leave both empty."))
        return cleaned
