from django.urls import path

from . import views

app_name = "clinic"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("patients/new/", views.patient_invite_view, name="patient_invite"),
    path("patients/<int:patient_id>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:patient_id>/resend-invitation/", views.invite_resend_view,
         name="invite_resend"),
    path("patients/<int:patient_id>/notes/", views.note_add_view, name="note_add"),
    path("patients/<int:patient_id>/record-views/", views.record_views, name="record_views"),
]
