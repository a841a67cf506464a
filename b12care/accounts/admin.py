from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import AccessLog, CareTeamMembership, PatientProfile, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "role"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "role", "password1", "password2"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]


class CareTeamInline(admin.TabularInline):
    model = CareTeamMembership
    fk_name = "patient"
    extra = 1
    autocomplete_fields = ["clinician"]
    readonly_fields = ["added_at", "added_by"]


@admin.register(PatientProfile)
class PatientProfileAdmin(admin.ModelAdmin):
    list_display = ["__str__", "timezone", "cause", "neurological_involvement", "created_at"]
    list_filter = ["cause", "neurological_involvement", "country", "timezone"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    inlines = [CareTeamInline]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "timezone" in form.changed_data:
            # Future untaken doses move to the same wall-clock time in the new zone.
            from django.utils import timezone

            from injections.services import regenerate_planned_doses

            regenerate_planned_doses(obj, now=timezone.now())


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "patient", "action"]
    list_filter = ["action"]
    search_fields = ["user__email", "patient__user__email"]
    list_select_related = ["user", "patient__user"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
