"""Exchanges pages: a match, contacts (inbox, thread, checklist), agreements, deliveries
and the firm's pipeline. Reads through selectors, writes through services, and what
another firm is shown as comes from ``visibility``."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms import add_service_errors
from accounts.models import Company
from accounts.views import company_required
from exchanges import forms, permissions, selectors, services, visibility
from exchanges.models import Agreement, Contact, ListingDisclosure, Notification
from exchanges.permissions import Role
from exchanges.services import notifications as notification_services
from matching import reviews
from matching import selectors as matching_selectors
from matching.forms import DismissForm

CONTACTS_PER_PAGE = 25
PIPELINE_MATCHES = 10


def _errors(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    messages.error(request, text or _("That is not allowed."))


def _run(request: HttpRequest, call: Callable[[], object], done: str) -> object | None:
    """Call a service; its refusal becomes an error message on the next page."""
    try:
        result = call()
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
        return None
    messages.success(request, done)
    return result


# --- match -----------------------------------------------------------------------------


@company_required
def match_detail(request: HttpRequest, pk: int, *, company: Company) -> HttpResponse:
    """Both listings side by side, the other anonymised until a contact is accepted."""
    match = matching_selectors.match_get_for_company(company=company, pk=pk)
    if match is None:
        raise Http404(_("No such match."))
    contact = selectors.contact_open_for_pair(offer=match.offer, want=match.want)
    disclosed = contact is not None and contact.is_accepted
    pair = visibility.pair_view(
        offer=match.offer, want=match.want, viewer=company, match=match, disclosed=disclosed,
        persons=visibility.contact_persons(contact) if disclosed else None,
    )
    context = {
        "match": match, "pair": pair, "contact": contact,
        "reviewed_by": reviews.reviewed_by([(match.offer_id, match.want_id)]).get(
            (match.offer_id, match.want_id), ()),
        "form": forms.ContactRequestForm(), "dismiss_form": DismissForm(),
        "blocked": services.is_blocked(company, (match.want if match.offer.company_id ==
                                                 company.id else match.offer).company),
    }
    return render(request, "exchanges/match_detail.html", context)


@company_required
@require_POST
def match_contact(request: HttpRequest, pk: int, *, company: Company) -> HttpResponse:
    form = forms.ContactRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a short message to go with the request."))
        return redirect("exchanges:match_detail", pk=pk)
    contact = _run(request, lambda: services.contact_request(
        user=request.user, company=company, match_id=pk, message=form.cleaned_data["message"]),
        _("Request sent. The other firm sees it without your name until it accepts."))
    if contact is None:
        return redirect("exchanges:match_detail", pk=pk)
    return redirect("exchanges:contact_detail", pk=contact.pk)


# --- contacts --------------------------------------------------------------------------


@company_required
def contact_inbox(request: HttpRequest, *, company: Company) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in Contact.State.values:
        state = ""
    contacts = selectors.contact_list_for_company(company=company, state=state)
    page = Paginator(contacts, CONTACTS_PER_PAGE).get_page(request.GET.get("page"))
    unread = selectors.unread_by_contact(user=request.user)
    rows = [(c, visibility.contact_view(c, viewer=company), unread.get(c.pk, 0)) for c in page]
    return render(request, "exchanges/contact_inbox.html", {
        "page": page, "rows": rows, "state": state, "states": Contact.State.choices})


@login_required
def notification_centre(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first, and which kinds also come by e-mail."""
    if request.method == "POST":
        if "read_all" in request.POST:
            notification_services.notification_mark_read(user=request.user)
            messages.success(request, _("All marked as read."))
        else:
            wanted = set(request.POST.getlist("email"))
            notification_services.email_opt_out_set(
                user=request.user, kinds=set(Notification.Kind.values) - wanted)
            messages.success(request, _("E-mail preferences saved."))
        return redirect("exchanges:notifications")
    page = Paginator(selectors.notification_list(user=request.user), 30).get_page(
        request.GET.get("page"))
    opted_out = selectors.email_opt_outs(user=request.user)
    kinds = [(value, label, value not in opted_out) for value, label in
             Notification.Kind.choices]
    return render(request, "exchanges/notifications.html", {
        "page": page, "kinds": kinds,
        "unread": selectors.notification_list(user=request.user, unread=True).count()})


