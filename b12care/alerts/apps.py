from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "b12care.alerts"
    label = "alerts"
    verbose_name = "Alerts and notifications"
