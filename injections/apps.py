from django.apps import AppConfig


class InjectionsConfig(AppConfig):
    name = "injections"

    def ready(self) -> None:
        from b12care.core import events, providers

        from .readmodels import DOSE_FACT_KINDS, on_patient_data_changed
        from .selectors import injection_days
        from .services import on_timezone_changed

        providers.provide_injection_days(injection_days)
        events.subscribe(on_timezone_changed, kinds={events.TIMEZONE}, stage=events.DOMAIN)
        # After the time-zone handler: it regenerates doses, whose facts this then reads.
        events.subscribe(on_patient_data_changed, kinds=DOSE_FACT_KINDS, stage=events.DOMAIN)
