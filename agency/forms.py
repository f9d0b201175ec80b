"""Forms of the agency's firm, region and staff pages: shape only, the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.geocoding import countries
from accounts.models import AgencyMembership

MAX_GEOJSON_BYTES = 2_000_000


class RegionForm(forms.Form):
    """A region: its name and country, and either a boundary or towns with a radius."""

    SHAPES = [("towns", _("Towns with a radius")), ("polygon", _("A boundary (GeoJSON polygon)"))]

    name = forms.CharField(label=_("Name"), max_length=120)
    country = forms.ChoiceField(label=_("Country"), help_text=_("Towns are looked up here."))
    shape = forms.ChoiceField(label=_("The region is"), choices=SHAPES,
                              widget=forms.RadioSelect, initial="towns")
    towns = forms.CharField(
        label=_("Towns"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One a line, e.g. “Tampere”; or “Tampere: 61.4978, 23.7610” to give the "
                    "coordinates yourself."),
    )
    radius_km = forms.FloatField(
        label=_("Radius around each town (km)"), required=False, min_value=0.1, max_value=500,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0.1", "max": "500"}),
    )
    boundary = forms.CharField(
        label=_("Boundary (GeoJSON)"), required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "mono"}),
        help_text=_("A Polygon, MultiPolygon, Feature or FeatureCollection, coordinates as "
                    "[longitude, latitude]; or upload a file below."),
    )
    boundary_file = forms.FileField(
        label=_("Upload a GeoJSON file"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".geojson,.json,application/geo+json"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = countries()
        # The chosen shape's inputs are required, the other shape's are not (an unbound
        # form marks both, so the page calls neither optional; the script shows one).
        chosen = self.data.get("shape") if self.is_bound else None
        for name in ("towns", "radius_km"):
            self.fields[name].required = chosen in (None, "towns")
        self.fields["boundary"].required = (chosen in (None, "polygon")
                                            and not self.files.get("boundary_file"))
        self.fields["towns"].error_messages["required"] = _(
            "List at least one town, one a line.")
        self.fields["radius_km"].error_messages["required"] = _(
            "Give the radius around the towns in km.")
        self.fields["boundary"].error_messages["required"] = _(
            "Paste, draw or upload the region's boundary.")

    def clean(self) -> dict:
        cleaned = super().clean()
        upload = cleaned.get("boundary_file")
        if upload:
            if upload.size > MAX_GEOJSON_BYTES:
                self.add_error("boundary_file", _("The file is larger than 2 MB."))
            else:
                try:
                    cleaned["boundary"] = upload.read().decode("utf-8-sig")
                except UnicodeDecodeError:
                    self.add_error("boundary_file", _("The file is not UTF-8 text."))
        quiet = not ({"boundary", "boundary_file"} & set(self.errors))
        if cleaned.get("shape") == "polygon" and not (cleaned.get("boundary") or "").strip() \
                and quiet:
            self.add_error("boundary", _("Paste, draw or upload the region's boundary."))
        return cleaned


class StaffInviteForm(forms.Form):
    email = forms.EmailField(label=_("Colleague's e-mail address"),
                             widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(
        label=_("Role"), choices=AgencyMembership.Role.choices,
        initial=AgencyMembership.Role.REVIEWER,
        help_text=_("Reviewers work the queue and the firms; managers also edit regions and "
                    "invite staff."),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=AgencyMembership.Role.choices)
