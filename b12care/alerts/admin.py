from django import forms
from django.contrib import admin
from django.utils import timezone

from b12care.core import reads
from b12care.core.admin_history import HistoryAdmin
from b12care.core.admin_readonly import ReadOnlyAdmin

from . import config, delivery, rule_settings
from .models import (
    Alert,
    AlertEscalation,
    AlertRule,
    EscalationLadder,
    InAppMessage,
    Notification,
    ReminderPlan,
    ReminderStep,
)
from .rules import REGISTRY


class AlertRuleForm(forms.ModelForm):
    """Name and on/off; the rule's settings fields are added per rule (``rule_settings``)."""

    reason = forms.CharField(label="Reason for change", widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Kept in the rule's history with your name.")
    confirm = forms.BooleanField(
        label="I have checked who this change flags and who it stops flagging", required=False)

    class Meta:
        model = AlertRule
        fields = ["name", "enabled", "severity"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        rule = self.instance
        before = config.rule_config({rule.code: rule_before(rule)}).get(rule.code)
        self.new_thresholds = rule_settings.thresholds_from(rule.code, data)
        after = {**REGISTRY[rule.code].defaults, **self.new_thresholds} if data["enabled"] else None
        if not data.get("confirm"):
            impact = rule_settings.rule_impact(rule.code, before=before, after=after,
                                               now=timezone.now())
            raise forms.ValidationError(impact_text(impact))
        return data


def rule_before(rule: AlertRule) -> AlertRule:
    """The row as stored (the form has already copied the new name and switch onto it)."""
    return AlertRule.objects.get(pk=rule.pk)


def impact_text(impact: rule_settings.Impact) -> str:
    def names(items):
        return ", ".join(items) or "nobody"
    return (f"With these settings this rule would flag {len(impact.flagged_after)} current "
            f"patient(s) (now {len(impact.flagged_before)}). Would stop being flagged: "
            f"{names(impact.stop)}. Newly flagged: {names(impact.start)}. Tick the box to save.")


@admin.register(AlertRule)
class AlertRuleAdmin(HistoryAdmin):
    list_display = ["name", "code", "severity", "enabled", "updated_at"]
    list_filter = ["enabled", "severity"]
    readonly_fields = ["code", "updated_at"]

    def get_fieldsets(self, request, obj=None):
        settings_names = list(rule_settings.SCHEMAS.get(obj.code, {})) if obj else []
        return [
            (None, {"fields": ["code", "name", "enabled", "severity", "updated_at"]}),
            ("Settings", {"fields": settings_names}),
            ("Change", {"fields": ["reason", "confirm"]}),
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        current = config.rule_config({obj.code: obj}).get(obj.code) if obj else None
        current = current or (dict(REGISTRY[obj.code].defaults) if obj else {})
        extra = rule_settings.settings_fields(obj.code, current) if obj else {}
        form_class = type("AlertRuleSettingsForm", (AlertRuleForm,), extra)
        kwargs["fields"] = None
        return super().get_form(request, obj, change=change, form=form_class, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.thresholds = form.new_thresholds
        obj._change_reason = form.cleaned_data["reason"]
        super().save_model(request, obj, form, change)

    def has_add_permission(self, request):
        return False  # one row per rule in the code base, seeded by migration

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(reads.PatientReadAdminMixin, admin.ModelAdmin):
    """Read-only: an alert's lifecycle (acknowledge, resolve: who, when, note) happens on the
    patient's review page through the alerts services, never by editing a row."""

    list_display = ["patient", "rule", "severity", "status", "first_seen_at", "last_seen_at",
                    "occurrences"]
    list_filter = ["severity", "status", "rule"]
    list_select_related = ["patient__user", "rule"]
    readonly_fields = ["patient", "rule", "severity", "dedup_key", "status", "note", "resolve_note",
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
    readonly_fields = ["kind", "alert", "reminder", "message", "recipient", "channel",
                       "created_at", "enqueued_at", "claimed_at", "attempts", "sent_at",
                       "failed_at", "last_error"]
    actions = ["redrive"]

    @admin.action(description="Re-drive: make selected unsent rows due now")
    def redrive(self, request, queryset):
        n = delivery.notifications_redrive(ids=queryset.values_list("pk", flat=True),
                                           include_failed=True, now=timezone.now())
        self.message_user(request, f"{n} notification(s) will be delivered again.")


@admin.register(ReminderStep)
class ReminderStepAdmin(reads.PatientReadAdminMixin, admin.ModelAdmin):
    list_display = ["patient", "subject", "subject_id", "kind", "fire_at", "status", "reason"]
    list_filter = ["subject", "kind", "status"]
    list_select_related = ["patient__user"]


@admin.register(ReminderPlan)
class ReminderPlanAdmin(reads.PatientReadAdminMixin, admin.ModelAdmin):
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


@admin.register(EscalationLadder)
class EscalationLadderAdmin(HistoryAdmin):
    """One row per tier; a tier without a row uses CLINICAL.md's defaults."""

    list_display = ["tier", "enabled", "delay_minutes", "working_day_starts",
                    "to_escalation_contact", "updated_at"]


@admin.register(AlertEscalation)
class AlertEscalationAdmin(ReadOnlyAdmin):
    """Read-only: the ladder's record (the sweep and acknowledgements own it)."""

    list_display = ["alert", "round", "step", "tier", "due_at", "status", "processed_at",
                    "recipients"]
    list_filter = ["tier", "status"]
    list_select_related = ["alert__patient__user", "alert__rule"]
