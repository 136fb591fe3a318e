from django.contrib import admin

from provenance.models import Model, TrainingRun, TrainingRunInput


class TrainingRunInputInline(admin.TabularInline):
    model = TrainingRunInput
    extra = 0
    raw_id_fields = ("version",)


@admin.register(Model)
class ModelAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "artifact_cid", "created_at")
    search_fields = ("name", "artifact_cid", "owner__username")
    raw_id_fields = ("owner",)


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "model", "started_at", "ended_at", "recorded_by", "external_run_id")
    search_fields = ("model__name", "external_run_id")
    raw_id_fields = ("model", "recorded_by")
    inlines = [TrainingRunInputInline]


@admin.register(TrainingRunInput)
class TrainingRunInputAdmin(admin.ModelAdmin):
    list_display = ("run", "version", "weight", "rows_used", "created_at")
    raw_id_fields = ("run", "version")
