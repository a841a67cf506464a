from django.apps import AppConfig


class InjectionsConfig(AppConfig):
    name = "injections"

    def ready(self) -> None:
        from b12care.core import events, providers

        from .selectors import injection_days
        from .services import on_timezone_changed

        providers.provide_injection_days(injection_days)
        events.subscribe(on_timezone_changed, kinds={events.TIMEZONE}, stage=events.DOMAIN)