@company_required
def pipeline(request: HttpRequest, *, company: Company) -> HttpResponse:
    """Every contact of the firm in its pipeline stage."""
    contacts = list(selectors.contact_list_for_company(company=company))
    columns = []
    for stage, label in Contact.Stage.choices:
        if stage == Contact.Stage.MATCHED:
            continue
        rows = [(c, visibility.contact_view(c, viewer=company))
                for c in contacts if c.stage == stage]
        columns.append({"stage": stage, "label": label, "rows": rows})
    # The first stage holds matches no contact has been opened on yet (the best few).
    in_contact = {(c.offer_id, c.want_id) for c in contacts}
    matched = [m for m in matching_selectors.match_list_for_company(company=company)[:50]
               if (m.offer_id, m.want_id) not in in_contact][:PIPELINE_MATCHES]
    return render(request, "exchanges/pipeline.html", {
        "columns": columns, "total": len(contacts), "matched": [
            (m, visibility.pair_view(offer=m.offer, want=m.want, viewer=company, match=m))
            for m in matched]})


def _contact_or_404(request: HttpRequest, pk: int) -> tuple[Contact, Role]:
    contact, role = selectors.contact_get_for_user(user=request.user, pk=pk)
    if contact is None:
        raise Http404(_("No such contact."))
    return contact, role


@login_required
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact, role = _contact_or_404(request, pk)
    agreements = list(contact.agreements.order_by("-created_at"))
    if role is Role.AGENCY:
        return render(request, "exchanges/contact_agency.html", {
            "contact": contact, "view": visibility.contact_view(contact, viewer=None,
                                                                agency=True),
            "agreements": agreements})
    company = permissions.user_company(request.user)
    notification_services.notification_mark_read(user=request.user, contact=contact)
    view = visibility.contact_view(contact, viewer=company)
    pair = visibility.pair_view(offer=contact.offer, want=contact.want, viewer=company,
                                disclosed=contact.is_accepted,
                                persons=visibility.contact_persons(contact))
    feasibility = [(item, forms.FeasibilityForm(instance=item, prefix=item.key))
                   for item in contact.feasibility.order_by("id")]
    context = {
        "contact": contact, "view": view, "pair": pair,
        "is_recipient": company.id == contact.recipient_id,
        "awaits_answer": contact.awaits(company.id),
        "thread": selectors.message_list(contact=contact),
        "attachments": selectors.attachment_list(contact=contact),
        "feasibility": feasibility, "audit": selectors.audit_list(contact=contact),
        "agreements": agreements,
        "open_agreement": next((a for a in agreements if a.state in Agreement.OPEN_STATES),
                               None),
        "message_form": forms.MessageForm(), "attachment_form": forms.AttachmentForm(),
        "decline_form": forms.DeclineForm(), "stop_form": forms.StopForm(),
        "company": company,
    }
    return render(request, "exchanges/contact_detail.html", context)


