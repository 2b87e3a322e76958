"""Groups Soporte and Coordinador with their permissions, and the document counter."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LECTURA = [
    "customers.view_cliente",
    "customers.view_contacto",
    "cases.view_ejecutor",
    "cases.view_articulo",
    "cases.view_clase",
    "cases.view_grupo",
    "cases.view_departamento",
]
SOPORTE = LECTURA + [
    "cases.view_caso",
    "cases.add_caso",
    "cases.change_caso",
    "cases.view_actividad",
    "cases.add_actividad",
    "cases.change_actividad",
]
COORDINADOR = SOPORTE + [
    "cases.delete_caso",
    "cases.delete_actividad",
    "cases.exportar_caso",
    "cases.importar_caso",
    "cases.editar_lote_caso",
    "customers.add_cliente",
    "customers.change_cliente",
    "customers.delete_cliente",
    "customers.add_contacto",
    "customers.change_contacto",
    "customers.delete_contacto",
]
GRUPOS = {"Soporte": SOPORTE, "Coordinador": COORDINADOR}


def crear_grupos(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for nombre, codigos in GRUPOS.items():
        grupo, _ = Group.objects.get_or_create(name=nombre)
        permisos = []
        for codigo in codigos:
            app_label, codename = codigo.split(".")
            permisos.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        grupo.permissions.add(*permisos)


def borrar_grupos(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GRUPOS).delete()


def crear_secuencia(apps, schema_editor):
    Secuencia = apps.get_model("cases", "Secuencia")
    Secuencia.objects.get_or_create(nombre="caso", defaults={"valor": 0})


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("customers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(crear_grupos, borrar_grupos),
        migrations.RunPython(crear_secuencia, migrations.RunPython.noop),
    ]
