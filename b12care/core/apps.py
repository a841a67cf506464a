from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "b12care.core"
    label = "core"
    verbose_name = "Core"
