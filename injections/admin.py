"""Admin: protocol templates are configured here; clinical rows keep their change history."""

from django.contrib import admin

from b12care.core import events
from b12care.core.admin_history import HistoryAdmin

from . import describe
from .forms import PhaseDoseAdminForm
from .models import (
    FollowUpSettings,
    Injection,
    InjectionFollowUp,
    Phase,
    PlannedDose,
    ProtocolTemplate,
    Regimen,
    SuitabilityAssessment,
    Supply,
    TemplatePhase,
    TrainingRecord,
)


class TemplatePhaseInline(admin.StackedInline):
    model = TemplatePhase
    form = PhaseDoseAdminForm
    extra = 0


@admin.register(ProtocolTemplate)
class ProtocolTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "is_active", "position")
    fields = ("name", "slug", "source", "description", "is_active", "position")
    readonly_fields = ("description",)  # generated from the phases below, never typed
    prepopulated_fields = {"slug": ("name",)}
    inlines = [TemplatePhaseInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("phases")


class PhaseInline(admin.TabularInline):
    model = Phase
    form = PhaseDoseAdminForm
    extra = 0
    fields = ("order", "kind", "product", "dose", "unit", "confirm_dose", "repeat", "interval",
              "weekdays", "end_kind", "count", "until", "time_of_day", "start_date", "ended_on",
              "schedule")
    readonly_fields = ("schedule",)

    @admin.display(description="schedule (as stored)")
    def schedule(self, phase: Phase) -> str:
        """The stored RRULE in words (the raw rule is for the FHIR export, not for people)."""
        return describe.rrule_in_words(phase.rrule) if phase.rrule else "—"


@admin.register(Regimen)
class RegimenAdmin(events.PatientDataAdminMixin, HistoryAdmin):
    change_kinds = (events.DOSES,)
    list_display = ("patient", "name", "status", "start_date")
    list_filter = ("status",)
    raw_id_fields = ("patient", "created_by")
    inlines = [PhaseInline]


@admin.register(PlannedDose)
class PlannedDoseAdmin(events.PatientDataAdminMixin, admin.ModelAdmin):
    change_kinds = (events.DOSES,)
    list_display = ("patient", "due_at", "sequence", "status")
    list_filter = ("status",)
    raw_id_fields = ("patient", "regimen", "phase", "injection")
    date_hierarchy = "due_at"


@admin.register(Injection)
class InjectionAdmin(events.PatientDataAdminMixin, HistoryAdmin):
    change_kinds = (events.INJECTIONS, events.DOSES,)
    list_display = ("patient", "taken_at", "site", "administered_by", "pain")
    list_filter = ("site", "administered_by", "breathing_difficulty", "face_throat_swelling")
    raw_id_fields = ("patient", "recorded_by")
    date_hierarchy = "taken_at"


@admin.register(SuitabilityAssessment, TrainingRecord)
class ReadinessAdmin(events.PatientDataAdminMixin, HistoryAdmin):
    change_kinds = (events.CARE,)
    raw_id_fields = ("patient",)


@admin.register(Supply)
class SupplyAdmin(events.PatientDataAdminMixin, admin.ModelAdmin):
    change_kinds = (events.CARE,)
    list_display = ("patient", "ampoules_on_hand", "counted_at")
    raw_id_fields = ("patient", "updated_by")


@admin.register(FollowUpSettings)
class FollowUpSettingsAdmin(admin.ModelAdmin):
    """One row (pk=1): the delays of the post-dose check-in and the site follow-up."""

    list_display = ("__str__", "checkin_delay_minutes", "site_followup_hours")

    def has_add_permission(self, request):
        return not FollowUpSettings.objects.exists()

    def save_model(self, request, obj, form, change):
        obj.pk = 1
        super().save_model(request, obj, form, change)


@admin.register(InjectionFollowUp)
class InjectionFollowUpAdmin(events.PatientDataAdminMixin, HistoryAdmin):
    """A clinician or admin may clear a sore site here (``cleared_at``) so rotation suggests
    it again; answers are the patient's and stay read-only."""

    change_kinds = (events.INJECTIONS,)
    list_display = ("patient", "kind", "due_at", "answer", "answered_at", "cleared_at")
    list_filter = ("kind", "answer")
    fields = ("patient", "injection", "kind", "due_at", "answer", "answered_at", "cleared_at")
    readonly_fields = ("patient", "injection", "kind", "due_at", "answer", "answered_at")

    def has_add_permission(self, request):
        return False
