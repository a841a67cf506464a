"""The schedule: the active regimen and its phases in words, the next and upcoming planned
doses, recently missed ones and adherence per phase (``injections.selectors.schedule_summary``,
the same read as the injections page)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from injections import selectors

from .common import PatientScopedView, local_text

UPCOMING = 12


class PhaseSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    kind = serializers.CharField()
    product = serializers.CharField()
    dose = serializers.DecimalField(max_digits=7, decimal_places=2)
    unit = serializers.CharField()
    time_of_day = serializers.RegexField(r"^\d{2}:\d{2}$",
                                         help_text="Local time the dose is due, HH:MM.")
    start_date = serializers.DateField(allow_null=True)
    ended_on = serializers.DateField(allow_null=True)
    in_words = serializers.CharField(help_text="e.g. “Induction: 1 mg hydroxocobalamin, on "
                                               "alternate days, 6 doses, at 09:00”.")


class RegimenSerializer(serializers.Serializer):
    name = serializers.CharField()
    start_date = serializers.DateField()
    phases = PhaseSerializer(many=True)


class DoseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    due_at = serializers.DateTimeField()
    due_local = serializers.CharField(help_text="The due time in the patient's zone.")
    label = serializers.CharField(help_text="e.g. “induction dose 4 of 6”.")
    phrase = serializers.CharField(help_text="e.g. “due tomorrow”, “overdue by 2 days”.")
    status = serializers.CharField()


class AdherenceSerializer(serializers.Serializer):
    phase = serializers.IntegerField(help_text="The phase's order.")
    on_time = serializers.IntegerField()
    due = serializers.IntegerField()
    on_time_means = serializers.CharField(help_text="e.g. “within 2 days of the due time”.")


class ScheduleSerializer(serializers.Serializer):
    time_zone = serializers.CharField()
    regimen = RegimenSerializer(allow_null=True)
    next_dose = DoseSerializer(allow_null=True)
    upcoming = DoseSerializer(many=True)
    missed = DoseSerializer(many=True, help_text="Up to three missed since the last taken.")
    adherence = AdherenceSerializer(many=True)


def phase_in_words(phase) -> str:
    return (f"{phase.get_kind_display()}: {phase.dose_text} {phase.get_product_display().lower()}"
            f", {phase.recurrence.describe()}, at {phase.time_of_day:%H:%M}")


def _phase(phase) -> dict:
    return {"order": phase.order, "kind": phase.kind, "product": phase.product,
            "dose": phase.dose, "unit": phase.unit, "time_of_day": f"{phase.time_of_day:%H:%M}",
            "start_date": phase.start_date, "ended_on": phase.ended_on,
            "in_words": phase_in_words(phase)}


def _dose(row: dict, patient) -> dict:
    dose = row["dose"]
    return {"id": dose.pk, "due_at": dose.due_at, "due_local": local_text(dose.due_at, patient),
            "label": row["label"], "phrase": row["phrase"], "status": dose.status}


def schedule_body(patient, *, now) -> dict:
    summary = selectors.schedule_summary(patient, now=now, upcoming=UPCOMING)
    regimen = summary["regimen"]
    return {
        "time_zone": patient.timezone,
        "regimen": None if regimen is None else {
            "name": regimen.name, "start_date": regimen.start_date,
            "phases": [_phase(p) for p in summary["phases"]]},
        "next_dose": _dose(summary["next"], patient) if summary["next"] else None,
        "upcoming": [_dose(row, patient) for row in summary["upcoming"]],
        "missed": [_dose(row, patient) for row in summary["missed"]],
        "adherence": [{"phase": a.phase.order, "on_time": a.on_time, "due": a.due,
                       "on_time_means": a.grace_text} for a in summary["adherence"]],
    }


class Schedule(PatientScopedView):
    """The patient's schedule in words and planned doses."""

    serializer_class = ScheduleSerializer
    audit_action = "schedule"

    @extend_schema(responses=ScheduleSerializer)
    def get(self, request, *args, **kwargs):
        return Response(ScheduleSerializer(schedule_body(self.patient, now=self.now)).data)
