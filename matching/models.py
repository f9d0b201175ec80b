"""Listings (offers and wants), the matches between them, and firms' dismissals."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Company, Site
from matching.catalogue import validate_category, validate_ewc
from matching.engine import COMPONENTS, HAND_SET, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS
from matching.quality import MAX_CONTAMINANTS_CHARS, certificate_labels, validate_certificates


class Listing(models.Model):
    """An offer (waste stream, by-product, surplus) or a want (input need) at a site."""

    class Kind(models.TextChoices):
        OFFER = "offer", _("Offer")
        WANT = "want", _("Want")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        CLOSED = "closed", _("Closed")

    class Unit(models.TextChoices):
        TONNE = "t", _("tonnes (t)")
        KILOGRAM = "kg", _("kilograms (kg)")
        CUBIC_METRE = "m3", _("cubic metres (m³)")
        LITRE = "l", _("litres (l)")
        MWH = "MWh", _("megawatt-hours (MWh)")
        KWH = "kWh", _("kilowatt-hours (kWh)")
        GJ = "GJ", _("gigajoules (GJ)")
        MW = "MW", _("megawatts (MW, continuous)")
        KW = "kW", _("kilowatts (kW, continuous)")
        UNIT = "unit", _("pieces")

    class Frequency(models.TextChoices):
        ONE_OFF = "one-off", _("One-off batch")
        DAILY = "daily", _("Per day")
        WEEKLY = "weekly", _("Per week")
        MONTHLY = "monthly", _("Per month")
        YEARLY = "yearly", _("Per year")
        CONTINUOUS = "continuous", _("Continuous (per hour)")

    class PhysicalState(models.TextChoices):
        SOLID = "solid", _("Solid")
        LIQUID = "liquid", _("Liquid")
        SLUDGE = "sludge", _("Sludge or paste")
        GAS = "gas", _("Gas")
        ENERGY = "energy", _("Energy (heat, steam, power)")

    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="listings")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="listings")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("title"), max_length=MAX_TITLE_CHARS)
    # Refused beyond the limit (never cut): the engine reads no more than this of it.
    description = models.TextField(
        _("description"), blank=True, max_length=MAX_DESCRIPTION_CHARS,
        validators=[MaxLengthValidator(MAX_DESCRIPTION_CHARS)],
    )
    category = models.CharField(
        _("material category"), max_length=40, blank=True, validators=[validate_category]
    )
    ewc_code = models.CharField(
        _("EWC code"), max_length=6, blank=True, validators=[validate_ewc],
        help_text=_("European List of Waste entry, where one applies."),
    )
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )
    unit = models.CharField(_("unit"), max_length=5, choices=Unit.choices, blank=True)
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.YEARLY
    )
    # Derived from quantity/unit/frequency by the service, for comparison between listings.
    amount_per_year = models.FloatField(null=True, blank=True, editable=False)
    canonical_unit = models.CharField(max_length=5, blank=True, editable=False)
    density_t_per_m3 = models.FloatField(
        _("density (t/m³)"), null=True, blank=True,
        validators=[MinValueValidator(0.001), MaxValueValidator(25)],
        help_text=_("Lets mass and volume be compared."),
    )
    available_from = models.DateField(_("available from"), null=True, blank=True)
    available_until = models.DateField(_("available until"), null=True, blank=True)
    hazardous = models.BooleanField(_("hazardous"), default=False)
    accepts_hazardous = models.BooleanField(
        _("accepts hazardous input"), default=False,
        help_text=_("Wants only: you hold the permits to take hazardous material."),
    )
    physical_state = models.CharField(
        _("physical state"), max_length=10, choices=PhysicalState.choices, blank=True
    )
    temperature_c = models.FloatField(
        _("temperature (°C)"), null=True, blank=True,
        validators=[MinValueValidator(-273.15), MaxValueValidator(2000)],
    )
    pressure_bar = models.FloatField(
        _("pressure (bar)"), null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(400)],
    )
    # Quality (matching.quality): an offer's say what the material is, a want's what the
    # buyer's process takes; the matcher compares them where both sides state them.
    moisture_pct = models.FloatField(
        _("moisture (%)"), null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Water content as delivered, % of mass. A want: the most you can take."),
    )
    calorific_mj_per_kg = models.FloatField(
        _("calorific value (MJ/kg)"), null=True, blank=True,
        validators=[MinValueValidator(0.1), MaxValueValidator(150)],
        help_text=_("Net (lower) heating value as received. A want: the least you can use."),
    )
    particle_size_mm = models.FloatField(
        _("particle size (mm)"), null=True, blank=True,
        validators=[MinValueValidator(0.001), MaxValueValidator(2000)],
        help_text=_("Largest particle or piece, mm. A want: the largest you can take."),
    )
    contaminants = models.CharField(
        _("purity or main contaminants"), max_length=MAX_CONTAMINANTS_CHARS, blank=True,
        default="", db_default="",
        help_text=_("Main contaminants, comma-separated (e.g. chlorine, PVC, glass). "
                    "A want: contaminants you cannot take."),
    )
    certificates = models.CharField(
        _("certificates"), max_length=120, blank=True, default="", db_default="",
        validators=[validate_certificates],
        help_text=_("Comma-separated codes. A want: the certificates you require."),
    )
    max_distance_km = models.FloatField(
        _("max transport distance (km)"), default=50,
        validators=[MinValueValidator(1), MaxValueValidator(2000)],
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    external_id = models.CharField(
        _("external id"), max_length=100, blank=True,
        help_text=_("Your own reference, unique within your company (API clients)."),
    )
    # An estimate made for a firm that has not said it itself (the agency's import of a
    # public register, agency.facilities): shown as such to everyone; the firm's own
    # edit makes it a plain listing (listing_update).
    indicative = models.BooleanField(_("indicative"), default=False, db_default=False)
    # Matching's bookkeeping (not the firm's to edit): queuing its rematch failed (the
    # broker was down; the periodic sweep matches it), or the matcher could not process
    # it (why, in words; it is left out of matching until saved again).
    needs_match = models.BooleanField(default=False, db_default=False, editable=False)
    match_skipped = models.CharField(max_length=300, blank=True, default="", db_default="",
                                     editable=False)
    # Written by a benchmark (bench/, the evaluation harness), not by a firm: its pairs
    # are never labels for the learned ranker.
    benchmark = models.BooleanField(default=False, db_default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        indexes = [
            models.Index(fields=["status", "kind"]),
            models.Index(fields=["company"]),
            models.Index(fields=["needs_match"], condition=Q(needs_match=True),
                         name="listing_needs_match"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(available_until__isnull=True)
                | Q(available_from__isnull=True)
                | Q(available_until__gte=F("available_from")),
                name="listing_window_ordered",
                violation_error_message=_("“Available until” must not be before “available from”."),
            ),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | Q(quantity__gte=0),
                name="listing_quantity_not_negative",
                violation_error_message=_("Quantity cannot be negative."),
            ),
            models.UniqueConstraint(
                fields=["company", "external_id"],
                condition=~Q(external_id=""),
                name="listing_unique_external_id",
                violation_error_message=_(
                    "Your company already has a listing with this external id."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def certificate_labels(self) -> list[str]:
        """The names of its certificates (a want: those it requires), for pages."""
        return certificate_labels(self.certificates)

    @property
    def energy_mwh_per_t(self) -> float | None:
        """The energy content its calorific value states (MWh per tonne), or None."""
        value = self.calorific_mj_per_kg
        return None if value is None else value / 3.6

    @property
    def is_offer(self) -> bool:
        return self.kind == self.Kind.OFFER


class TextJSONField(models.JSONField):
    """JSON kept as plain text on every database (``jsonb`` on PostgreSQL otherwise).

    For values read whole and never queried inside. A full rematch COPYs a million or more
    match rows; as ``jsonb`` each one was parsed on the way in, about a tenth of the
    database's work. The text is ``json.dumps``, the bulk writer's format too, so a row
    written either way compares equal when its values are.
    """

    def db_type(self, connection) -> str:
        return "text"

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        return None if value is None else self.to_text(value)

    def to_text(self, value) -> str:
        return json.dumps(value, cls=self.encoder)


def components_by_position(names) -> bool:
    """Whether components with these names are stored as a list (they are the engine's)."""
    return len(names) == len(COMPONENTS) and set(names) == set(COMPONENTS)


def components_json(values) -> str:
    """A match's score components as stored: a JSON list of their values in the engine's
    ``COMPONENTS`` order when they are exactly those, a JSON object otherwise.

    The bulk writer spells the same text (``bulkwrite.MatchRows``), so a row written
    either way compares equal when its values are."""
    if components_by_position(values):
        return json.dumps([float(values[name]) for name in COMPONENTS], separators=(",", ":"))
    return json.dumps(values)


def components_from_json(value):
    """The components dict of a stored value (a list in ``COMPONENTS`` order, or an
    object: rows written before the list, or with other names)."""
    if not isinstance(value, list):
        return value
    if len(value) != len(COMPONENTS):
        raise ValueError(f"stored components hold {len(value)} values, not the "
                         f"{len(COMPONENTS)} of {', '.join(COMPONENTS)}")
    return dict(zip(COMPONENTS, value, strict=True))


class ComponentsField(TextJSONField):
    """Score components as JSON text, their names left out when they are the engine's
    (``components_json``); read back as a dict either way.

    The names were 100 of the 224 bytes a row's components took, and a row's width is
    much of what PostgreSQL's work in storing it grows with: a full rematch of 100k
    listings writes 1.5 million rows (docs/performance.md, "Writing matches"). The order
    of ``COMPONENTS`` is part of the stored format: a new component goes at its end,
    with a migration that rewrites the stored lists.
    """

    def to_text(self, value) -> str:
        return components_json(value)

    def from_db_value(self, value, expression, connection):
        return components_from_json(super().from_db_value(value, expression, connection))


class Match(models.Model):
    """A scored pairing of an offer with a want; one row per pair."""

    # No other indexes: the (offer, want) key and the want index lead
    # with these columns, and every index costs time on million-row rematch writes.
    # No per-row foreign-key constraints either: checking them cost a full rematch about
    # 6 µs per key and row. On PostgreSQL, statement-level triggers (migration 0003) keep
    # the same guarantee with one locking join per statement; see docs/architecture.md.
    offer = models.ForeignKey(
        Listing,
        on_delete=models.CASCADE,
        related_name="matches_as_offer",
        db_index=False,
        db_constraint=False,
    )
    want = models.ForeignKey(
        Listing,
        on_delete=models.CASCADE,
        related_name="matches_as_want",
        db_index=False,
        db_constraint=False,
    )
    score = models.FloatField()
    distance_km = models.FloatField()
    components = ComponentsField(default=dict)
    explanation = models.CharField(max_length=300)
    model_version = models.CharField(max_length=40, blank=True)
    # Which ranker gave the score: a RankerModel version, or "hand-set" (the weights of
    # matching/engine/config.py).
    ranker_version = models.CharField(max_length=40, default=HAND_SET, db_default=HAND_SET)
    # The database defaults are for bulk COPY, which names neither column: parsing two
    # timestamps per row cost PostgreSQL 2.8 s of a 100k rematch's write.
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        ordering = ["-score", "id"]
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        constraints = [
            models.UniqueConstraint(fields=["offer", "want"], name="match_unique_pair"),
        ]
        # An offer's matches come from the pair key (a listing has a few dozen at most,
        # sorted in memory); wants need an index of their own, on the want alone for the
        # same reason: with the score as well, it cost a 100k rematch 1.2 s more to write.
        indexes = [
            models.Index(fields=["want"], name="match_want"),
        ]

    def __str__(self) -> str:
        return f"{self.offer_id} → {self.want_id} ({self.score:.2f})"


class MatchDismissal(models.Model):
    """A firm said a pairing is not relevant: hidden from it for good, kept as a label."""

    class Reason(models.TextChoices):
        WRONG_MATERIAL = "wrong-material", _("Not the right material")
        QUALITY = "quality", _("Quality or specification does not fit")
        QUANTITY = "quantity", _("Quantity does not fit")
        DISTANCE = "distance", _("Too far away")
        TIMING = "timing", _("Timing does not fit")
        ALREADY_SOLVED = "already-solved", _("Already have a solution")
        OTHER = "other", _("Other")

    offer = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    want = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="dismissals")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Score components at the time, so a learned ranker can use the label later.
    components = models.JSONField(default=dict)
    score = models.FloatField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "want", "company"], name="dismissal_unique_per_company"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} dismissed {self.offer_id} → {self.want_id}"


