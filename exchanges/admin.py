from django.contrib import admin

from exchanges.models import (
    Agreement,
    AgreementVersion,
    AuditEntry,
    Block,
    Contact,
    Delivery,
    ListingDisclosure,
)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("id", "requester", "recipient", "state", "stage", "created_at")
    list_filter = ("state", "stage")
    raw_id_fields = ("offer", "want", "requester", "recipient", "requested_by", "accepted_by")


class VersionInline(admin.TabularInline):
    model = AgreementVersion
    extra = 0
    fields = ("number", "material", "quantity", "unit", "frequency", "start_date", "end_date")
    readonly_fields = fields


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ("id", "contact", "state", "created_at")
    list_filter = ("state",)
    raw_id_fields = ("contact",)
    inlines = [VersionInline]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "agreement", "date", "quantity", "unit", "state")
    list_filter = ("state",)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "subject", "subject_id", "action", "from_state", "to_state",
                    "user")
    list_filter = ("subject", "action")


admin.site.register(Block)
admin.site.register(ListingDisclosure)
