"""The injection log: list, record, correct and delete, through the injections services (the
24-hour rule for patients is ``services.can_change``, as on the web)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.mixins import ListModelMixin
from rest_framework.response import Response

from injections import selectors, services
from injections.models import LOCAL_REACTIONS, SYSTEMIC_REACTIONS, Injection

from .common import (
    READ_ONLY,
    GuidanceSerializer,
    LocalDateTimeField,
    PatientScopedView,
    guidance,
    service_error,
)

REACTIONS = {"local_reactions": LOCAL_REACTIONS, "systemic_reactions": SYSTEMIC_REACTIONS}


class PlannedDoseBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    due_at = serializers.DateTimeField()
    label = serializers.CharField(help_text="e.g. “induction dose 4 of 6”.")


class InjectionSerializer(serializers.ModelSerializer):
    taken_at_local = serializers.SerializerMethodField()
    local_reactions = serializers.SerializerMethodField()
    systemic_reactions = serializers.SerializerMethodField()
    planned_dose = serializers.SerializerMethodField()
    can_change = serializers.SerializerMethodField()

    class Meta:
        model = Injection
        fields = ["id", "taken_at", "taken_at_local", "product", "dose", "unit", "lot_number",
                  "expiry_date", "site", "administered_by", "pain", "local_reactions",
                  "systemic_reactions", "notes", "planned_dose", "can_change", "created_at"]

    def get_taken_at_local(self, injection) -> str:
        """The time in the patient's zone, with its offset."""
        return injection.taken_at.astimezone(self.context["patient"].tz).isoformat()

    def get_local_reactions(self, injection) -> list[str]:
        return [name for name in LOCAL_REACTIONS if getattr(injection, name)]

    def get_systemic_reactions(self, injection) -> list[str]:
        return [name for name in SYSTEMIC_REACTIONS if getattr(injection, name)]

    @staticmethod
    def _dose(injection):
        try:
            return injection.planned_dose
        except Injection.planned_dose.RelatedObjectDoesNotExist:
            return None

    @extend_schema_field(PlannedDoseBriefSerializer(allow_null=True))
    def get_planned_dose(self, injection):
        dose = self._dose(injection)
        if dose is None:
            return None
        return {"id": dose.pk, "due_at": serializers.DateTimeField().to_representation(
            dose.due_at), "label": selectors.phase_label(dose.phase, dose.sequence)}

    def get_can_change(self, injection) -> bool:
        """Whether the viewer may still correct or delete it (patients: 24 hours)."""
        injection.patient = self.context["patient"]
        return services.can_change(injection, self.context["viewer"], now=self.context["now"])


class InjectionWriteSerializer(serializers.ModelSerializer):
    """What the log form asks. Reactions are lists of codes; left out on a change, unchanged."""

    taken_at = LocalDateTimeField(
        help_text="ISO 8601. Without an offset it is the patient's own local time.")
    local_reactions = serializers.ListField(
        child=serializers.ChoiceField(choices=list(LOCAL_REACTIONS.items())), required=False,
        max_length=len(LOCAL_REACTIONS))
    systemic_reactions = serializers.ListField(
        child=serializers.ChoiceField(choices=list(SYSTEMIC_REACTIONS.items())), required=False,
        max_length=len(SYSTEMIC_REACTIONS),
        help_text="Difficulty breathing or face/throat swelling: call emergency services now.")
    client_token = serializers.RegexField(
        r"^[A-Za-z0-9_-]{8,40}$", required=False, write_only=True,
        help_text="Your own id for this entry: sending it again (a retry) records it once.")

    class Meta:
        model = Injection
        fields = ["taken_at", "product", "dose", "unit", "lot_number", "expiry_date", "site",
                  "administered_by", "pain", "notes", "local_reactions", "systemic_reactions",
                  "client_token"]

    def service_values(self) -> dict:
        """The validated values as the services take them (reactions as booleans)."""
        values = dict(self.validated_data)
        values.pop("client_token", None)
        for field, names in REACTIONS.items():
            chosen = values.pop(field, None)
            if chosen is not None:
                values.update({name: name in chosen for name in names})
        return values


class RecordedSerializer(GuidanceSerializer):
    """The injection as saved, warnings the web shows (an expired batch, a site not
    advised) and whether to show the patient what to do now."""

    injection = InjectionSerializer()
    created = serializers.BooleanField(help_text="False when this client_token was recorded "
                                                 "before: nothing new was saved.")
    warnings = serializers.ListField(child=serializers.CharField())


def _recorded(view, recorded: services.Recorded, injection: Injection) -> dict:
    return {"injection": InjectionSerializer(injection, context=view.get_serializer_context()).data,
            "created": recorded.created, "warnings": recorded.warnings,
            **guidance(recorded.findings, view.request)}


class InjectionList(ListModelMixin, PatientScopedView):
    """The injection log, newest first."""

    serializer_class = InjectionSerializer
    queryset = Injection.objects.none()  # for the schema; rows come from the patient
    audit_action = "injections.list"

    def get_queryset(self):
        return selectors.history(self.patient)

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(request=InjectionWriteSerializer, responses={
        201: RecordedSerializer, 200: OpenApiResponse(RecordedSerializer, "Already recorded.")})
    def post(self, request, *args, **kwargs):
        """Record an injection (matched to the dose it fulfils; red-flag rules run)."""
        form = InjectionWriteSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        token = form.validated_data.get("client_token")
        try:
            recorded = services.injection_record(
                patient=self.patient, recorded_by=request.user, now=self.now,
                form_token=f"api-{self.patient.pk}-{token}" if token else None,
                **form.service_values())
        except ValidationError as exc:
            raise service_error(exc) from None
        body = _recorded(self, recorded, recorded.injection)
        return Response(body, status=status.HTTP_201_CREATED if recorded.created else 200)


class PatientInjectionList(InjectionList):
    http_method_names = READ_ONLY


class InjectionDetail(PatientScopedView):
    serializer_class = InjectionSerializer
    queryset = Injection.objects.none()
    audit_action = "injections.detail"

    def get_object(self) -> Injection:
        injection = get_object_or_404(selectors.history(self.patient), pk=self.kwargs["pk"])
        injection.patient = self.patient
        return injection

    def get(self, request, *args, **kwargs):
        """One injection of the log."""
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=InjectionWriteSerializer, responses={200: RecordedSerializer})
    def patch(self, request, *args, **kwargs):
        """Correct an entry (patients: within 24 hours; the history keeps every version)."""
        injection = self.get_object()
        form = InjectionWriteSerializer(data=request.data, partial=True,
                                        context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        try:
            recorded = services.injection_update(injection=injection, by=request.user,
                                                 now=self.now, **form.service_values())
        except ValidationError as exc:
            raise service_error(exc) from None
        return Response(_recorded(self, recorded, self.get_object()))

    @extend_schema(responses={204: None})
    def delete(self, request, *args, **kwargs):
        """Delete an entry (patients: within 24 hours); its planned dose is due again."""
        services.injection_delete(injection=self.get_object(), by=request.user, now=self.now)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PatientInjectionDetail(InjectionDetail):
    http_method_names = READ_ONLY
