"""Lab results: the test catalogue, results read, recorded through ``labs.services.result_record``
(validated, converted to the canonical unit, flagged) and deleted through ``result_delete``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.response import Response

from labs import selectors, services
from labs.models import Analyte, LabResult

from .common import READ_ONLY, GuidanceSerializer, PatientScopedView, guidance, service_error


class AnalyteSerializer(serializers.ModelSerializer):
    units = serializers.SerializerMethodField()
    answers = serializers.ListField(source="answer_choices", child=serializers.CharField(),
                                    help_text="For a negative/positive test: the answers.")

    class Meta:
        model = Analyte
        fields = ["key", "name", "short_name", "loinc", "kind", "canonical_unit", "units",
                  "answers", "help_text"]

    def get_units(self, analyte) -> list[str]:
        """Units a result may be given in (converted to ``canonical_unit``)."""
        return [u.unit for u in analyte.units.all()]


class AnalyteList(ListAPIView):
    """The blood tests results can be recorded for."""

    serializer_class = AnalyteSerializer
    pagination_class = None

    def get_queryset(self):
        return Analyte.objects.filter(is_active=True).prefetch_related("units")


class LabResultSerializer(serializers.ModelSerializer):
    analyte = serializers.SlugRelatedField(slug_field="key", read_only=True)
    unit = serializers.SerializerMethodField()
    flag_label = serializers.CharField(read_only=True)
    can_delete = serializers.SerializerMethodField()

    class Meta:
        model = LabResult
        fields = ["id", "analyte", "sampled_on", "sampled_at", "value", "unit", "value_entered",
                  "unit_entered", "qualitative", "flag", "flag_label", "band", "lab_name",
                  "notes", "source", "can_delete", "created_at"]

    def get_unit(self, result) -> str:
        """The canonical unit of ``value``."""
        return result.analyte.canonical_unit

    def get_can_delete(self, result) -> bool:
        """Whether the viewer may delete it (patients: their own entries, 24 hours)."""
        return services.can_delete_result(result, self.context["viewer"],
                                          now=self.context["now"])


class LabResultWriteSerializer(serializers.Serializer):
    analyte = serializers.SlugRelatedField(
        slug_field="key", queryset=Analyte.objects.filter(is_active=True),
        help_text="A key from /api/v1/analytes/.")
    sampled_on = serializers.DateField(help_text="The day the blood was taken (local).")
    sampled_time = serializers.TimeField(required=False, allow_null=True, default=None)
    value = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                  help_text="The number on the report, e.g. 250 or 12,5.")
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    qualitative = serializers.CharField(max_length=30, required=False, allow_blank=True,
                                        default="", help_text="For negative/positive tests.")
    lab_name = serializers.CharField(max_length=120, required=False, allow_blank=True,
                                     default="")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class LabRecordedSerializer(GuidanceSerializer):
    """The result as saved (converted and flagged), the planned tests it completes and
    whether to show the patient what to do now."""

    result = LabResultSerializer()
    fulfilled = serializers.ListField(child=serializers.CharField(),
                                      help_text="Planned tests this result completes.")


class LabResultList(ListModelMixin, PatientScopedView):
    """Lab results, newest sample first."""

    serializer_class = LabResultSerializer
    queryset = LabResult.objects.none()
    audit_action = "labs.list"

    def get_queryset(self):
        return selectors.results(self.patient)

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(request=LabResultWriteSerializer, responses={201: LabRecordedSerializer})
    def post(self, request, *args, **kwargs):
        """Record a result: converted to the canonical unit, flagged; red-flag rules run."""
        form = LabResultWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            recorded = services.result_record(patient=self.patient, by=request.user,
                                              now=self.now, **form.validated_data)
        except ValidationError as exc:
            raise service_error(exc) from None
        body = {"result": self.get_serializer(recorded.result).data,
                "fulfilled": [planned.label for planned in recorded.fulfilled],
                **guidance(recorded.findings, request)}
        return Response(body, status=status.HTTP_201_CREATED)


class PatientLabResultList(LabResultList):
    http_method_names = READ_ONLY


class LabResultDetail(PatientScopedView):
    serializer_class = LabResultSerializer
    queryset = LabResult.objects.none()
    audit_action = "labs.detail"

    def get_object(self) -> LabResult:
        return get_object_or_404(selectors.results(self.patient), pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        """One lab result."""
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(responses={204: None})
    def delete(self, request, *args, **kwargs):
        """Delete a mistaken result (patients: their own, within 24 hours)."""
        services.result_delete(result=self.get_object(), by=request.user, now=self.now)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PatientLabResultDetail(LabResultDetail):
    http_method_names = READ_ONLY


