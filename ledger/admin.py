from django.contrib import admin

from ledger.models import Account, LedgerEntry, LedgerTransaction, RevenueEvent


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "user", "version", "currency", "created_at")
    list_filter = ("kind", "currency")
    raw_id_fields = ("user", "version")


class EntryInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    raw_id_fields = ("account",)
    readonly_fields = ("account", "amount", "created_at")


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "currency", "reference", "created_by", "created_at")
    list_filter = ("kind", "currency")
    search_fields = ("reference", "memo")
    raw_id_fields = ("created_by",)
    inlines = [EntryInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ("id", "transaction", "account", "amount", "created_at")
    raw_id_fields = ("transaction", "account")


@admin.register(RevenueEvent)
class RevenueEventAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "version", "gross", "fee", "amount", "currency", "split_at")
    list_filter = ("kind", "currency")
    raw_id_fields = ("version", "policy", "transaction")
