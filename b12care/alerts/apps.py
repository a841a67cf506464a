from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "b12care.alerts"
    label = "alerts"
    verbose_name = "Alerts and notifications"

    def ready(self) -> None:
        from b12care.core import events

        from .hooks import RULE_KINDS, on_patient_data_changed

        events.subscribe(on_patient_data_changed, kinds=RULE_KINDS, stage=events.RULES)
