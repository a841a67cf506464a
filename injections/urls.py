from django.urls import path

from . import followup_views, views

app_name = "injections"
urlpatterns = [
    # Patient
    path("", views.overview, name="overview"),
    path("log/", views.log, name="log"),
    path("supply/", views.supply, name="supply"),
    # Patient (own, within 24 h) or clinician (their patients)
    path("entries/<int:pk>/edit/", views.injection_edit, name="edit"),
    path("entries/<int:pk>/delete/", views.injection_delete, name="delete"),
    # Patient: questions after an injection (post-dose check-in, site follow-up)
    path("entries/<int:pk>/check-in/", followup_views.checkin, name="checkin"),
    path("entries/<int:pk>/site/", followup_views.site, name="site"),
    # Clinician, about one patient
    path("patients/<int:patient_id>/", views.patient_regimen, name="patient_regimen"),
    path("patients/<int:patient_id>/history/", views.patient_history, name="patient_history"),
    path("patients/<int:patient_id>/regimen/new/", views.regimen_new, name="regimen_new"),
    path("patients/<int:patient_id>/phases/new/", views.phase_edit, name="phase_add"),
    path("patients/<int:patient_id>/phases/<int:phase_id>/", views.phase_edit,
         name="phase_edit"),
    path("patients/<int:patient_id>/phases/<int:phase_id>/end/", views.phase_end,
         name="phase_end"),
    path("patients/<int:patient_id>/readiness/", views.readiness, name="readiness"),
    path("patients/<int:patient_id>/log/", views.log_for_patient, name="log_for_patient"),
]
