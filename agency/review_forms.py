"""Forms of the review queue and the pair page (shape only; services hold the rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from agency.models import Decision
from agency.selectors import SORTS, STATUSES, QueueFilters
from symbiosis import reference

STATUS_LABELS = {
    "undecided": _("Undecided"), "approved": _("Approved"), "rejected": _("Rejected"),
    "held": _("On hold"), "introduced": _("Introduced"),
}
SORT_LABELS = {"score": _("Score"), "impact": _("Estimated impact")}


def _divisions() -> list[tuple[str, str]]:
    titles = reference.nace_titles()
    return [(code, f"{code} {title}") for code, title in titles.items()
            if len(code) == 2 and code.isdigit()]


class QueueFilterForm(forms.Form):
    """The queue's filters (GET): the same names as the API's query parameters."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.ChoiceField(label=_("Material category"), required=False)
    ewc_chapter = forms.RegexField(label=_("EWC chapter"), required=False, regex=r"^\d{2}$",
                                   max_length=2, help_text=_("Two digits, e.g. 10."))
    min_score = forms.FloatField(label=_("Score at least"), required=False, min_value=0,
                                 max_value=1, help_text=_("0 to 1, e.g. 0.5."))
    max_distance_km = forms.FloatField(label=_("Within (km)"), required=False, min_value=0)
    status = forms.ChoiceField(label=_("Status"), required=False)
    sector = forms.ChoiceField(label=_("Sector (NACE division)"), required=False)
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False)

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        from matching import catalogue

        self.fields["category"].choices = catalogue.category_choices()
        self.fields["status"].choices = [("", _("Any"))] + [
            (s, STATUS_LABELS[s]) for s in STATUSES]
        self.fields["sector"].choices = [("", _("Any"))] + _divisions()
        self.fields["assignee"].choices = [("", _("Anyone")), ("none", _("Nobody"))] + [
            (str(u.pk), u.get_full_name() or u.email) for u in staff]
        self.fields["sort"].choices = [(s, SORT_LABELS[s]) for s in SORTS]

    def filters(self) -> QueueFilters:
        # An invalid field is left out (and shown with its error); the others still apply.
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return QueueFilters(
            search=(data.get("q") or "").strip(), category=data.get("category") or "",
            ewc_chapter=data.get("ewc_chapter") or "", min_score=data.get("min_score"),
            max_distance_km=data.get("max_distance_km"), status=data.get("status") or "",
            sector=data.get("sector") or "", assignee=data.get("assignee") or None,
            sort=data.get("sort") or "score",
        )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.Verdict.choices)
    reason = forms.ChoiceField(label=_("Reason"), required=False,
                               choices=[("", "—")] + list(Decision.Reason.choices))
    note = forms.CharField(label=_("Note"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class AssignForm(forms.Form):
    assigned_to = forms.ChoiceField(label=_("Assign to"), required=False)

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = [("", _("Nobody"))] + [
            (str(u.pk), u.get_full_name() or u.email) for u in staff]


class IntroduceForm(forms.Form):
    message = forms.CharField(
        label=_("Introduction"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Both firms read this with the request; it names your agency."))


class BulkForm(forms.Form):
    """An action on the pairs ticked in the queue (``pair`` values: "offer-want")."""

    ACTIONS = [("approve", _("Approve")), ("reject", _("Reject")), ("hold", _("Hold")),
               ("assign", _("Assign"))]

    action = forms.ChoiceField(label=_("With the selected"), choices=ACTIONS)
    reason = forms.ChoiceField(label=_("Reason (to reject)"), required=False,
                               choices=[("", "—")] + list(Decision.Reason.choices))
    assigned_to = forms.ChoiceField(label=_("Assign to"), required=False)

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = [("", _("Nobody"))] + [
            (str(u.pk), u.get_full_name() or u.email) for u in staff]
