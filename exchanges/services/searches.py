"""Saved searches and their daily digest."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company, User
from exchanges.models import EmailOptOut, Notification, SavedSearch

SEARCH_KEYS = ("q", "kind", "category", "ewc_chapter", "site", "distance_km")


def saved_search_create(*, company: Company, user: User, name: str, params: dict
                        ) -> SavedSearch:
    """Keep a search; listings created from now on count as new for it."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the search a name.")})
    clean = {k: params[k] for k in SEARCH_KEYS if params.get(k) not in (None, "")}
    if "site" in clean and not company.sites.filter(pk=clean["site"]).exists():
        raise ValidationError({"site": _("Choose one of your sites.")})
    return SavedSearch.objects.create(company=company, user=user, name=name[:100],
                                      params=clean, seen_until=timezone.now())


def saved_search_delete(*, search: SavedSearch, company: Company) -> None:
    if search.company_id != company.id:
        raise ValidationError(_("Not your search."))
    search.delete()


def saved_search_digest(*, now=None) -> int:
    """Tell each saved search's owner about listings new since the last digest, one
    notification (and e-mail) per search. Idempotent: a second run finds nothing new."""
    from exchanges import selectors
    from exchanges.tasks import send_notification_email

    now = now or timezone.now()
    sent = 0
    for pk in SavedSearch.objects.filter(seen_until__lt=now).values_list("pk", flat=True):
        with transaction.atomic():
            search = (SavedSearch.objects.select_for_update(skip_locked=True)
                      .select_related("company", "user").filter(pk=pk, seen_until__lt=now)
                      .first())
            if search is None:
                continue
            new = [r for r in selectors.saved_search_new(search=search)
                   if r.listing.created_at <= now]
            search.seen_until = now
            search.save(update_fields=["seen_until"])
            if not new:
                continue
            text = _("%(n)d new listings fit your search “%(name)s”.") % {
                "n": len(new), "name": search.name}
            notification = Notification.objects.create(
                user=search.user, kind=Notification.Kind.SEARCH, saved_search=search,
                text=text[:300], url=reverse("exchanges:search") + f"?saved={search.pk}")
            if not EmailOptOut.objects.filter(user=search.user,
                                              kind=Notification.Kind.SEARCH).exists():
                send_notification_email.delay_on_commit(notification.pk)
            sent += 1
    return sent
