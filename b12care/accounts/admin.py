from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.shortcuts import render
from django.utils import timezone

from b12care.core import events, reads
from b12care.core.admin_a11y import LabelledTabularInline
from b12care.core.admin_readonly import ReadOnlyAdmin

from .models import (
    AccessLog,
    CareTeamMembership,
    Clinic,
    ClosureRequest,
    PatientProfile,
    Role,
    User,
)
from .services import care_team_add, closure_confirm


class AssignClinicianForm(forms.Form):
    clinician = forms.ModelChoiceField(
        queryset=User.objects.filter(role=Role.CLINICIAN, is_active=True).order_by("last_name"),
        help_text="They will see these patients on their dashboard.",
    )
    primary = forms.BooleanField(required=False, label="Make them the primary clinician")


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


class CareTeamInline(LabelledTabularInline):
    model = CareTeamMembership
    fk_name = "patient"
    extra = 1
    autocomplete_fields = ["clinician"]
    fields = ["clinician", "is_primary", "clinic", "added_at", "added_by"]
    readonly_fields = ["added_at", "added_by"]


@admin.register(PatientProfile)
class PatientProfileAdmin(events.PatientDataAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "timezone", "cause", "neurological_involvement", "created_at"]
    list_filter = ["cause", "neurological_involvement", "country", "timezone"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    inlines = [CareTeamInline]
    readonly_fields = ["created_at", "updated_at"]
    actions = ["assign_clinician"]

    @admin.action(description="Add a clinician to the care team of the selected patients")
    def assign_clinician(self, request, queryset):
        form = AssignClinicianForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            clinician = form.cleaned_data["clinician"]
            for patient in queryset:
                care_team_add(patient=patient, clinician=clinician, added_by=request.user,
                              primary=form.cleaned_data["primary"])
            self.message_user(
                request, f"{clinician} now looks after {queryset.count()} selected patient(s).",
                messages.SUCCESS,
            )
            return None
        return render(request, "admin/accounts/assign_clinician.html", {
            **self.admin_site.each_context(request),
            "title": "Add a clinician to care teams",
            "patients": queryset,
            "form": form,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
        })

    def patient_ids_of(self, obj) -> list[int]:
        return [obj.pk]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "timezone" in form.changed_data:  # injections moves future doses
            events.patient_data_changed([obj.pk], {events.TIMEZONE}, now=timezone.now(),
                                        by=request.user)


class AccessLogRoleFilter(admin.SimpleListFilter):
    """The role at the time, with a name for rows without one (Django's filter over the raw
    values showed an empty, nameless link for them)."""

    title = "role"
    parameter_name = "role"
    NONE = "none"

    def lookups(self, request, model_admin):
        return [*Role.choices, (self.NONE, "No role (signed out or system)")]

    def queryset(self, request, queryset):
        if self.value() == self.NONE:
            return queryset.filter(role="")
        return queryset.filter(role=self.value()) if self.value() else queryset


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    """The audit log, read-only: no add, change or delete (single or bulk) for anyone."""

    list_display = ["at", "kind", "user_label", "role", "patient_label", "action", "object_type",
                    "object_id", "address"]
    list_filter = ["kind", AccessLogRoleFilter]
    search_fields = ["user_label", "patient_label", "action", "request_id", "=object_id"]
    date_hierarchy = "at"
    actions = None
    readonly_fields = ["at", "kind", "user_id", "user_label", "role", "patient_id",
                       "patient_label", "action", "object_type", "object_id", "address",
                       "user_agent", "request_id"]
    fields = readonly_fields


@admin.register(CareTeamMembership)
class CareTeamMembershipAdmin(reads.PatientReadAdminMixin, admin.ModelAdmin):
    list_display = ["patient", "clinician", "is_primary", "clinic", "added_at", "added_by"]
    list_filter = ["is_primary", "clinic", "clinician"]
    search_fields = ["patient__user__email", "patient__user__last_name", "clinician__email",
                     "clinician__last_name"]
    list_select_related = ["patient__user", "clinician", "clinic", "added_by"]
    autocomplete_fields = ["patient", "clinician"]
    readonly_fields = ["added_at", "added_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    """The contact card patients see beside every "contact your clinic" message."""

    list_display = ["name", "phone", "hours"]
    search_fields = ["name", "phone"]
    readonly_fields = ["created_at", "updated_at"]
@admin.register(ClosureRequest)
class ClosureRequestAdmin(admin.ModelAdmin):
    """Patients' requests to close their account. Confirming deactivates the account and ends
    its sessions; requests are never deleted (they are part of the record)."""

    list_display = ("patient", "requested_at", "status", "decided_by", "decided_at")
    list_filter = ("status",)
    readonly_fields = ("patient", "reason", "requested_at", "status", "decided_by", "decided_at")
    actions = ["confirm"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Confirm: close these accounts")
    def confirm(self, request, queryset):
        closed = sum(closure_confirm(request=item, by=request.user, now=timezone.now())
                     for item in queryset.select_related("patient__user"))
        self.message_user(request, f"{closed} account(s) closed.", messages.SUCCESS)
