"""Who is on the platform: users, companies and their sites, regions and agencies."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
)
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import geometry

nace_validator = RegexValidator(
    r"^(\d{2}(\.\d{1,2})?)?$", _("Use a NACE Rev. 2 code such as 23.51, 23.5 or 23.")
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person; logs in with an e-mail address."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Accounts made by sign-up start unverified (``company_register`` clears it and mails
    # a signed link); accounts made otherwise (administrators, the demo, invitations
    # accepted from the mailbox) count as verified.
    email_verified_at = models.DateTimeField(
        _("e-mail verified at"), null=True, blank=True, default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        # set_password() keeps the new password until the save (AbstractBaseUser): a
        # changed or reset password ends every API token, as it ends other sessions.
        password_changed = self._password is not None and self.pk is not None
        super().save(*args, **kwargs)
        if password_changed:
            from rest_framework.authtoken.models import Token

            Token.objects.filter(user=self).delete()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Region(models.Model):
    """An area an agency looks after: a GeoJSON boundary, or towns with a radius.

    The bounding box is kept for fast filtering (it is computed from the boundary or the
    towns when one is given; a region with neither is its box). Which sites lie inside
    is stored in ``Site.regions`` (kept current by ``accounts.regions``), so every query
    "in this region" is a join, not geometry.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 code"))
    min_lat = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    max_lat = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    min_lon = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    max_lon = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    boundary = models.JSONField(_("GeoJSON boundary"), null=True, blank=True)
    towns = models.JSONField(
        _("towns"), default=list, blank=True,
        help_text=_("Towns with coordinates; the region is every place within the radius."),
    )
    radius_km = models.FloatField(
        _("radius around the towns (km)"), null=True, blank=True,
        validators=[MinValueValidator(0.1), MaxValueValidator(500)],
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # The box is derived: whoever writes the shape (form, admin, demo) gets it right.
        self.fit_bbox()
        super().save(*args, **kwargs)

    @property
    def shape(self) -> str:
        """``polygon``, ``towns`` or ``box``: what decides membership."""
        if self.boundary:
            return "polygon"
        if self.towns and self.radius_km:
            return "towns"
        return "box"

    def in_bbox(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon

    def contains(self, lat: float | None, lon: float | None) -> bool:
        """Whether a point lies in the region (box first, then the exact shape)."""
        if lat is None or lon is None or not self.in_bbox(lat, lon):
            return False
        if self.shape == "polygon":
            return geometry.boundary_contains(self.boundary, lat, lon)
        if self.shape == "towns":
            return geometry.towns_contain(self.towns, self.radius_km, lat, lon)
        return True

    def fit_bbox(self) -> None:
        """Set the bounding box from the boundary or the towns, where one is given."""
        if self.shape == "polygon":
            box = geometry.boundary_bbox(self.boundary)
        elif self.shape == "towns":
            box = geometry.towns_bbox(self.towns, self.radius_km)
        else:
            return
        self.min_lat, self.max_lat, self.min_lon, self.max_lon = box

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        try:
            if self.boundary:
                self.boundary = geometry.boundary_clean(self.boundary)
            if self.towns or self.radius_km:
                self.towns = geometry.towns_clean(self.towns, self.radius_km)
        except geometry.GeometryError as exc:
            field = "boundary" if self.boundary else "towns"
            raise ValidationError({field: str(exc)}) from exc
        self.fit_bbox()


class Agency(models.Model):
    """A regional development agency or facilitator that reviews matches in its regions."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    website = models.URLField(_("website"), blank=True)
    regions = models.ManyToManyField(Region, related_name="agencies", verbose_name=_("regions"))
    members = models.ManyToManyField(
        User, through="AgencyMembership", related_name="agencies", verbose_name=_("staff")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.name


class AgencyMembership(models.Model):
    class Role(models.TextChoices):
        REVIEWER = "reviewer", _("Reviewer")
        MANAGER = "manager", _("Manager")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="agency_memberships")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.REVIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "agency"], name="unique_agency_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.agency} ({self.role})"


class Company(models.Model):
    """A firm that lists offers and wants."""

    name = models.CharField(_("name"), max_length=200)
    registration_number = models.CharField(_("registration number"), max_length=50, blank=True)
    nace_code = models.CharField(
        _("NACE sector"), max_length=5, blank=True, validators=[nace_validator]
    )
    # A TextField's max_length is only a form hint; the validator makes it a rule everywhere.
    description = models.TextField(
        _("description"), blank=True, max_length=5000, validators=[MaxLengthValidator(5000)]
    )
    website = models.URLField(_("website"), blank=True)
    verified = models.BooleanField(_("verified"), default=False)
    # Who vouched for the firm: the agency (named on the badge) and the person, and when.
    verified_by = models.ForeignKey(
        "Agency", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("verified by agency"),
    )
    verified_by_user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    # A profile an agency made from a public register (agency.facilities) is unclaimed
    # until someone of the firm proves an address at ``claim_domain`` or the agency
    # claims it for them; until then no other firm sees its name (matching.disclosure).
    claimed = models.BooleanField(_("claimed"), default=True, db_default=True)
    claim_domain = models.CharField(
        _("claim e-mail domain"), max_length=253, blank=True,
        help_text=_("An address at this domain may claim the profile (e.g. example.fi)."),
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        User, through="Membership", related_name="companies", verbose_name=_("members")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        indexes = [models.Index(fields=["claimed"], condition=models.Q(claimed=False),
                                name="company_unclaimed")]

    def __str__(self) -> str:
        return self.name


class CompanyClaim(models.Model):
    """A request to claim an unclaimed profile, and how it ended.

    By e-mail: an address at the company's claim domain is mailed a link (only a hash of
    its token is stored, as for invitations); following it makes the person an owner. By
    the agency: staff claim it for the firm, optionally inviting an owner's address.
    """

    class Via(models.TextChoices):
        EMAIL = "email", _("Verified e-mail address")
        AGENCY = "agency", _("Agency on the firm's behalf")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="claims")
    email = models.EmailField(_("e-mail address"), blank=True)
    via = models.CharField(_("via"), max_length=10, choices=Via.choices, default=Via.EMAIL)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True,
                                  editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # Who became owner (by e-mail), or the staff member who claimed it (by the agency).
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("company claim")
        verbose_name_plural = _("company claims")

    def __str__(self) -> str:
        return f"{self.company} ← {self.email or self.via}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and timezone.now() >= self.expires_at


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    # May sign agreements for the company (owners always may).
    is_signatory = models.BooleanField(_("signatory"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="unique_company_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company} ({self.role})"


class Invitation(models.Model):
    """An owner's invitation for an e-mail address to join the company with a role.

    Only a hash of the token is stored: the link in the e-mail is the sole copy, so a
    database read does not hand out working links. Open means neither accepted nor revoked;
    an open invitation past ``expires_at`` is expired and gives way to a new one.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(
        _("role"), max_length=20, choices=Membership.Role.choices, default=Membership.Role.MEMBER
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="one_open_invitation_per_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.company} ({self.role})"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    def closed_message(self) -> str:
        """Why the invitation can no longer be accepted, or "" while it can."""
        if self.revoked_at is not None:
            return str(_("This invitation was withdrawn by %(company)s.")
                       % {"company": self.company.name})
        if self.accepted_at is not None:
            return str(_("This invitation has already been used."))
        if self.is_expired:
            return str(_("This invitation has expired: ask %(company)s for a new one.")
                       % {"company": self.company.name})
        return ""


class Site(models.Model):
    """A location of a company; listings are placed at a site."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("street address"), max_length=255, blank=True)
    city = models.CharField(_("town or city"), max_length=120)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 code"))
    latitude = models.FloatField(
        _("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Every region whose shape holds the site; written by accounts.regions on save.
    regions = models.ManyToManyField(
        Region, related_name="sites", blank=True, editable=False, verbose_name=_("regions")
    )

    class Meta:
        ordering = ["company__name", "name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        # Firms of a kind per town (matching.disclosure.area_names) look towns up by
        # case-insensitive name: without it, a scan of every site per page.
        indexes = [models.Index(Upper("city"), "country", name="site_town")]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"


class AgencyConsent(models.Model):
    """A firm's consent that an agency's staff enter and edit its listings on its behalf.

    Granted and revoked by an owner of the firm in its company settings; kept after
    revocation as the record of when the agency was allowed. Open means not revoked: at
    most one open consent per firm and agency.
    """

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="agency_consents")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="consents")
    granted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("granted by")
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    revoked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("revoked by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]
        verbose_name = _("agency consent")
        verbose_name_plural = _("agency consents")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "agency"], condition=models.Q(revoked_at__isnull=True),
                name="one_open_consent_per_agency",
            )
        ]

    def __str__(self) -> str:
        return f"{self.company} → {self.agency}"

    @property
    def is_open(self) -> bool:
        return self.revoked_at is None
