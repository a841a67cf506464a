"""Alerts: the patient's own (what they are told, and when their team acknowledged), a
clinician's view of a patient's alerts, and acknowledging one."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from b12care.alerts import selectors

# The one place the API names the alerts app's write service (its module may move).
from b12care.alerts.lifecycle import alert_acknowledge
from b12care.alerts.models import Alert

from .common import PatientScopedView, service_error


class PatientAlertSerializer(serializers.ModelSerializer):
    message = serializers.CharField(source="patient_message")

    class Meta:
        model = Alert
        fields = ["id", "severity", "status", "message", "first_seen_at", "last_seen_at",
                  "acknowledged_at"]


class ClinicianAlertSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.name")
    acknowledged_by = serializers.CharField(read_only=True, allow_null=True,
                                            help_text="The clinician's name.")
    resolved_by = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Alert
        fields = ["id", "rule", "severity", "status", "clinician_message", "patient_message",
                  "first_seen_at", "last_seen_at", "occurrences", "acknowledged_at",
                  "acknowledged_by", "resolved_at", "resolved_by", "note", "resolve_note"]


class ClinicianAlertsSerializer(serializers.Serializer):
    active = ClinicianAlertSerializer(many=True, help_text="Open and acknowledged, urgent first.")
    recently_resolved = ClinicianAlertSerializer(many=True)


class AcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class MyAlerts(PatientScopedView):
    """The patient's active alerts that have something to tell them, urgent first."""

    serializer_class = PatientAlertSerializer
    pagination_class = None

    @extend_schema(responses=PatientAlertSerializer(many=True))
    def get(self, request, *args, **kwargs):
        alerts = selectors.patient_visible_alerts(self.patient)
        return Response(self.get_serializer(alerts, many=True).data)


class PatientAlerts(PatientScopedView):
    """A patient's active alerts and the five most recently resolved (clinicians)."""

    serializer_class = ClinicianAlertsSerializer
    audit_action = "alerts.list"

    def get(self, request, *args, **kwargs):
        active, resolved = selectors.active_and_recent_resolved(self.patient)
        return Response(self.get_serializer({"active": active,
                                             "recently_resolved": resolved}).data)


class AlertAcknowledge(PatientScopedView):
    """Acknowledge one open alert (other alerts stay open); the patient sees when."""

    serializer_class = ClinicianAlertSerializer
    audit_action = "alerts.acknowledge"

    @extend_schema(request=AcknowledgeSerializer, responses={200: ClinicianAlertSerializer})
    def post(self, request, *args, **kwargs):
        alert = get_object_or_404(Alert.objects.select_related("patient"),
                                  pk=self.kwargs["alert_id"], patient=self.patient)
        form = AcknowledgeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            alert = alert_acknowledge(alert=alert, by=request.user, now=self.now,
                                      note=form.validated_data["note"])
        except ValidationError as exc:
            raise service_error(exc) from None
        alert = Alert.objects.select_related("rule", "acknowledged_by", "resolved_by").get(
            pk=alert.pk)
        return Response(self.get_serializer(alert).data)
