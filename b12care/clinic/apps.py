from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "b12care.clinic"
    label = "clinic"
    verbose_name = "Clinic"
