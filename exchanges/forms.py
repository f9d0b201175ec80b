"""Forms of the exchanges pages; services validate again (one rule, one place)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from exchanges.models import (
    AgreementVersion,
    Attachment,
    Contact,
    Delivery,
    FeasibilityItem,
    ListingDisclosure,
)


class ContactRequestForm(forms.Form):
    message = forms.CharField(
        label=_("Message"), max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The other firm sees your message and your listing, not your name, "
                    "until it accepts."),
    )


class DeclineForm(forms.Form):
    note = forms.CharField(label=_("Reason"), max_length=500, required=False)


class StopForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Contact.StopReason.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))
    kind = forms.ChoiceField(label=_("Kind"), choices=Attachment.Kind.choices)


class FeasibilityForm(forms.ModelForm):
    class Meta:
        model = FeasibilityItem
        fields = ["done", "legal_status", "permit_reference", "transport_document_reference",
                  "cost_estimate", "currency", "decision", "note"]


class TermsForm(forms.ModelForm):
    class Meta:
        model = AgreementVersion
        fields = list(AgreementVersion.TERMS)
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "quality_specification": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"price_per_unit": _("Negative for a gate fee the supplier pays.")}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class DeliveryForm(forms.ModelForm):
    class Meta:
        model = Delivery
        fields = ["date", "quantity", "unit", "note"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}


class DisclosureForm(forms.ModelForm):
    class Meta:
        model = ListingDisclosure
        fields = ["visibility", "quantity_shown"]
        widgets = {"visibility": forms.RadioSelect, "quantity_shown": forms.RadioSelect}


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Words"), required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Offers or wants"), required=False, choices=[
        ("", _("Both")), ("offer", _("Offers")), ("want", _("Wants"))])
    category = forms.ChoiceField(label=_("Material category"), required=False)
    ewc_chapter = forms.RegexField(label=_("EWC chapter"), required=False, regex=r"^\d{2}$",
                                   max_length=2, help_text=_("Two digits, e.g. 10."))
    site = forms.TypedChoiceField(label=_("From my site"), required=False, coerce=int,
                                  empty_value=None)
    distance_km = forms.TypedChoiceField(
        label=_("Within"), required=False, coerce=int, empty_value=None,
        choices=[("", _("any distance"))] + [(d, f"{d} km") for d in (10, 25, 50, 100, 200)])

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        from matching import catalogue

        self.fields["category"].choices = catalogue.category_choices()
        self.fields["site"].choices = [("", _("—"))] + [
            (s.pk, f"{s.name} ({s.city})") for s in company.sites.order_by("name")]


class SearchContactForm(forms.Form):
    listing = forms.IntegerField(widget=forms.HiddenInput)
    own_listing = forms.TypedChoiceField(label=_("With my listing"), coerce=int)
    message = forms.CharField(label=_("Message"), max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 2}))
