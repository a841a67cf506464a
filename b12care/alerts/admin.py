from django.contrib import admin
from django.utils import timezone

from . import delivery
from .models import Alert, AlertRule, InAppMessage, Notification, ReminderPlan, ReminderStep


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "enabled", "updated_at"]
    list_filter = ["enabled"]
    readonly_fields = ["code", "updated_at"]
    fields = ["code", "name", "enabled", "thresholds", "updated_at"]

    def has_add_permission(self, request):
        return False  # one row per rule in the code base, seeded by migration

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Read-only: an alert's lifecycle (acknowledge, resolve: who, when, note) happens on the
    patient's review page through the alerts services, never by editing a row."""

    list_display = ["patient", "rule", "severity", "status", "first_seen_at", "last_seen_at",
                    "occurrences"]
    list_filter = ["severity", "status", "rule"]
    list_select_related = ["patient__user", "rule"]
    readonly_fields = ["patient", "rule", "severity", "dedup_key", "status", "note",
                       "first_seen_at", "last_seen_at", "occurrences", "acknowledged_at",
                       "acknowledged_by", "resolved_at", "resolved_by"]
    search_fields = ["patient__user__email", "patient__user__last_name", "dedup_key"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "channel", "recipient", "created_at", "attempts", "sent_at",
                    "failed_at"]
    list_filter = ["kind", "channel", ("sent_at", admin.EmptyFieldListFilter),
                   ("failed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["recipient"]
    readonly_fields = ["kind", "alert", "reminder", "recipient", "channel", "created_at",
                       "enqueued_at", "claimed_at", "attempts", "sent_at", "failed_at",
                       "last_error"]
    actions = ["redrive"]

    @admin.action(description="Re-drive: make selected unsent rows due now")
    def redrive(self, request, queryset):
        n = delivery.notifications_redrive(ids=queryset.values_list("pk", flat=True),
                                           include_failed=True, now=timezone.now())
        self.message_user(request, f"{n} notification(s) will be delivered again.")


@admin.register(ReminderStep)
class ReminderStepAdmin(admin.ModelAdmin):
    list_display = ["patient", "subject", "subject_id", "kind", "fire_at", "status", "reason"]
    list_filter = ["subject", "kind", "status"]
    list_select_related = ["patient__user"]


@admin.register(ReminderPlan)
class ReminderPlanAdmin(admin.ModelAdmin):
    """Reminder steps planned ahead; read-only (the sweep owns them)."""

    list_display = ["patient", "subject", "subject_id", "step", "kind", "fire_at"]
    list_filter = ["subject", "kind"]
    list_select_related = ["patient__user"]
    date_hierarchy = "fire_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(InAppMessage)
class InAppMessageAdmin(admin.ModelAdmin):
    list_display = ["user", "title", "created_at", "read_at"]
    list_filter = ["read_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