@login_required
@require_POST
def contact_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    contact, role = _contact_or_404(request, pk)
    if role is not Role.PARTY:
        raise PermissionDenied
    user = request.user
    post = request.POST
    if action == "accept":
        _run(request, lambda: services.contact_accept(contact=contact, user=user),
             _("Accepted: you can now see each other and talk."))
    elif action == "decline":
        form = forms.DeclineForm(post)
        form.is_valid()
        _run(request, lambda: services.contact_decline(
            contact=contact, user=user, note=form.cleaned_data.get("note", "")),
            _("Request declined."))
    elif action == "stop":
        form = forms.StopForm(post)
        if form.is_valid():
            _run(request, lambda: services.contact_stop(contact=contact, user=user,
                                                        **form.cleaned_data),
                 _("Contact stopped."))
        else:
            messages.error(request, _("Choose a reason from the list."))
    elif action == "block":
        _run(request, lambda: services.contact_block(contact=contact, user=user),
             _("Blocked: no further requests between your firms."))
    elif action == "message":
        _run(request, lambda: services.message_post(contact=contact, user=user,
                                                    body=post.get("body", "")),
             _("Message sent."))
    elif action == "attachment":
        form = forms.AttachmentForm(post, request.FILES)
        if form.is_valid():
            _run(request, lambda: services.attachment_add(contact=contact, user=user,
                                                          **form.cleaned_data),
                 _("File attached."))
        else:
            messages.error(request, _("Choose a file and what kind of document it is."))
    elif action == "feasibility":
        key = post.get("key", "")
        item = contact.feasibility.filter(key=key).first()
        if item is None:
            raise Http404
        form = forms.FeasibilityForm(post, instance=item, prefix=key)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.fields}
            _run(request, lambda: services.feasibility_update(contact=contact, user=user,
                                                              key=key, data=data),
                 _("Checklist updated."))
        else:
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    else:
        raise Http404
    return redirect("exchanges:contact_detail", pk=contact.pk)


