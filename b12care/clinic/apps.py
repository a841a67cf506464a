from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "b12care.clinic"
    label = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        from b12care.core import events

        from .state import TRIAGE_KINDS, on_patient_data_changed

        events.subscribe(on_patient_data_changed, kinds=TRIAGE_KINDS, stage=events.READ_MODELS)
