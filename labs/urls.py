from django.urls import path

from . import views

app_name = "labs"
urlpatterns = [
    # Patient
    path("", views.overview, name="overview"),
    path("add/", views.add, name="add"),
    path("add/<slug:key>/", views.add_result, name="add_result"),
    path("tests/<slug:key>/", views.analyte, name="analyte"),
    path("results/<int:pk>/delete/", views.result_delete, name="result_delete"),
    # Clinician, about one patient
    path("patients/<int:patient_id>/", views.patient_overview, name="patient_overview"),
    path("patients/<int:patient_id>/add/", views.patient_add, name="patient_add"),
    path("patients/<int:patient_id>/add/<slug:key>/", views.patient_add_result,
         name="patient_add_result"),
    path("patients/<int:patient_id>/tests/<slug:key>/", views.patient_analyte,
         name="patient_analyte"),
    path("patients/<int:patient_id>/results/<int:pk>/delete/", views.patient_result_delete,
         name="patient_result_delete"),
    path("patients/<int:patient_id>/plan/add/", views.plan_add, name="plan_add"),
    path("patients/<int:patient_id>/plan/<int:pk>/", views.plan_edit, name="plan_edit"),
    path("patients/<int:patient_id>/plan/<int:pk>/remove/", views.plan_cancel,
         name="plan_cancel"),
]
