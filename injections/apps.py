from django.apps import AppConfig


class InjectionsConfig(AppConfig):
    name = "injections"
