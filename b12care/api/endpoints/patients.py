"""Who the patient is: ``/me/`` for the patient, and for clinicians the list of their patients
(``visible_patients``) and one patient (``access_patient``, audited)."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from b12care.accounts.access import visible_patients
from b12care.accounts.models import PatientProfile

from ..scope import require_staff
from .common import PatientScopedView


class PatientBriefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    email = serializers.EmailField(source="user.email")

    class Meta:
        model = PatientProfile
        fields = ["id", "name", "email", "date_of_birth", "timezone"]


class PatientSerializer(PatientBriefSerializer):
    links = serializers.SerializerMethodField()

    class Meta(PatientBriefSerializer.Meta):
        fields = [*PatientBriefSerializer.Meta.fields, "sex", "country", "cause",
                  "neurological_involvement", "severe_anaemia", "links"]

    def get_links(self, patient) -> dict[str, str]:
        """This patient's resources in the API."""
        request = self.context["request"]
        own = self.context.get("own", False)
        names = ["injections", "checkins", "labs", "schedule", "alerts"]
        urls = {}
        for name in names:
            route = f"api:me_{name}" if own else f"api:patient_{name}"
            args = [] if own else [patient.pk]
            urls[name] = request.build_absolute_uri(reverse(route, args=args))
        return urls


class Me(PatientScopedView):
    """The signed-in patient's profile."""

    serializer_class = PatientSerializer

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "own": True}

    def get(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.patient).data)


class PatientList(ListAPIView):
    """The clinician's patients (their care teams), by name."""

    serializer_class = PatientBriefSerializer

    def get_queryset(self):
        require_staff(self.request)
        return visible_patients(self.request.user)


class PatientDetail(PatientScopedView):
    """One of the clinician's patients."""

    serializer_class = PatientSerializer
    audit_action = "patient"

    def get(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.patient).data)
