from django.urls import path

from . import views

# Mounted under /accounts/ beside allauth's pages (b12care/urls.py).
urlpatterns = [
    path("security/", views.security, name="account_security"),
    path("record-views/", views.record_views, name="record_views"),
    # Replaces allauth's page at the same address (this list is included first).
    path("sessions/", views.sessions_list, name="usersessions_list"),
    path("session/status/", views.session_status, name="session_status"),
    path("session/keep-alive/", views.session_keep_alive, name="session_keep_alive"),
    path("close/", views.closure, name="account_closure"),
    path("patients/<int:patient_id>/closure/", views.closure_review,
         name="account_closure_review"),
]
