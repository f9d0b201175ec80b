"""Labels for the learned ranker: what decisions say about (offer, want) pairs.

``label_record`` is the one way in. Matching calls it for its own dismissals; the higher
apps call it for theirs (matching cannot subscribe to them: it must not import them):
exchanges when a contact is accepted and when an agreement is signed by both firms, the
agency app when staff approve or reject a match.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Agency, Company, User
from matching.models import Listing, Match, MatchLabel

Source = MatchLabel.Source

# What each source says about the pair.
POSITIVE = {
    Source.AGENCY_APPROVE: True,
    Source.AGENCY_REJECT: False,
    Source.DISMISSAL: False,
    Source.CONTACT_ACCEPTED: True,
    Source.AGREEMENT_SIGNED: True,
}
# Facts of the pair, whoever brought them about: one label per pair and source.
PAIR_FACTS = frozenset({Source.CONTACT_ACCEPTED, Source.AGREEMENT_SIGNED})
# A decider's new decision replaces its opposite (an agency that approves, then rejects).
OPPOSITE = {Source.AGENCY_APPROVE: Source.AGENCY_REJECT,
            Source.AGENCY_REJECT: Source.AGENCY_APPROVE}
# When one pair has labels of several sources, the strongest evidence decides (then the
# newest): a signed agreement outweighs an accepted contact, which outweighs an agency's
# view, which outweighs a firm's dismissal.
STRENGTH = {Source.AGREEMENT_SIGNED: 3, Source.CONTACT_ACCEPTED: 2,
            Source.AGENCY_APPROVE: 1, Source.AGENCY_REJECT: 1, Source.DISMISSAL: 0}


def _decider(source: str, company: Company | None, agency: Agency | None) -> str:
    if source in PAIR_FACTS:
        return ""
    if agency is not None:
        return f"agency:{agency.pk}"
    if company is not None:
        return f"company:{company.pk}"
    raise ValidationError(_("A decision needs the firm or the agency that made it."))


@transaction.atomic
def label_record(
    *,
    offer_id: int,
    want_id: int,
    source: str,
    company: Company | None = None,
    agency: Agency | None = None,
    user: User | None = None,
    note: str = "",
    components: dict[str, float] | None = None,
    score: float | None = None,
) -> MatchLabel | None:
    """Record what a decision says about the pair (``offer_id``, ``want_id``).

    ``source`` (a ``MatchLabel.Source`` value) says what happened and so whether the pair
    is good: ``"agency_approve"`` (positive), ``"agency_reject"`` (negative),
    ``"dismissal"`` (negative; a firm's "not relevant"), ``"contact_accepted"`` and
    ``"agreement_signed"`` (positive). Who decided: ``agency`` for an agency's decision
    (required for ``agency_approve`` / ``agency_reject``), ``company`` for a firm's,
    ``user`` the person; ``note`` free text (e.g. a rejection reason), cut to 500.

    ``components`` and ``score``: the pair's score components and score when it was
    decided; by default those of its stored match (and the ranker that ranked it). A pair
    without a match row keeps empty components, filled in from the current model when the
    ranker is trained.

    Idempotent per (pair, source, decider): deciding again updates the label, and an
    agency's approval replaces its own rejection of the pair and the reverse. Call it
    inside the service that makes the decision (same transaction: the label is rolled
    back with it). Returns ``None``, recording nothing, for a pair of benchmark listings
    (``Listing.benchmark``): benchmark pairs are never labels. Raises ``ValidationError``
    for an unknown source, a missing decider, or listings that are not an offer and a
    want.
    """
    if source not in POSITIVE:
        raise ValidationError({"source": _("Unknown label source “%(source)s”.")
                               % {"source": source}})
    if source in OPPOSITE and agency is None:
        raise ValidationError({"agency": _("An agency decision needs its agency.")})
    decider = _decider(source, company, agency)
    kinds = dict(Listing.objects.filter(id__in=(offer_id, want_id))
                 .values_list("id", "kind"))
    if kinds.get(offer_id) != Listing.Kind.OFFER or kinds.get(want_id) != Listing.Kind.WANT:
        raise ValidationError(_("A label needs an offer and a want."))
    if Listing.objects.filter(id__in=(offer_id, want_id), benchmark=True).exists():
        return None
    ranker = ""
    if components is None:
        match = (Match.objects.filter(offer_id=offer_id, want_id=want_id)
                 .values("components", "score", "ranker_version").first())
        if match is not None:
            components, ranker = match["components"], match["ranker_version"]
            score = match["score"] if score is None else score
    if source in OPPOSITE:
        MatchLabel.objects.filter(offer_id=offer_id, want_id=want_id,
                                  source=OPPOSITE[source], decider=decider).delete()
    label, _created = MatchLabel.objects.update_or_create(
        offer_id=offer_id,
        want_id=want_id,
        source=source,
        decider=decider,
        defaults={
            "positive": POSITIVE[source],
            "company": company,
            "agency": agency,
            "user": user,
            "note": note[:500],
            "components": dict(components or {}),
            "score": score,
            "ranker_version": ranker,
        },
    )
    return label


def label_pairs(labels) -> dict[tuple[int, int], MatchLabel]:
    """One label per pair: the strongest source's (``STRENGTH``), the newest among equals."""
    chosen: dict[tuple[int, int], MatchLabel] = {}
    for label in labels:
        key = (label.offer_id, label.want_id)
        other = chosen.get(key)
        if other is None or (STRENGTH[label.source], label.updated_at, label.id) > (
                STRENGTH[other.source], other.updated_at, other.id):
            chosen[key] = label
    return chosen
