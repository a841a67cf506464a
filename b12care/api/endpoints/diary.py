"""The diary: the symptom catalogue, check-ins read, today's check-in saved through
``symptoms.services.checkin_save`` (one per local day, updated in place that day)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.response import Response

from symptoms import selectors, services
from symptoms.models import CheckIn, Symptom

from .common import READ_ONLY, GuidanceSerializer, PatientScopedView, guidance


class SymptomSerializer(serializers.ModelSerializer):
    locations = serializers.ListField(child=serializers.CharField(), read_only=True,
                                      help_text="Where the symptom may be (empty: not asked).")

    class Meta:
        model = Symptom
        fields = ["code", "name", "question", "help_text", "category", "neurological",
                  "locations"]


class SymptomList(ListAPIView):
    """The diary's questions: each is scored 0 (none) to 10 (worst)."""

    serializer_class = SymptomSerializer
    pagination_class = None

    def get_queryset(self):
        return Symptom.objects.filter(is_active=True)


class ScoreSerializer(serializers.Serializer):
    symptom = serializers.SlugField(max_length=40, help_text="A code from /api/v1/symptoms/.")
    severity = serializers.IntegerField(min_value=0, max_value=10)
    location = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                     default="")


class ScoreReadSerializer(ScoreSerializer):
    name = serializers.CharField()


class CheckInSerializer(serializers.ModelSerializer):
    scores = serializers.SerializerMethodField()

    class Meta:
        model = CheckIn
        fields = ["id", "local_date", "recorded_at", "notes", "scores"]

    @extend_schema_field(ScoreReadSerializer(many=True))
    def get_scores(self, checkin):
        return [{"symptom": s.symptom.code, "name": s.symptom.name, "severity": s.severity,
                 "location": s.location} for s in checkin.scores.all()]


class CheckInWriteSerializer(serializers.Serializer):
    scores = ScoreSerializer(many=True, max_length=60, required=False, default=list,
                             help_text="Symptoms left out are not recorded today.")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate_scores(self, scores: list[dict]) -> list[dict]:
        codes = [s["symptom"] for s in scores]
        if len(codes) != len(set(codes)):
            raise serializers.ValidationError("Give each symptom once.")
        return scores

    def service_scores(self) -> dict[str, tuple[int, str]]:
        return {s["symptom"]: (s["severity"], s["location"])
                for s in self.validated_data["scores"]}


class SavedSerializer(GuidanceSerializer):
    """Today's check-in as saved and whether to show the patient what to do now."""

    checkin = CheckInSerializer()
    created = serializers.BooleanField(help_text="False when today's diary was updated.")


def _score_errors(exc: ValidationError) -> serializers.ValidationError:
    """The service names the symptom a message is about: report it under ``scores``."""
    messages = exc.message_dict
    general = messages.pop("__all__", None)
    detail = {"scores": messages} if messages else {}
    if general:
        detail["non_field_errors"] = general
    return serializers.ValidationError(detail)


class CheckInList(ListModelMixin, PatientScopedView):
    """Diary check-ins, newest day first."""

    serializer_class = CheckInSerializer
    queryset = CheckIn.objects.none()
    audit_action = "diary.list"

    def get_queryset(self):
        return selectors.history(self.patient)

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(request=CheckInWriteSerializer, responses={
        201: SavedSerializer, 200: OpenApiResponse(SavedSerializer, "Today's diary updated.")})
    def post(self, request, *args, **kwargs):
        """Save today's diary (the patient's local day); red-flag rules run."""
        form = CheckInWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            saved = services.checkin_save(patient=self.patient, scores=form.service_scores(),
                                          notes=form.validated_data["notes"], by=request.user,
                                          now=self.now)
        except ValidationError as exc:
            raise _score_errors(exc) from None
        checkin = selectors.history(self.patient).get(pk=saved.checkin.pk)
        body = {"checkin": self.get_serializer(checkin).data, "created": saved.created,
                **guidance(saved.findings, request)}
        return Response(body, status=status.HTTP_201_CREATED if saved.created else 200)


class PatientCheckInList(CheckInList):
    http_method_names = READ_ONLY
