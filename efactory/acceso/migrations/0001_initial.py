"""Proxy models of django-axes' tables, with Spanish names (no database tables)."""

from django.db import migrations


def proxy(nombre, base, singular, plural):
    return migrations.CreateModel(
        name=nombre,
        fields=[],
        options={
            "verbose_name": singular,
            "verbose_name_plural": plural,
            "proxy": True,
            "indexes": [],
            "constraints": [],
        },
        bases=(base,),
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [("axes", "0010_accessattemptexpiration")]

    operations = [
        proxy(
            "FalloDeAcceso",
            "axes.accessfailurelog",
            "fallo de inicio de sesión",
            "fallos de inicio de sesión",
        ),
        proxy("IntentoFallido", "axes.accessattempt", "intento fallido", "intentos fallidos"),
        proxy(
            "RegistroDeAcceso", "axes.accesslog", "registro de acceso", "registros de acceso"
        ),
    ]
