from django.contrib import admin

from licensing.models import AccessGrant, Download, LicenseOffer, Purchase


@admin.register(LicenseOffer)
class LicenseOfferAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "dataset",
        "license",
        "use",
        "price",
        "currency",
        "duration_days",
        "all_versions",
        "is_active",
        "created_at",
    )
    list_filter = ("use", "currency", "is_active", "license")
    raw_id_fields = ("dataset", "created_by")
    filter_horizontal = ("versions",)


@admin.register(Purchase)
class PurchaseAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "buyer",
        "offer",
        "price",
        "fee",
        "currency",
        "payment_provider",
        "created_at",
    )
    list_filter = ("currency", "payment_provider")
    search_fields = ("idempotency_key",)
    raw_id_fields = ("buyer", "offer", "ledger_transaction")
    readonly_fields = ("request_fingerprint",)


@admin.register(AccessGrant)
class AccessGrantAdmin(admin.ModelAdmin):
    list_display = ("id", "buyer", "dataset", "use", "license", "expires_at", "created_at")
    list_filter = ("use",)
    raw_id_fields = ("purchase", "buyer", "dataset")
    filter_horizontal = ("versions",)


@admin.register(Download)
class DownloadAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "version",
        "via",
        "grant",
        "range_start",
        "range_end",
        "length",
        "created_at",
    )
    list_filter = ("via",)
    raw_id_fields = ("user", "version", "grant")
