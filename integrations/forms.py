from django import forms
from django.utils.translation import gettext_lazy as _

from integrations.models import ApiKey


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("The system that will use it, e.g. “SAP production”."))
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=ApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple,
        initial=[ApiKey.Scope.READ],
    )
