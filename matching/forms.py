"""Forms of the portal. They check the shape of input; the services decide what is valid."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Company
from accounts.selectors import site_list_for_company
from matching import catalogue, rules
from matching.engine import MAX_DESCRIPTION_CHARS
from matching.models import Listing, MatchDismissal
from matching.quality import (
    CERTIFICATE_CHOICES,
    MAX_CONTAMINANTS_CHARS,
    clean_certificates,
    quality_fields_for,
)

EWC_DATALIST_ID = "ewc-codes"


def _blank(choices, label: str = "—") -> list:
    return [("", label), *choices]


def category_groups() -> list:
    """``category_choices()`` grouped under their top-level category, for <optgroup>s."""
    kb = catalogue.knowledge()
    groups: dict[str, list[tuple[str, str]]] = {}
    for slug, name in catalogue.category_choices():
        if not slug:
            continue
        category = kb.categories[slug]
        groups.setdefault(category.group, []).append((slug, name))
    choices: list = [("", _("— choose a category —"))]
    for group, members in groups.items():
        top = kb.categories[group].name
        if len(members) == 1:
            choices.append(members[0])
        else:
            choices.append((top, [(slug, name if slug != group else _("%(name)s (any)") % {
                "name": name}) for slug, name in members]))
    return choices


def ewc_options() -> list[tuple[str, str]]:
    """(display code, description) of every List of Waste entry, for a <datalist>."""
    kb = catalogue.knowledge()
    return [(catalogue.ewc_display(code), entry.description) for code, entry in kb.ewc.items()]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ListingForm(forms.Form):
    """An offer or a want. ``company`` limits the sites; ``editing`` fixes the kind."""

    kind = forms.ChoiceField(
        label=_("I want to list"),
        choices=[
            (Listing.Kind.OFFER, _("An offer — a waste stream, by-product or surplus")),
            (Listing.Kind.WANT, _("A want — an input I need")),
        ],
        widget=forms.RadioSelect,
        initial=Listing.Kind.OFFER,
    )
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=None, empty_label=None,
        help_text=_("Where the material arises, or where you need it."),
    )
    title = forms.CharField(
        label=_("Title"), max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Coal fly ash")}),
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=MAX_DESCRIPTION_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Composition, quality, how it is stored or delivered. Matching reads this."),
    )
    category = forms.ChoiceField(label=_("Material category"), required=False)
    ewc_code = forms.CharField(
        label=_("EWC code"), max_length=12, required=False,
        widget=forms.TextInput(
            attrs={"list": EWC_DATALIST_ID, "autocomplete": "off", "placeholder": "10 01 02"}
        ),
        help_text=_("European List of Waste entry, if one applies; “10 01 02” or “100102”."),
    )
    quantity = forms.DecimalField(
        label=_("Quantity"), required=False, min_value=0, max_digits=14, decimal_places=3,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0"}),
    )
    unit = forms.CharField(
        label=_("Unit"), required=False, max_length=20,
        help_text=_("t, kg, m3, l, MWh, kWh, GJ, MW, kW or unit with the frequency below, or a "
                    "rate that sets it: t/month, t/week, m3/day, MWh/year, kg/h."),
    )
    frequency = forms.ChoiceField(
        label=_("Frequency"), choices=Listing.Frequency.choices,
        initial=Listing.Frequency.YEARLY,
    )
    available_from = forms.DateField(label=_("Available from"), required=False, widget=DateInput)
    available_until = forms.DateField(
        label=_("Available until"), required=False, widget=DateInput,
        help_text=_("Leave empty if there is no end date."),
    )
    physical_state = forms.ChoiceField(
        label=_("Physical state"), required=False,
        choices=_blank(Listing.PhysicalState.choices),
    )
    temperature_c = forms.FloatField(
        label=_("Temperature (°C)"), required=False,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    pressure_bar = forms.FloatField(
        label=_("Pressure (bar)"), required=False,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0"}),
    )
    density_t_per_m3 = forms.FloatField(
        label=_("Density (t/m³)"), required=False,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0"}),
        help_text=_("Optional; lets an amount in tonnes be compared with one in m³."),
    )
    # Quality: asked for by category (``quality_map``); every one accepted whatever the
    # category, and checked by the model's validators in the service.
    moisture_pct = forms.FloatField(
        label=_("Moisture (%)"), required=False, min_value=0, max_value=100,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0", "max": "100"}),
        help_text=_("Offer: water content as delivered. Want: the most you can take."),
    )
    calorific_mj_per_kg = forms.FloatField(
        label=_("Calorific value (MJ/kg)"), required=False, min_value=0.1, max_value=150,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0.1", "max": "150"}),
        help_text=_("Net (lower) heating value as received. Want: the least you can use."),
    )
    particle_size_mm = forms.FloatField(
        label=_("Particle size (mm)"), required=False, min_value=0.001, max_value=2000,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0"}),
        help_text=_("Largest particle or piece. Want: the largest you can take."),
    )
    contaminants = forms.CharField(
        label=_("Purity or main contaminants"), required=False,
        max_length=MAX_CONTAMINANTS_CHARS,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. chlorine, PVC, glass")}),
        help_text=_("Comma-separated. Want: the contaminants you cannot take."),
    )
    certificates = forms.MultipleChoiceField(
        label=_("Certificates"), required=False, choices=CERTIFICATE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Offer: those the material holds. Want: those you require."),
    )
    hazardous = forms.BooleanField(
        label=_("The material is hazardous"), required=False,
        help_text=_("Set for you when the EWC code is an absolutely hazardous entry."),
    )
    accepts_hazardous = forms.BooleanField(
        label=_("We can accept hazardous input"), required=False,
        help_text=_("Wants only: you hold the permits to take hazardous material."),
    )
    max_distance_km = forms.FloatField(
        label=_("Max transport distance (km)"), initial=50,
        widget=forms.NumberInput(attrs={"step": "any", "min": "1", "max": "2000"}),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=Listing.Status.choices, initial=Listing.Status.ACTIVE,
        help_text=_("Only active listings are matched."),
    )

    energy_fields = ("temperature_c", "pressure_bar")

    def __init__(self, *args, company: Company, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = site_list_for_company(company=company)
        self.fields["category"].choices = category_groups()
        # A browser cuts pasted text at maxlength without a word: the server refuses it
        # instead, with a message naming the limit.
        for name in ("title", "description"):
            self.fields[name].widget.attrs.pop("maxlength", None)
        self.editing = editing
        if editing:
            # The service refuses to turn an offer into a want; don't offer it.
            self.fields["kind"].disabled = True

    def clean_ewc_code(self) -> str:
        try:
            return rules.clean_ewc_code(self.cleaned_data["ewc_code"])
        except ValidationError as exc:
            raise ValidationError(exc.error_dict["ewc_code"]) from None

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("unit"):
            # A rate ('t/month') says the frequency itself: it wins over the select.
            try:
                cleaned["unit"], implied = rules.clean_unit(unit=cleaned["unit"], frequency=None)
            except ValidationError as exc:
                self.add_error("unit", exc.error_dict["unit"])
            else:
                if implied:
                    cleaned["frequency"] = implied
        try:
            rules.validate_availability_window(
                available_from=cleaned.get("available_from"),
                available_until=cleaned.get("available_until"),
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned

    def clean_certificates(self) -> str:
        return clean_certificates(self.cleaned_data.get("certificates") or [])

    @staticmethod
    def quality_map() -> dict[str, list[str]]:
        """The quality fields asked for with each category slug ("" : none chosen), for
        the page's script."""
        kb = catalogue.knowledge()
        asked = {"": list(quality_fields_for(""))}
        for slug, category in kb.categories.items():
            asked[slug] = list(quality_fields_for(slug, group=category.group))
        return asked

    def asked_quality_fields(self) -> tuple[str, ...]:
        """The quality fields that matter for the category chosen (bound or initial)."""
        category = (self.data.get("category") if self.is_bound
                    else self.initial.get("category")) or ""
        kb = catalogue.knowledge()
        known = kb.categories.get(category)
        return quality_fields_for(category, group=known.group if known else "")

    def service_data(self) -> dict:
        """Cleaned values keyed as ``listing_create``/``listing_update`` expect them."""
        data = dict(self.cleaned_data)
        if self.editing:
            data.pop("kind", None)
        return data

    @staticmethod
    def initial_for(listing: Listing) -> dict:
        names = [name for name in ListingForm.base_fields if name != "site"]
        initial = {name: getattr(listing, name) for name in names}
        initial["site"] = listing.site_id
        if listing.quantity is not None:
            initial["quantity"] = f"{listing.quantity.normalize():f}"
        initial["ewc_code"] = catalogue.ewc_display(listing.ewc_code).rstrip("*")
        initial["certificates"] = [c for c in listing.certificates.split(",") if c]
        return initial


class DismissForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why is it not relevant?"),
                               choices=MatchDismissal.Reason.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Listing.Status.choices)


class DashboardFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"), required=False, max_length=100,
        widget=forms.SearchInput(attrs={"placeholder": _("Search your listings")}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=_blank(Listing.Kind.choices, _("Offers and wants"))
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_blank(Listing.Status.choices, _("Any status"))
    )
