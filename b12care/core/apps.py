from django.apps import AppConfig
from django.utils import timezone


class CoreConfig(AppConfig):
    name = "b12care.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from . import health

        health.PROCESS_STARTED = timezone.now()  # /healthz: "starting" is counted from here
