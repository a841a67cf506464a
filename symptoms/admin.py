"""Admin: the symptom catalogue is configured here; diary rows keep their change history."""

from django.contrib import admin

from b12care.core import events
from b12care.core.admin_a11y import LabelledListEditableMixin
from b12care.core.admin_history import HistoryAdmin

from . import services
from .models import CheckIn, Symptom, SymptomScore


@admin.register(Symptom)
class SymptomAdmin(LabelledListEditableMixin, admin.ModelAdmin):
    list_display = ("name", "code", "category", "neurological", "is_active", "position")
    list_editable = ("is_active", "position")
    list_filter = ("category", "neurological")

    def get_readonly_fields(self, request, obj=None):
        # Red-flag rules key on the code: it is fixed once the symptom exists.
        return ("code",) if obj else ()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "neurological" in form.changed_data:
            # Which symptoms count as nerve symptoms changed: so do the stored worst scores.
            services.worst_nerve_scores_reconcile(symptom_ids=[obj.pk])


class SymptomScoreInline(admin.TabularInline):
    model = SymptomScore
    extra = 0


@admin.register(CheckIn)
class CheckInAdmin(events.PatientDataAdminMixin, HistoryAdmin):
    change_kinds = (events.SYMPTOMS,)
    list_display = ("patient", "local_date", "recorded_at")
    list_select_related = ("patient__user",)
    raw_id_fields = ("patient", "recorded_by")
    date_hierarchy = "local_date"
    readonly_fields = ("worst_nerve_score",)
    inlines = [SymptomScoreInline]

    def save_related(self, request, form, formsets, change):
        # The stored worst nerve score follows the edited scores before the change is
        # announced (the batch dispatches at the end of the block).
        with events.batch():
            super().save_related(request, form, formsets, change)
            services.worst_nerve_scores_reconcile(checkin_ids=[form.instance.pk])
