from django.urls import path

from . import views

app_name = "exports"
urlpatterns = [
    path("", views.downloads, name="mine"),
    path("report/", views.report_html, name="my_report"),
    path("report.pdf", views.report_pdf, name="my_report_pdf"),
    path("fhir.json", views.fhir_json, name="my_fhir"),
    path("all-my-data.zip", views.archive_zip, name="archive"),
    path("<slug:kind>.csv", views.csv_file, name="my_csv"),
    path("calendar/", views.calendar_settings, name="calendar"),
    path("calendar/<str:token>.ics", views.feed, name="feed"),
    path("patients/<int:patient_id>/", views.downloads, name="patient"),
    path("patients/<int:patient_id>/report/", views.report_html, name="patient_report"),
    path("patients/<int:patient_id>/report.pdf", views.report_pdf, name="patient_report_pdf"),
    path("patients/<int:patient_id>/fhir.json", views.fhir_json, name="patient_fhir"),
    path("patients/<int:patient_id>/<slug:kind>.csv", views.csv_file, name="patient_csv"),
]
