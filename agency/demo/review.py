"""The review queue's demo part: the demo reviewer's decisions (approved, rejected, held),
notes, an assignment and one introduction in the demo region.

Everything goes through the agency's services, as the pages do. The demo firm
(demo@firm.example) gets an approved pair ("reviewed by the agency" on its match page) and
an introduction in its contacts. Idempotent: once the demo agency has decided anything,
a second run writes nothing.
"""

from __future__ import annotations

from typing import TextIO

from accounts.models import Membership, User
from agency import selectors, services
from agency.models import Decision
from exchanges import selectors as exchange_selectors

REVIEWER_EMAIL = "reviewer@agency.example"
FIRM_EMAIL = "demo@firm.example"


def _open_contact(match) -> bool:
    return exchange_selectors.contact_open_for_pair(offer=match.offer,
                                                    want=match.want) is not None


def review_part(*, stdout: TextIO | None = None) -> tuple[str, ...]:
    reviewer = User.objects.filter(email=REVIEWER_EMAIL).first()
    agency = selectors.agency_for_staff(user=reviewer) if reviewer else None
    if agency is None:
        return ("  Review queue demo skipped: no demo reviewer (load the matching demo).",)
    if Decision.objects.filter(agency=agency).exists():
        return (f"  Review queue: {agency.name} has reviewed pairs already; "
                "/agency/ as the reviewer.",)
    firm = (Membership.objects.filter(user__email=FIRM_EMAIL)
            .values_list("company_id", flat=True).first())
    # Pairs nobody is talking about yet, best first (the exchanges demo opened some).
    free = [m for m in selectors.review_queue(agency=agency)[:200] if not _open_contact(m)]
    firms = [m for m in free if firm in (m.offer.company_id, m.want.company_id)]
    others = [m for m in free if m not in firms]
    if len(firms) < 2 or len(others) < 3:
        return ("  Review queue demo skipped: too few matches in the demo region.",)

    def pair(match) -> dict:
        return {"agency": agency, "user": reviewer, "offer": match.offer, "want": match.want}

    approved, introduced = firms[0], firms[1]
    rejected, held, assigned = others[0], others[1], others[2]
    services.decision_record(**pair(approved), decision="approve",
                             text="Material and distance fit; both firms are active.")
    services.review_note_add(**pair(approved),
                             text="Met both firms at the regional circular-economy day.")
    services.decision_record(**pair(introduced), decision="approve")
    services.introduction_create(**pair(introduced), message=(
        "We think your two sites could work together on this stream; we are happy to "
        "join a first call."))
    services.decision_record(**pair(rejected), decision="reject", reason="quality",
                             text="The want needs a certified input; this stream is not.")
    services.decision_record(**pair(held), decision="hold",
                             text="Waiting for the offer's lab analysis.")
    services.review_note_add(**pair(held), text="Asked for the analysis by e-mail.")
    services.review_assign(**pair(assigned), assigned_to=reviewer)
    return (
        f"  Review queue: 2 approved (one introduced), 1 rejected, 1 held, 2 notes, "
        f"1 assignment by {REVIEWER_EMAIL}; /agency/ as the reviewer.",
        f"  Introduction: “{introduced.offer.title}” → “{introduced.want.title}”, a contact "
        "both firms must accept (see the demo firm's contacts).",
    )
