from django.apps import AppConfig


class LabsConfig(AppConfig):
    name = "labs"

    def ready(self) -> None:
        from b12care.core import events

        from .services import on_treatment_started

        events.subscribe(on_treatment_started, kinds={events.TREATMENT_STARTED},
                         stage=events.DOMAIN)
