from django.db import migrations

from labs.catalogue import seed_catalogue, unseed_catalogue


class Migration(migrations.Migration):
    dependencies = [("labs", "0001_initial")]

    operations = [migrations.RunPython(seed_catalogue, unseed_catalogue)]