@login_required
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A thread's file, for the two firms only, always as a download."""
    attachment = selectors.attachment_get_for_user(user=request.user, pk=pk)
    if attachment is None:
        raise Http404(_("No such file."))
    response = FileResponse(attachment.file.open("rb"), as_attachment=True,
                            filename=attachment.original_name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- agreements ------------------------------------------------------------------------


@login_required
def agreement_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Draft an agreement on an accepted contact."""
    contact, role = _contact_or_404(request, pk)
    if role is not Role.PARTY:
        raise PermissionDenied
    initial = {"material": contact.offer.title, "quantity": contact.want.quantity,
               "unit": contact.want.unit, "frequency": contact.want.frequency,
               "currency": "EUR"}
    form = forms.TermsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            agreement = services.agreement_create(contact=contact, user=request.user,
                                                  terms=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Draft saved as version 1."))
            return redirect("exchanges:agreement_detail", pk=agreement.pk)
    return render(request, "exchanges/agreement_form.html", {"form": form, "contact": contact})


def _agreement_or_404(request: HttpRequest, pk: int) -> tuple[Agreement, Role]:
    agreement, role = selectors.agreement_get_for_user(user=request.user, pk=pk)
    if agreement is None:
        raise Http404(_("No such agreement."))
    return agreement, role


def _versions(agreement: Agreement) -> list[dict]:
    versions = list(selectors.version_list(agreement=agreement))
    return [{"version": v,
             "changes": selectors.version_diff(before=versions[i - 1] if i else None, after=v),
             "signatures": list(v.signatures.all())}
            for i, v in enumerate(versions)]


@login_required
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agreement, role = _agreement_or_404(request, pk)
    if role is not Role.PARTY:
        audit = [entry for entry in visibility.audit_view(agreement.contact)
                 if entry["subject"] == "agreement" and entry["subject_id"] == agreement.pk]
        return render(request, "exchanges/agreement_agency.html",
                      {"agreement": agreement, "audit": audit})
    company = permissions.user_company(request.user)
    versions = _versions(agreement)
    latest = versions[-1]["version"]
    signed_by = {s.company_id for s in versions[-1]["signatures"]}
    context = {
        "agreement": agreement, "contact": agreement.contact, "versions": versions,
        "latest": latest, "company": company,
        "we_signed": company.id in signed_by, "they_signed": bool(signed_by - {company.id}),
        "can_sign": permissions.is_signatory(request.user, company),
        "edit_form": forms.TermsForm(instance=latest) if agreement.state in
        Agreement.EDITABLE_STATES else None,
        "reason_form": forms.ReasonForm(), "delivery_form": forms.DeliveryForm(),
        "deliveries": agreement.deliveries.order_by("-date", "-id"),
        "totals": selectors.delivery_totals(agreement=agreement),
        "counterpart": visibility.contact_view(agreement.contact, viewer=company)["counterpart"],
    }
    return render(request, "exchanges/agreement_detail.html", context)


@login_required
@require_POST
def agreement_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    agreement, role = _agreement_or_404(request, pk)
    if role is not Role.PARTY:
        raise PermissionDenied
    user = request.user
    post = request.POST
    simple = {
        "propose": (services.agreement_propose, _("Proposed to the other firm.")),
        "activate": (services.agreement_activate, _("Start confirmed.")),
        "complete": (services.agreement_complete, _("Agreement completed.")),
    }
    if action in simple:
        service, done = simple[action]
        _run(request, lambda: service(agreement=agreement, user=user), done)
    elif action == "sign":
        try:
            number = int(post.get("version", ""))
        except ValueError:
            number = 0
        _run(request, lambda: services.agreement_sign(agreement=agreement, user=user,
                                                      version=number),
             _("Signed for your firm."))
    elif action in ("withdraw", "terminate"):
        service = getattr(services, f"agreement_{action}")
        _run(request, lambda: service(agreement=agreement, user=user,
                                      reason=post.get("reason", "")),
             _("Agreement %(action)s.") % {"action": _("withdrawn") if action == "withdraw"
                                           else _("terminated")})
    elif action == "edit":
        latest = services.agreement_latest_version(agreement)
        form = forms.TermsForm(post, instance=None, initial=latest.terms())
        if form.is_valid():
            result = _run(request, lambda: services.agreement_update(
                agreement=agreement, user=user, terms=form.cleaned_data), _("Saved."))
            if result is not None and result[1] is None:
                messages.info(request, _("Nothing changed, so no new version."))
        else:
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    elif action == "share-costs":
        _run(request, lambda: services.agreement_costs_share(
            agreement=agreement, user=user, savings=post.get("savings", ""),
            costs=post.get("costs", ""), currency=post.get("currency", "EUR")),
            _("Cost figures saved: the region's agency sees them in its reports."))
    elif action == "delivery":
        form = forms.DeliveryForm(post)
        if form.is_valid():
            _run(request, lambda: services.delivery_record(agreement=agreement, user=user,
                                                           **form.cleaned_data),
                 _("Delivery recorded; the other firm confirms it."))
        else:
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    else:
        raise Http404
    return redirect("exchanges:agreement_detail", pk=agreement.pk)


@login_required
def agreement_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The signed version with both parties, terms and signature times, for printing."""
    agreement, role = _agreement_or_404(request, pk)
    if role is not Role.PARTY:
        raise PermissionDenied
    if agreement.state not in (Agreement.State.SIGNED, Agreement.State.ACTIVE,
                               Agreement.State.COMPLETED, Agreement.State.TERMINATED):
        raise Http404(_("Only a signed agreement can be printed."))
    latest = services.agreement_latest_version(agreement)
    contact = agreement.contact
    return render(request, "exchanges/agreement_print.html", {
        "agreement": agreement, "version": latest, "contact": contact,
        "signatures": latest.signatures.select_related("company", "user"),
        "supplier": contact.offer.company, "receiver": contact.want.company,
    })


@login_required
@require_POST
def delivery_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    delivery, role = selectors.delivery_get_for_user(user=request.user, pk=pk)
    if delivery is None or role is not Role.PARTY:
        raise Http404(_("No such delivery."))
    if action == "confirm":
        _run(request, lambda: services.delivery_confirm(delivery=delivery, user=request.user),
             _("Delivery confirmed."))
    elif action == "dispute":
        _run(request, lambda: services.delivery_dispute(
            delivery=delivery, user=request.user, reason=request.POST.get("reason", "")),
            _("Delivery disputed."))
    else:
        raise Http404
    return redirect("exchanges:agreement_detail", pk=delivery.agreement_id)



@company_required
def listing_disclosure(request: HttpRequest, pk: int, *, company: Company) -> HttpResponse:
    """What other firms see of one of the firm's listings before a contact is accepted."""
    listing = matching_selectors.listing_get_for_company(company=company, pk=pk)
    if listing is None:
        raise Http404(_("No such listing."))
    current = ListingDisclosure.objects.filter(listing=listing).first()
    form = forms.DisclosureForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        done = _run(request, lambda: services.listing_disclosure_set(
            listing=listing, company=company, **form.cleaned_data), _("Saved."))
        if done is not None:
            return redirect("matching:listing_detail", pk=listing.pk)
    preview = visibility.listing_view(listing, viewer=None)
    return render(request, "exchanges/listing_disclosure.html",
                  {"listing": listing, "form": form, "preview": preview})


@company_required
def search(request: HttpRequest, *, company: Company) -> HttpResponse:
    """Other firms' active listings by words, category, EWC chapter, kind and distance."""
    saved = None
    data = request.GET
    if request.GET.get("saved"):
        saved = selectors.saved_search_list(company=company).filter(
            pk=request.GET["saved"]).first()
        if saved is not None:
            data = {k: str(v) for k, v in saved.params.items()}
    form = forms.SearchForm(data or None, company=company)
    results, params = [], {}
    if form.is_bound and form.is_valid():
        params = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        results = selectors.listing_search(company=company, params=params)
    page = Paginator(results, CONTACTS_PER_PAGE).get_page(request.GET.get("page"))
    own = list(matching_selectors.listing_list_for_company(company=company, status="active"))
    rows = []
    for result in page:
        choices = [(mine.pk, mine.title) for mine in own if mine.kind != result.listing.kind]
        contact_form = forms.SearchContactForm(
            initial={"listing": result.listing.pk}, auto_id=f"r{result.listing.pk}-%s")
        contact_form.fields["own_listing"].choices = choices
        rows.append({"view": visibility.listing_view(result.listing, viewer=company),
                     "band": visibility.band_label(result.band) if result.band else "",
                     "form": contact_form if choices else None})
    return render(request, "exchanges/search.html", {
        "form": form, "page": page, "rows": rows, "searched": form.is_bound,
        "saved": saved, "saved_searches": [
            (s, len(selectors.saved_search_new(search=s)))
            for s in selectors.saved_search_list(company=company)],
        "query": request.GET.urlencode()})


@company_required
@require_POST
def search_save(request: HttpRequest, *, company: Company) -> HttpResponse:
    form = forms.SearchForm(request.POST, company=company)
    if form.is_valid():
        _run(request, lambda: services.saved_search_create(
            company=company, user=request.user, name=request.POST.get("name", ""),
            params={k: v for k, v in form.cleaned_data.items() if v not in (None, "")}),
            _("Search saved: new listings that fit it will show here and in a daily e-mail."))
    else:
        messages.error(request, _("Check the search fields."))
    return redirect("exchanges:search")


@company_required
@require_POST
def search_contact(request: HttpRequest, *, company: Company) -> HttpResponse:
    """Start a contact from a search result: their listing with one of ours."""
    listing = matching_selectors.listing_get_active(pk=request.POST.get("listing"))
    own = matching_selectors.listing_get_for_company(
        company=company, pk=int(request.POST.get("own_listing") or 0))
    if listing is None or own is None:
        messages.error(request, _("Choose one of your listings to pair with it."))
        return redirect("exchanges:search")
    contact = _run(request, lambda: services.contact_request(
        user=request.user, company=company, listing=listing, own_listing=own,
        message=request.POST.get("message", "")), _("Request sent."))
    if contact is None:
        return redirect("exchanges:search")
    return redirect("exchanges:contact_detail", pk=contact.pk)


@company_required
def signatories(request: HttpRequest, *, company: Company) -> HttpResponse:
    """The firm's members and who of them may sign agreements (owners choose)."""
    from accounts.selectors import membership_list_for_company

    if request.method == "POST":
        ids = {int(v) for v in request.POST.getlist("signatory") if v.isdigit()}
        _run(request, lambda: services.membership_signatories_set(
            company=company, user=request.user, signatory_ids=ids), _("Signatories saved."))
        return redirect("exchanges:signatories")
    return render(request, "exchanges/signatories.html", {
        "members": membership_list_for_company(company=company),
        "is_owner": permissions.is_owner(request.user, company)})
