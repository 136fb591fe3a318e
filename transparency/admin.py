from django.contrib import admin

from transparency.models import Anchor, ChainHead, ProvenanceRecord


@admin.register(ProvenanceRecord)
class ProvenanceRecordAdmin(admin.ModelAdmin):
    list_display = ("seq", "kind", "subject", "created_at", "hash")
    list_filter = ("kind",)
    search_fields = ("subject", "hash")

    # The log is append-only: the admin shows it but never edits it.
    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: object) -> bool:
        return False


admin.site.register(ChainHead)
admin.site.register(Anchor)
