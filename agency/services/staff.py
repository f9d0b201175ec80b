"""An agency's staff: invitations (as firms invite colleagues), joining, and roles.

Managers invite, withdraw invitations and change roles; reviewers do neither. Only a hash
of an invitation's token is stored: the e-mailed link is the only copy.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, AgencyMembership, User
from accounts.services import email_clean, user_register_from_link
from agency.models import StaffAction, StaffInvitation
from agency.selectors import is_manager


def _require_manager(*, agency: Agency, user: User) -> None:
    if not is_manager(user=user, agency=agency):
        raise PermissionDenied(_("Only a manager of the agency can do that."))


def _send(*, invitation: StaffInvitation, token: str, base_url: str) -> None:
    link = base_url + reverse("agency:staff_invitation", args=[token])
    inviter = invitation.invited_by.get_full_name() if invitation.invited_by else ""
    subject = _("%(inviter)s invites you to the staff of %(agency)s on Symbiosis") % {
        "inviter": inviter or _("A colleague"), "agency": invitation.agency.name}
    body = _(
        "%(inviter)s invites you to join %(agency)s on Symbiosis as %(role)s.\n\n"
        "Follow this link to accept; it works until %(expires)s (UTC):\n\n%(link)s\n\n"
        "If you do not know this agency, ignore this e-mail.\n"
    ) % {
        "inviter": inviter or _("A colleague"), "agency": invitation.agency.name,
        "role": invitation.get_role_display().lower(),
        "expires": invitation.expires_at.strftime("%Y-%m-%d %H:%M"), "link": link,
    }
    recipient = invitation.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]))


@transaction.atomic
def staff_invite(*, agency: Agency, user: User, email: str, role: str,
                 base_url: str = "") -> StaffInvitation:
    """Invite ``email`` to the agency's staff with ``role``; only a manager may. The raw
    token is mailed and, for the caller, set as ``invitation.token``."""
    _require_manager(agency=agency, user=user)
    email = email_clean(email=email)
    if role not in AgencyMembership.Role.values:
        raise ValidationError({"role": _("Choose reviewer or manager.")})
    if AgencyMembership.objects.filter(agency=agency, user__email__iexact=email).exists():
        raise ValidationError({"email": _("%(email)s is already on the staff of %(agency)s.")
                               % {"email": email, "agency": agency.name}})
    already = _("%(email)s already has an open invitation; withdraw it to send a new one.") % {
        "email": email}
    now = timezone.now()
    previous = (StaffInvitation.objects.select_for_update()
                .filter(agency=agency, email=email, accepted_at__isnull=True,
                        revoked_at__isnull=True).first())
    if previous is not None:
        if not previous.is_expired:
            raise ValidationError({"email": already})
        previous.revoked_at = now
        previous.save(update_fields=["revoked_at"])
    token = secrets.token_urlsafe(32)
    invitation = StaffInvitation(
        agency=agency, email=email, role=role, token_hash=StaffInvitation.hash_token(token),
        invited_by=user, created_at=now,
        expires_at=now + timedelta(days=settings.INVITATION_EXPIRY_DAYS),
    )
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError as exc:
        raise ValidationError({"email": already}) from exc
    StaffAction.objects.create(agency=agency, user=user, kind=StaffAction.Kind.INVITED,
                               detail=f"{email} ({invitation.get_role_display().lower()})")
    _send(invitation=invitation, token=token, base_url=base_url)
    invitation.token = token
    return invitation


@transaction.atomic
def staff_invitation_revoke(*, invitation: StaffInvitation, user: User) -> StaffInvitation:
    """Withdraw an open invitation so its link stops working; only a manager may."""
    _require_manager(agency=invitation.agency, user=user)
    locked = StaffInvitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None:
        raise ValidationError(_("%(email)s has already accepted this invitation.")
                              % {"email": locked.email})
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        StaffAction.objects.create(agency=locked.agency, user=user,
                                   kind=StaffAction.Kind.INVITATION_REVOKED, detail=locked.email)
    return locked


def _open_locked(*, token: str) -> StaffInvitation:
    invitation = (StaffInvitation.objects.select_for_update().select_related("agency")
                  .filter(token_hash=StaffInvitation.hash_token(token)).first())
    if invitation is None:
        raise ValidationError(_("This invitation link is not valid."))
    closed = invitation.closed_message()
    if closed:
        raise ValidationError(closed)
    return invitation


def _join(*, invitation: StaffInvitation, user: User) -> AgencyMembership:
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(
            _("This invitation is for %(invited)s, but you are logged in as %(user)s. Log "
              "out and open the link again.") % {"invited": invitation.email, "user": user.email})
    if AgencyMembership.objects.filter(user=user, agency=invitation.agency).exists():
        raise ValidationError(_("You are already on the staff of %(agency)s.")
                              % {"agency": invitation.agency.name})
    now = timezone.now()
    membership = AgencyMembership.objects.create(user=user, agency=invitation.agency,
                                                 role=invitation.role)
    invitation.accepted_at, invitation.accepted_by = now, user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    if user.email_verified_at is None:
        user.email_verified_at = now
        user.save(update_fields=["email_verified_at"])
    StaffAction.objects.create(agency=invitation.agency, user=user,
                               kind=StaffAction.Kind.JOINED,
                               detail=f"{user.email} ({invitation.get_role_display().lower()})")
    return membership


@transaction.atomic
def staff_invitation_accept(*, token: str, user: User) -> AgencyMembership:
    """The logged-in user (the invited address) joins the agency with the invited role."""
    return _join(invitation=_open_locked(token=token), user=user)


@transaction.atomic
def staff_invitation_register(*, token: str, password: str, full_name: str = "") -> User:
    """Open an account for the invited address and join the agency (address verified)."""
    invitation = _open_locked(token=token)
    user = user_register_from_link(
        email=invitation.email, password=password, full_name=full_name,
        taken=_("An account with %(email)s already exists: log in to accept the "
                "invitation."))
    _join(invitation=invitation, user=user)
    return user


@transaction.atomic
def staff_role_set(*, agency: Agency, user: User, membership: AgencyMembership,
                   role: str) -> AgencyMembership:
    """Change a colleague's role; only a manager may, and the last manager stays one."""
    _require_manager(agency=agency, user=user)
    if membership.agency_id != agency.pk:
        raise PermissionDenied(_("That person is not on the agency's staff."))
    if role not in AgencyMembership.Role.values:
        raise ValidationError({"role": _("Choose reviewer or manager.")})
    locked = AgencyMembership.objects.select_for_update().get(pk=membership.pk)
    managers = AgencyMembership.objects.select_for_update().filter(
        agency=agency, role=AgencyMembership.Role.MANAGER)
    if (locked.role == AgencyMembership.Role.MANAGER and role != locked.role
            and managers.count() <= 1):
        raise ValidationError({"role": _("The agency needs at least one manager.")})
    if locked.role != role:
        locked.role = role
        locked.save(update_fields=["role"])
        StaffAction.objects.create(agency=agency, user=user, kind=StaffAction.Kind.ROLE_CHANGED,
                                   detail=f"{locked.user.email}: {locked.get_role_display()}")
    return locked
