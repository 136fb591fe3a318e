from django.contrib import admin

from accounts.models import ApiToken, Member


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ("user", "display_name", "is_contributor", "is_buyer", "is_curator")
    list_filter = ("is_contributor", "is_buyer", "is_curator")
    search_fields = ("user__username", "display_name")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
    search_fields = ("user__username", "name", "prefix")
