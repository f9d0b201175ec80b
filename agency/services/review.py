"""Writes of the review queue: decisions, notes, assignments, introductions, bulk.

Each names the (offer, want) pair and the agency; the caller resolves a current match id
to its pair. Every change is a new row with who and when (the current state is the latest
row), so a decision survives every rematch. Approval is advice: nothing here gates what
firms may do with a pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, User
from accounts.selectors import agency_list_for_user
from agency import selectors
from agency.models import Assignment, Decision, Introduction, ReviewNote
from exchanges import services as exchange_services
from matching import services as matching_services
from matching.models import Listing, MatchLabel

_LABELS = {Decision.Verdict.APPROVE: MatchLabel.Source.AGENCY_APPROVE,
           Decision.Verdict.REJECT: MatchLabel.Source.AGENCY_REJECT}

TEXT_MAX = 1000
NOTE_MAX = 2000


def _require_staff(agency: Agency, user: User) -> None:
    if not agency_list_for_user(user=user).filter(pk=agency.pk).exists():
        raise PermissionDenied(_("Only the agency's staff can review its pairs."))


def _require_pair(agency: Agency, offer: Listing, want: Listing) -> None:
    if selectors.pair_get_for_agency(agency=agency, offer_id=offer.pk, want_id=want.pk) is None:
        raise PermissionDenied(_("This pair is not in the agency's regions."))


def _checked(agency: Agency, user: User, offer: Listing, want: Listing) -> None:
    _require_staff(agency, user)
    _require_pair(agency, offer, want)


@transaction.atomic
def decision_record(*, agency: Agency, user: User, offer: Listing, want: Listing,
                    decision: str, reason: str = "", text: str = "") -> Decision:
    """Store the agency's decision on a pair (approve, reject with a reason, hold): a new
    row, so the history keeps who decided what and when."""
    _checked(agency, user, offer, want)
    if decision not in Decision.Verdict.values:
        raise ValidationError({"decision": _("Choose approve, reject or hold.")})
    reason = (reason or "").strip()
    if reason and reason not in Decision.Reason.values:
        raise ValidationError({"reason": _("Choose a reason from the list.")})
    if decision == Decision.Verdict.REJECT and not reason:
        raise ValidationError({"reason": _("Say why the pair is rejected.")})
    text = (text or "").strip()
    if len(text) > TEXT_MAX:
        raise ValidationError({"note": _("Keep the note under %(n)d characters.")
                               % {"n": TEXT_MAX}})
    match = selectors.match_for_pair(offer=offer, want=want)
    made = Decision.objects.create(
        agency=agency, offer=offer, want=want, decision=decision, reason=reason, text=text,
        decided_by=user, decided_at=timezone.now(),
        score=match.score if match is not None else None,
        components=dict(match.components) if match is not None else {},
    )
    # Approvals and rejections teach the learned ranker (a hold says neither); the
    # agency's newer verdict replaces its older one on the pair.
    source = _LABELS.get(decision)
    if source is not None:
        matching_services.label_record(
            offer_id=offer.pk, want_id=want.pk, source=source, agency=agency, user=user,
            note=reason, components=made.components if match is not None else None,
            score=made.score)
    return made


@transaction.atomic
def review_note_add(*, agency: Agency, user: User, offer: Listing, want: Listing,
                    text: str) -> ReviewNote:
    """A note on a pair for the agency's staff."""
    _checked(agency, user, offer, want)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("The note is empty.")})
    if len(text) > NOTE_MAX:
        raise ValidationError({"text": _("Keep the note under %(n)d characters.")
                               % {"n": NOTE_MAX}})
    return ReviewNote.objects.create(agency=agency, offer=offer, want=want, author=user,
                                     text=text, created_at=timezone.now())


@transaction.atomic
def review_assign(*, agency: Agency, user: User, offer: Listing, want: Listing,
                  assigned_to: User | None) -> Assignment:
    """Hand a pair to a colleague of the same agency (None: to nobody)."""
    _checked(agency, user, offer, want)
    if assigned_to is not None and not selectors.staff_list_for_agency(
            agency=agency).filter(pk=assigned_to.pk).exists():
        raise ValidationError({"assigned_to": _("Choose a member of the agency's staff.")})
    return Assignment.objects.create(agency=agency, offer=offer, want=want,
                                     assigned_to=assigned_to, assigned_by=user,
                                     assigned_at=timezone.now())


@transaction.atomic
def introduction_create(*, agency: Agency, user: User, offer: Listing, want: Listing,
                        message: str = "") -> Introduction:
    """Put the pair's two firms in touch: exchanges makes a contact both must accept,
    naming the agency; names are revealed once both have accepted."""
    _checked(agency, user, offer, want)
    contact = exchange_services.contact_introduce(agency=agency, user=user, offer=offer,
                                                  want=want, message=message)
    return Introduction.objects.create(agency=agency, offer=offer, want=want,
                                       introduced_by=user, introduced_at=timezone.now(),
                                       message=(message or "").strip(), contact=contact)


@dataclass
class BulkResult:
    """One item of a bulk request: what it named, and the row made or the errors."""

    index: int
    match: int | None
    ok: bool
    decision: Decision | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def _errors_of(exc: ValidationError | PermissionDenied) -> dict[str, list[str]]:
    if isinstance(exc, PermissionDenied):
        return {"match": [str(exc) or _("Not allowed.")]}
    if hasattr(exc, "error_dict"):
        return {name: [str(m) for m in errors] for name, errors in
                ((k, ValidationError(v).messages) for k, v in exc.error_dict.items())}
    return {"non_field_errors": exc.messages}


@transaction.atomic
def decision_bulk(*, agency: Agency, user: User, items: list[dict[str, Any]]
                  ) -> list[BulkResult]:
    """Record many decisions at once, each on its own: an item that fails (unknown pair,
    missing reason) leaves the others stored. Items: ``offer`` and ``want`` listings (or
    ``None`` with ``error`` when the caller could not resolve them), ``match`` (the id
    asked for), ``decision``, ``reason``, ``note``."""
    _require_staff(agency, user)
    results = []
    for index, item in enumerate(items):
        result = BulkResult(index=index, match=item.get("match"), ok=False)
        if item.get("offer") is None or item.get("want") is None:
            result.errors = {"match": [item.get("error") or _("No such match in your "
                                                              "regions.")]}
            results.append(result)
            continue
        try:
            with transaction.atomic():
                result.decision = decision_record(
                    agency=agency, user=user, offer=item["offer"], want=item["want"],
                    decision=item.get("decision", ""), reason=item.get("reason", ""),
                    text=item.get("note", ""))
            result.ok = True
        except (ValidationError, PermissionDenied) as exc:
            result.errors = _errors_of(exc)
        results.append(result)
    return results
