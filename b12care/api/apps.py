from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "b12care.api"
    label = "api"
    verbose_name = "REST API and device tokens"

    def ready(self) -> None:
        from . import schema  # noqa: F401  (registers the token scheme with drf-spectacular)
