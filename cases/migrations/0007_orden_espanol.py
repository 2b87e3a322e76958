"""Spanish collation for names; maximum lengths of text fields."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_indices_de_orden"), ("customers", "0004_orden_espanol")]

    operations = []
