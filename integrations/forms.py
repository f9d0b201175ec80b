from django import forms
from django.utils.translation import gettext_lazy as _

from integrations.models import ApiKey, WebhookEndpoint


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("The system that will use it, e.g. “SAP production”."))
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=ApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple,
        initial=[ApiKey.Scope.READ],
    )


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(label=_("HTTPS address"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEndpoint.Event.choices,
        widget=forms.CheckboxSelectMultiple,
    )
