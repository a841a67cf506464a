from django.urls import path

from . import views

app_name = "symptoms"
urlpatterns = [
    # Patient
    path("", views.checkin, name="checkin"),
    path("history/", views.history, name="history"),
    path("trends/", views.trends, name="trends"),
    # Clinician, about one patient
    path("patients/<int:patient_id>/", views.patient_diary, name="patient_diary"),
]
