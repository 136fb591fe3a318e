from django.contrib import admin

from marketplace.models import Dataset, DatasetContributor, DatasetVersion, Pin, VersionDerivation


class ContributorInline(admin.TabularInline):
    model = DatasetContributor
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("title", "license", "created_by", "created_at")
    list_filter = ("license",)
    search_fields = ("title", "description")
    inlines = [ContributorInline]
    raw_id_fields = ("created_by",)


class PinInline(admin.StackedInline):
    model = Pin
    extra = 0
    can_delete = False
    readonly_fields = ("cid", "status", "attempts", "last_error", "next_attempt_at", "pinned_at")


@admin.register(DatasetVersion)
class DatasetVersionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "cid", "size", "format", "status", "created_at")
    list_filter = ("status", "format", "license")
    search_fields = ("cid", "sha256", "dataset__title")
    list_select_related = ("dataset",)
    raw_id_fields = ("dataset", "uploaded_by")
    # A version is identified by its bytes: what was hashed cannot be edited afterwards.
    readonly_fields = ("cid", "sha256", "size", "format", "created_at")
    inlines = [PinInline]


@admin.register(Pin)
class PinAdmin(admin.ModelAdmin):
    list_display = ("cid", "status", "attempts", "next_attempt_at", "pinned_at")
    list_filter = ("status",)
    search_fields = ("cid",)


@admin.register(VersionDerivation)
class VersionDerivationAdmin(admin.ModelAdmin):
    list_display = ("child", "parent", "weight", "created_at")
    raw_id_fields = ("child", "parent")
