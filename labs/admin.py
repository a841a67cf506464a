"""Admin: the lab catalogue is configured here; results and plans keep their change history."""

from django.contrib import admin

from b12care.core import events
from b12care.core.admin_a11y import LabelledListEditableMixin
from b12care.core.admin_history import HistoryAdmin

from . import latest
from .models import Analyte, AnalyteUnit, LabResult, PlannedLab


class AnalyteUnitInline(admin.TabularInline):
    model = AnalyteUnit
    extra = 0


@admin.register(Analyte)
class AnalyteAdmin(LabelledListEditableMixin, admin.ModelAdmin):
    list_display = ("name", "loinc", "canonical_unit", "ref_low", "ref_high", "is_active",
                    "position")
    list_editable = ("is_active", "position")
    search_fields = ("name", "loinc", "alt_loinc", "key")
    inlines = [AnalyteUnitInline]


@admin.register(LabResult)
class LabResultAdmin(events.PatientDataAdminMixin, HistoryAdmin):
    change_kinds = (events.LABS, events.LAB_PLAN,)
    list_display = ("patient", "analyte", "sampled_on", "value", "flag", "source")
    list_filter = ("analyte", "flag", "source")
    list_select_related = ("patient__user", "analyte")
    raw_id_fields = ("patient", "entered_by")
    date_hierarchy = "sampled_on"

    # The latest-result read model follows every edit, revert and delete in the same
    # transaction, before the change is announced (save_model runs before the announcement;
    # the deletes group theirs in a batch that dispatches at the end of the block).
    def save_model(self, request, obj, form, change):
        moved_from = latest.pairs_pointing_at([obj.pk]) if change else set()
        super().save_model(request, obj, form, change)
        latest.refresh(moved_from | {(obj.patient_id, obj.analyte_id)})

    def delete_model(self, request, obj):
        with events.batch():
            super().delete_model(request, obj)
            latest.refresh([(obj.patient_id, obj.analyte_id)])

    def delete_queryset(self, request, queryset):
        pairs = set(queryset.values_list("patient_id", "analyte_id"))
        with events.batch():
            super().delete_queryset(request, queryset)
            latest.refresh(pairs)


@admin.register(PlannedLab)
class PlannedLabAdmin(events.PatientDataAdminMixin, HistoryAdmin):
    change_kinds = (events.LAB_PLAN,)
    list_display = ("patient", "label", "due_date", "status")
    list_filter = ("status", "analyte")
    list_select_related = ("patient__user", "analyte")
    raw_id_fields = ("patient", "fulfilled_by", "created_by")
