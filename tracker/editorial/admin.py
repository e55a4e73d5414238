"""Readers' follows and the notification log, read-only for administrators."""

from django.contrib import admin

from .models import NotificationLog, Subscription


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["email", "commitment", "pillar", "institution", "confirmed_at", "created_at"]
    list_select_related = ["commitment", "pillar", "institution"]
    list_filter = ["confirmed_at"]
    search_fields = ["email", "commitment__reference"]


@admin.register(NotificationLog)
class NotificationLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "recipient", "subject"]
    list_filter = ["kind"]
    search_fields = ["recipient", "subject", "key"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
