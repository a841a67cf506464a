from django.contrib import admin

from b12care.core import events
from b12care.core.admin_history import HistoryAdmin

from .models import ClinicianNote


@admin.register(ClinicianNote)
class ClinicianNoteAdmin(events.PatientDataAdminMixin, HistoryAdmin):
    change_kinds = (events.CARE,)
    list_display = ["patient", "author", "created_at"]
    list_filter = ["author"]
    search_fields = ["patient__user__email", "patient__user__last_name", "text"]
    list_select_related = ["patient__user", "author"]
    readonly_fields = ["patient", "author", "created_at"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False  # notes are written on the patient review page, with their author
