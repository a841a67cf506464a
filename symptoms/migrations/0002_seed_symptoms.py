from django.db import migrations

from symptoms.catalogue import seed_symptoms, unseed_symptoms


class Migration(migrations.Migration):
    dependencies = [("symptoms", "0001_initial")]

    operations = [migrations.RunPython(seed_symptoms, unseed_symptoms)]
