"""Dismissals: a firm hides a match from itself for good (kept as a negative label)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Company, User
from matching.models import Match, MatchDismissal, MatchLabel
from matching.services.labels import label_record


@transaction.atomic
def match_dismiss(
    *, match: Match, company: Company, user: User | None, reason: str, note: str = ""
) -> MatchDismissal:
    """Hide a match from one side for good; the pair becomes a negative label
    (``label_record``, with the match's components)."""
    if reason not in MatchDismissal.Reason.values:
        raise ValidationError({"reason": _("Choose a reason from the list.")})
    if company.id not in (match.offer.company_id, match.want.company_id):
        raise ValidationError(_("Only a party to this match can dismiss it."))
    dismissal, _created = MatchDismissal.objects.update_or_create(
        offer=match.offer,
        want=match.want,
        company=company,
        defaults={
            "user": user,
            "reason": reason,
            "note": note[:500],
            "components": match.components,
            "score": match.score,
        },
    )
    label_record(offer_id=match.offer_id, want_id=match.want_id,
                 source=MatchLabel.Source.DISMISSAL, company=company, user=user,
                 note=reason, components=match.components, score=match.score)
    return dismissal
