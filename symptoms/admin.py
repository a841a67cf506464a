"""Admin: the symptom catalogue is configured here; diary rows keep their change history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from b12care.core import events

from .models import CheckIn, Symptom, SymptomScore


@admin.register(Symptom)
class SymptomAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "category", "neurological", "is_active", "position")
    list_editable = ("is_active", "position")
    list_filter = ("category", "neurological")

    def get_readonly_fields(self, request, obj=None):
        # Red-flag rules key on the code: it is fixed once the symptom exists.
        return ("code",) if obj else ()


class SymptomScoreInline(admin.TabularInline):
    model = SymptomScore
    extra = 0


@admin.register(CheckIn)
class CheckInAdmin(events.PatientDataAdminMixin, SimpleHistoryAdmin):
    change_kinds = (events.SYMPTOMS,)
    list_display = ("patient", "local_date", "recorded_at")
    list_select_related = ("patient__user",)
    raw_id_fields = ("patient", "recorded_by")
    date_hierarchy = "local_date"
    inlines = [SymptomScoreInline]
