from django.apps import AppConfig


class ExportsConfig(AppConfig):
    """Data leaving B12 Care: the doctor's report (HTML/PDF), FHIR R4, iCal feed and CSV."""

    name = "b12care.exports"
    label = "exports"
    verbose_name = "Exports"
