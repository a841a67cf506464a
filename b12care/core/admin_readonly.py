"""An admin page that shows rows and never lets anyone add, change or delete them (records
other code owns: the audit log, the escalation ladder's record)."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
