"""Facilities of a public register (E-PRTR) imported as unclaimed company profiles."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Company, Site


class Facility(models.Model):
    """One register facility and the profile made of it: the key re-imports upsert by.

    ``fingerprint`` is a hash of the row's values the profile was made from and of the
    mapping files, so an identical row (same year, same figures) changes nothing.
    """

    register = models.CharField(_("register"), max_length=20, default="eprtr")
    facility_id = models.CharField(_("facility id"), max_length=255)
    company = models.OneToOneField(Company, on_delete=models.CASCADE,
                                   related_name="register_facility")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="facilities", verbose_name=_("imported by"))
    activity_code = models.CharField(_("E-PRTR activity"), max_length=20)
    year = models.PositiveSmallIntegerField(_("reporting year"))
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["company__name"]
        verbose_name = _("register facility")
        verbose_name_plural = _("register facilities")
        constraints = [
            models.UniqueConstraint(fields=["register", "facility_id"],
                                    name="unique_register_facility"),
        ]

    def __str__(self) -> str:
        return f"{self.register}:{self.facility_id}"
