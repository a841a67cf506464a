"""/api/v1/ (REST API), /api/schema/ (OpenAPI 3) and /api/docs/ (Swagger UI, our own files)."""

from django.urls import include, path

from . import web
from .endpoints import alerts, devices, diary, injections, labs, patients, schedule

app_name = "api"

me = [
    path("me/", patients.Me.as_view(), name="me"),
    path("me/injections/", injections.InjectionList.as_view(), name="me_injections"),
    path("me/injections/<int:pk>/", injections.InjectionDetail.as_view(), name="me_injection"),
    path("me/checkins/", diary.CheckInList.as_view(), name="me_checkins"),
    path("me/labs/", labs.LabResultList.as_view(), name="me_labs"),
    path("me/labs/<int:pk>/", labs.LabResultDetail.as_view(), name="me_lab"),
    path("me/schedule/", schedule.Schedule.as_view(), name="me_schedule"),
    path("me/alerts/", alerts.MyAlerts.as_view(), name="me_alerts"),
]

patient = "patients/<int:patient_id>/"
clinicians = [
    path("patients/", patients.PatientList.as_view(), name="patients"),
    path(patient, patients.PatientDetail.as_view(), name="patient"),
    path(f"{patient}injections/", injections.PatientInjectionList.as_view(),
         name="patient_injections"),
    path(f"{patient}injections/<int:pk>/", injections.PatientInjectionDetail.as_view(),
         name="patient_injection"),
    path(f"{patient}checkins/", diary.PatientCheckInList.as_view(), name="patient_checkins"),
    path(f"{patient}labs/", labs.PatientLabResultList.as_view(), name="patient_labs"),
    path(f"{patient}labs/<int:pk>/", labs.PatientLabResultDetail.as_view(), name="patient_lab"),
    path(f"{patient}schedule/", schedule.Schedule.as_view(), name="patient_schedule"),
    path(f"{patient}alerts/", alerts.PatientAlerts.as_view(), name="patient_alerts"),
    path(f"{patient}alerts/<int:alert_id>/acknowledge/", alerts.AlertAcknowledge.as_view(),
         name="alert_acknowledge"),
]

catalogues = [
    path("symptoms/", diary.SymptomList.as_view(), name="symptoms"),
    path("analytes/", labs.AnalyteList.as_view(), name="analytes"),
    path("devices/", devices.DeviceList.as_view(), name="devices"),
    path("devices/<int:pk>/", devices.DeviceRevoke.as_view(), name="device"),
]

urlpatterns = [
    path("v1/", include(me + clinicians + catalogues)),
    path("schema/", web.schema_view, name="schema"),
    path("docs/", web.docs, name="docs"),
]
