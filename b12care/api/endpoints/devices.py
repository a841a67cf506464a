"""Device tokens through the API: list, create (the token is in the response once) and revoke.
Only with a signed-in session (and its CSRF token): a device token cannot mint or revoke
tokens, so a stolen one cannot make itself permanent."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import ListModelMixin
from rest_framework.response import Response

from .. import services
from ..models import DeviceToken
from ..throttling import DeviceTokenThrottle
from .common import service_error


class DeviceSerializer(serializers.ModelSerializer):
    prefix = serializers.CharField(source="display_prefix",
                                   help_text="The token's first characters, to tell it apart.")

    class Meta:
        model = DeviceToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]


class NewDeviceSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60, help_text="e.g. “My phone”.")


class CreatedDeviceSerializer(DeviceSerializer):
    token = serializers.CharField(help_text="The token itself. Shown this once: store it on "
                                            "the device now.")

    class Meta(DeviceSerializer.Meta):
        fields = [*DeviceSerializer.Meta.fields, "token"]


class SessionOnly(GenericAPIView):
    authentication_classes = [SessionAuthentication]
    serializer_class = DeviceSerializer

    def get_queryset(self):
        return DeviceToken.objects.filter(user=self.request.user)


class DeviceList(ListModelMixin, SessionOnly):
    """Your connected devices, newest first (revoked ones too)."""

    def get_throttles(self):
        if self.request.method == "POST":
            return [*super().get_throttles(), DeviceTokenThrottle()]
        return super().get_throttles()

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(request=NewDeviceSerializer, responses={201: CreatedDeviceSerializer})
    def post(self, request, *args, **kwargs):
        """Connect a device: returns its token once."""
        form = NewDeviceSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            token, raw = services.device_token_create(user=request.user, now=timezone.now(),
                                                      name=form.validated_data["name"])
        except ValidationError as exc:
            raise service_error(exc) from None
        token.token = raw
        response = Response(CreatedDeviceSerializer(token).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class DeviceRevoke(SessionOnly):
    @extend_schema(responses={200: DeviceSerializer})
    def delete(self, request, *args, **kwargs):
        """Revoke a device: its token stops working at once (401)."""
        token = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        services.device_token_revoke(token=token, by=request.user, now=timezone.now())
        return Response(self.get_serializer(token).data)


