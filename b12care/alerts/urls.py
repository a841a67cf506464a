from django.urls import path

from . import message_views, views

app_name = "alerts"
urlpatterns = [
    path("now/", views.guidance, name="guidance"),
    path("messages/", views.inbox, name="inbox"),
    path("messages/read/", views.inbox_read, name="inbox_read"),
    path("messages/<int:message_id>/snooze/", views.snooze, name="snooze"),
    path("conversations/", message_views.patient_threads, name="threads"),
    path("conversations/<int:thread_id>/", message_views.patient_thread, name="thread"),
    path("team/conversations/", message_views.team_unread, name="team_unread"),
    path("patients/<int:patient_id>/conversations/", message_views.team_threads,
         name="patient_threads"),
    path("patients/<int:patient_id>/conversations/<int:thread_id>/", message_views.team_thread,
         name="patient_thread"),
    path("preferences/", views.preferences, name="preferences"),
    path("patients/<int:patient_id>/", views.patient_alerts, name="patient_alerts"),
    path("patients/<int:patient_id>/<int:alert_id>/acknowledge/", views.alert_acknowledge_view,
         name="acknowledge"),
    path("patients/<int:patient_id>/<int:alert_id>/resolve/", views.alert_resolve_view,
         name="resolve"),
]
