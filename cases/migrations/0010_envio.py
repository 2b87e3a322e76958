"""One-time form tokens: a form submitted twice creates one case."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_actividades_sin_solapes")]

    operations = []
