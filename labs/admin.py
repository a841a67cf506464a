"""Admin: the lab catalogue is configured here; results and plans keep their change history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from b12care.core import events

from .models import Analyte, AnalyteUnit, LabResult, PlannedLab


class AnalyteUnitInline(admin.TabularInline):
    model = AnalyteUnit
    extra = 0


@admin.register(Analyte)
class AnalyteAdmin(admin.ModelAdmin):
    list_display = ("name", "loinc", "canonical_unit", "ref_low", "ref_high", "is_active",
                    "position")
    list_editable = ("is_active", "position")
    search_fields = ("name", "loinc", "alt_loinc", "key")
    inlines = [AnalyteUnitInline]


@admin.register(LabResult)
class LabResultAdmin(events.PatientDataAdminMixin, SimpleHistoryAdmin):
    change_kinds = (events.LABS, events.LAB_PLAN,)
    list_display = ("patient", "analyte", "sampled_on", "value", "flag", "source")
    list_filter = ("analyte", "flag", "source")
    list_select_related = ("patient__user", "analyte")
    raw_id_fields = ("patient", "entered_by")
    date_hierarchy = "sampled_on"


@admin.register(PlannedLab)
class PlannedLabAdmin(events.PatientDataAdminMixin, SimpleHistoryAdmin):
    change_kinds = (events.LAB_PLAN,)
    list_display = ("patient", "label", "due_date", "status")
    list_filter = ("status", "analyte")
    list_select_related = ("patient__user", "analyte")
    raw_id_fields = ("patient", "fulfilled_by", "created_by")