class MatchLabel(models.Model):
    """What a decision says about an (offer, want) pair: good (positive) or not.

    Labels refer to the pair, not to a match row (rows are rewritten by every rematch),
    and keep the score components the pair had when it was decided, which is what the
    learned ranker is fitted on (``matching/services/ranker.py``). Written by
    ``label_record`` only: matching's dismissals, and the higher apps' decisions
    (accepted contacts and signed agreements in exchanges, the agency's approvals and
    rejections).
    """

    class Source(models.TextChoices):
        AGENCY_APPROVE = "agency_approve", _("Approved by an agency")
        AGENCY_REJECT = "agency_reject", _("Rejected by an agency")
        DISMISSAL = "dismissal", _("Dismissed by a firm")
        CONTACT_ACCEPTED = "contact_accepted", _("Contact accepted")
        AGREEMENT_SIGNED = "agreement_signed", _("Agreement signed")

    offer = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    want = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    positive = models.BooleanField(_("positive"))
    # Who decided: a firm (dismissal, contact, agreement), an agency, and the person.
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    # The decider as one key ("company:12", "agency:3", "" for a fact of the pair such as
    # a signed agreement), so that a repeated decision updates its label.
    decider = models.CharField(max_length=40, blank=True, editable=False)
    # The pair's score components, score and ranker when it was decided.
    components = models.JSONField(default=dict)
    score = models.FloatField(null=True, blank=True)
    ranker_version = models.CharField(max_length=40, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("match label")
        verbose_name_plural = _("match labels")
        constraints = [
            models.UniqueConstraint(fields=["offer", "want", "source", "decider"],
                                    name="label_unique_per_decider"),
        ]
        indexes = [models.Index(fields=["updated_at"], name="label_updated")]

    def __str__(self) -> str:
        sign = "+" if self.positive else "−"
        return f"{sign} {self.offer_id} → {self.want_id} ({self.source})"


class RankerModel(models.Model):
    """A learned ranker fitted by ``manage.py train_ranker`` (or the periodic retrain).

    ``parameters`` are the engine's ``LearnedRanker`` as plain data; ``quality`` the
    cross-validated figures of the model and of the hand-set weights on the same folds.
    At most one is active: the one the matcher scores with (none: the hand-set weights).
    """

    version = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    features = models.JSONField(default=list)
    quality = models.JSONField(default=dict)
    labels = models.PositiveIntegerField(_("labels"), default=0)
    # Labels up to this time were available to the fit (the retrain counts newer ones).
    labels_until = models.DateTimeField(null=True, blank=True)
    # "labels" (decisions) or "judged" (a judged set of pairs, for evaluation).
    trained_on = models.CharField(max_length=20, default="labels")
    parameters = models.JSONField(default=dict)
    active = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ranker model")
        verbose_name_plural = _("ranker models")
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=Q(active=True),
                                    name="ranker_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.version}{' (active)' if self.active else ''}"


class ImportJob(models.Model):
    """One uploaded spreadsheet of one import kind (``matching.imports``): its parsed
    rows, the preview, then the progress and result of applying it.

    A firm's import has ``company``; an agency's has ``agency_id`` (a plain id: the
    agency app sits above matching, which never refers to its models).
    """

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking the rows")
        PREVIEWED = "previewed", _("Waiting for confirmation")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=40)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.CASCADE, related_name="import_jobs"
    )
    agency_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(max_length=5)
    sha256 = models.CharField(max_length=64, db_index=True)
    # The header as read, and every data row: [{"row": 2, "values": {...}}, ...].
    columns = models.JSONField(default=list)
    rows = models.JSONField(default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PREVIEWED
    )
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    # At upload: {"counts": {create, update, unchanged, error}, "rows": [first rows]}.
    preview = models.JSONField(default=dict)
    # Rows refused, at preview and then when applied: [{"row": 3, "errors": {...}}].
    row_errors = models.JSONField(default=list)
    # When applied: {created, updated, unchanged, error} and the ids written.
    summary = models.JSONField(default=dict)
    changed_ids = models.JSONField(default=list)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["company", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(company__isnull=False) | Q(agency_id__isnull=False),
                name="importjob_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} import {self.file_name} ({self.status})"

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, round(100 * self.processed / self.total))

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
