"""The ``demo`` management command: a realistic, consistent and idempotent data set."""

import io
from itertools import groupby

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F

from cases.models import (
    Actividad,
    Articulo,
    Caso,
    Clase,
    Complejidad,
    Departamento,
    Ejecutor,
    Etapa,
    Grupo,
    Origen,
    Prioridad,
    Secuencia,
    minutos_entre,
)
from customers.models import Cliente, Contacto
from efactory.estatus import Estatus

pytestmark = pytest.mark.django_db

LOGINS = {"admin": "demo-admin", "soporte": "demo-soporte", "coordinador": "demo-coordinador"}


def demo(*args) -> str:
    """Run the command and return what it printed."""
    salida = io.StringIO()
    call_command("demo", *args, stdout=salida)
    return salida.getvalue()


def conteos() -> dict:
    modelos = [Articulo, Clase, Grupo, Departamento, Ejecutor, Cliente, Contacto, Caso, Actividad]
    conteo = {modelo.__name__: modelo.objects.count() for modelo in modelos}
    conteo["User"] = get_user_model().objects.count()
    return conteo


def test_it_creates_the_demo_users_with_working_passwords(client):
    demo()

    User = get_user_model()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert list(User.objects.get(username="soporte").groups.values_list("name", flat=True)) == [
        "Soporte"
    ]
    coordinador = User.objects.get(username="coordinador")
    assert list(coordinador.groups.values_list("name", flat=True)) == ["Coordinador"]
    assert not coordinador.is_staff
    for username, clave in LOGINS.items():
        assert client.login(username=username, password=clave), username
        client.logout()
    assert Ejecutor.objects.get(usuario__username="soporte").estatus == Estatus.ACTIVO
    assert Ejecutor.objects.get(usuario__username="coordinador").estatus == Estatus.ACTIVO


def test_it_prints_the_url_and_the_logins():
    salida = demo()

    assert "http://127.0.0.1:8000/" in salida
    for username, clave in LOGINS.items():
        assert username in salida
        assert clave in salida


def test_it_creates_about_300_cases_covering_every_choice():
    demo()

    assert Caso.objects.count() == 300
    for campo, opciones in [
        ("etapa", Etapa),
        ("prioridad", Prioridad),
        ("origen", Origen),
        ("complejidad", Complejidad),
    ]:
        usados = set(Caso.objects.values_list(campo, flat=True).distinct())
        assert usados == set(opciones.values), campo
    assert Actividad.objects.count() > 300
    assert Caso.objects.filter(actividades__isnull=True).exists()  # 0 activities happen too


def test_it_loads_clients_with_contacts_and_accents():
    demo()

    assert Cliente.objects.filter(nombre="Ferretería Ñandú").count() == 1
    assert Cliente.objects.filter(nombre="Clínica San José").exists()
    assert 55 <= Cliente.objects.count() <= 65
    assert not Cliente.objects.annotate(n=Count("contactos")).filter(n=0).exists()
    assert Cliente.objects.filter(interno=True).count() >= 3
    assert Cliente.objects.filter(tipo=Cliente.Tipo.PERSONA).exists()
    assert Cliente.objects.exclude(estatus=Estatus.ACTIVO).count() >= 3
    rifs = list(Cliente.objects.exclude(rif="").values_list("rif", flat=True))
    assert len(rifs) == len(set(rifs))
    assert all(rif[0] in "JGVE" and rif[1] == "-" and rif[-2] == "-" for rif in rifs)
    assert 10 <= Ejecutor.objects.count() <= 12
    assert Ejecutor.objects.filter(estatus=Estatus.INACTIVO).count() == 1


def test_it_keeps_the_lookups_coded_and_named():
    demo()

    for modelo in (Articulo, Clase, Grupo, Departamento):
        assert modelo.objects.count() >= 4
        assert not modelo.objects.filter(codigo="").exists()


def test_running_twice_does_not_duplicate_anything():
    demo()
    antes = conteos()

    salida = demo()

    assert conteos() == antes
    assert "ya están cargados" in salida
    assert "demo-soporte" in salida


def test_running_again_resets_the_demo_passwords(client):
    demo()
    soporte = get_user_model().objects.get(username="soporte")
    soporte.set_password("otra-clave")
    soporte.save()

    demo()

    assert client.login(username="soporte", password="demo-soporte")


def test_every_case_is_consistent():
    demo()

    assert not Caso.objects.filter(fecha_cierre__lt=F("fecha_inicio")).exists()
    assert not Caso.objects.filter(etapa=Etapa.COMPLETADA, fecha_cierre__isnull=True).exists()
    assert set(Caso.objects.filter(etapa=Etapa.COMPLETADA).values_list("avance", flat=True)) == {
        100
    }
    assert not Caso.objects.exclude(etapa=Etapa.COMPLETADA).filter(avance=100).exists()
    assert not (
        Caso.objects.filter(contacto__isnull=False).exclude(contacto__cliente=F("cliente")).exists()
    )
    assert not Caso.objects.filter(propietario__isnull=True).exists()
    propietarios = set(Caso.objects.values_list("propietario__username", flat=True))
    assert propietarios <= set(LOGINS)


def test_every_activity_respects_the_rules():
    demo()

    actividades = list(
        Actividad.objects.select_related("caso").order_by(
            "caso_id", "ejecutor_id", "fecha", "hora_inicio"
        )
    )
    assert actividades
    for actividad in actividades:
        caso = actividad.caso
        assert actividad.fecha >= caso.fecha_inicio
        assert caso.fecha_cierre is None or actividad.fecha <= caso.fecha_cierre
        assert actividad.hora_fin > actividad.hora_inicio
        assert actividad.minutos == minutos_entre(actividad.hora_inicio, actividad.hora_fin)
        assert actividad.descripcion
    # bulk_create skips save(): the demo copies each case's client onto its rows itself.
    assert all(a.cliente_id == a.caso.cliente_id for a in actividades)
    por_ejecutor = groupby(actividades, key=lambda a: (a.caso_id, a.ejecutor_id, a.fecha))
    for _clave, filas in por_ejecutor:
        filas = list(filas)
        for anterior, siguiente in zip(filas, filas[1:], strict=False):
            assert siguiente.hora_inicio >= anterior.hora_fin, (anterior.pk, siguiente.pk)


def test_casos_option_tops_up_to_n_with_about_three_activities_each():
    salida = demo("--casos", "2000", "--lote", "700")

    assert Caso.objects.count() == 2000
    promedio = Actividad.objects.count() / 2000
    assert 2.5 <= promedio <= 3.5
    numeros = sorted(Caso.objects.values_list("numero", flat=True))
    assert numeros == list(range(numeros[0], numeros[0] + 2000))
    assert numeros[-1] == Secuencia.objects.get(nombre="caso").valor
    assert "2.000/2.000" in salida  # progress, one line per batch
    assert "1.400/2.000" in salida

    demo("--casos", "2000")

    assert Caso.objects.count() == 2000


def test_casos_option_only_creates_the_missing_cases():
    demo()
    ultimo = Secuencia.objects.get(nombre="caso").valor

    demo("--casos", "350")

    assert Caso.objects.count() == 350
    nuevos = Caso.objects.filter(numero__gt=ultimo)
    assert nuevos.count() == 50
    assert Secuencia.objects.get(nombre="caso").valor == ultimo + 50


def test_the_same_seed_gives_the_same_cases():
    demo("--casos", "40", "--semilla", "7")
    primera = list(Caso.objects.order_by("numero").values_list("asunto", "etapa", "fecha_inicio"))
    Caso.objects.all().delete()

    demo("--casos", "40", "--semilla", "7")

    segunda = list(Caso.objects.order_by("numero").values_list("asunto", "etapa", "fecha_inicio"))
    assert segunda == primera


def test_ejecutores_and_articulos_options_top_up_with_active_generated_ones():
    from cases.management.commands.demo import EJECUTORES

    salida = demo("--casos", "400", "--ejecutores", "40", "--articulos", "30")

    assert Ejecutor.objects.count() == 40
    nuevos = Ejecutor.objects.exclude(nombre__in=[e[0] for e in EJECUTORES])
    assert nuevos.count() == 28
    assert set(nuevos.values_list("estatus", flat=True)) == {Estatus.ACTIVO}
    assert nuevos.values("grupo").distinct().count() == 5  # spread over every grupo
    assert nuevos.values("departamento").distinct().count() == 5
    nombres = list(Ejecutor.objects.values_list("nombre", flat=True))
    assert len(set(nombres)) == 40
    assert all(len(nombre.split()) == 3 for nombre in nuevos.values_list("nombre", flat=True))
    assert Articulo.objects.count() == 30
    generados = Articulo.objects.filter(codigo__startswith="ART-")
    assert generados.count() == 15
    assert set(generados.values_list("activo", flat=True)) == {True}
    assert generados.values("nombre").distinct().count() == 15
    # The new cases are spread over every active ejecutor and artículo.
    assert Caso.objects.filter(ejecutor__in=nuevos).exists()
    assert Actividad.objects.filter(ejecutor__in=nuevos).exists()
    assert Caso.objects.filter(articulo__in=generados).exists()
    assert "28 ejecutores generados" in salida
    assert "15 artículos generados" in salida

    antes = conteos()
    demo("--casos", "400", "--ejecutores", "40", "--articulos", "30")
    demo("--ejecutores", "12", "--articulos", "10")  # fewer than there are: nothing to do

    assert conteos() == antes


def test_ejecutores_and_articulos_top_up_an_existing_data_set_without_new_cases():
    demo()
    casos = set(Caso.objects.values_list("numero", flat=True))

    demo("--ejecutores", "60", "--articulos", "50")

    assert Ejecutor.objects.count() == 60
    assert Articulo.objects.count() == 50
    assert set(Caso.objects.values_list("numero", flat=True)) == casos


def test_negative_counts_are_refused():
    with pytest.raises(CommandError):
        demo("--ejecutores", "-1")


def test_anos_option_spreads_the_history_over_more_years():
    from django.utils import timezone

    demo("--casos", "600", "--anos", "3")

    hoy = timezone.localdate()
    mas_viejo = Caso.objects.order_by("fecha_inicio").values_list("fecha_inicio", flat=True)[0]
    assert (hoy - mas_viejo).days > 365  # some cases begun more than a year ago
    assert (hoy - mas_viejo).days <= 3 * 365


def test_actividades_option_tops_up_without_overlaps():
    demo("--casos", "400", "--ejecutores", "30")
    antes = Actividad.objects.count()

    salida = demo("--actividades", str(antes + 2000))

    total = Actividad.objects.count()
    assert total >= antes + 1800  # a few rows may not fit in a full day
    assert "Se agregaron" in salida
    # Nobody is in two places at once, across cases; each row within its case's window.
    filas = list(
        Actividad.objects.select_related("caso").order_by("ejecutor_id", "fecha", "hora_inicio")
    )
    for anterior, siguiente in zip(filas, filas[1:], strict=False):
        if (anterior.ejecutor_id, anterior.fecha) == (siguiente.ejecutor_id, siguiente.fecha):
            assert siguiente.hora_inicio >= anterior.hora_fin, (anterior.pk, siguiente.pk)
    for fila in filas:
        assert fila.cliente_id == fila.caso.cliente_id
        assert fila.fecha >= fila.caso.fecha_inicio
        assert fila.caso.fecha_cierre is None or fila.fecha <= fila.caso.fecha_cierre
        assert fila.minutos == minutos_entre(fila.hora_inicio, fila.hora_fin)
    # Asked again with what is there: nothing more.
    demo("--actividades", str(total))
    assert Actividad.objects.count() == total


def test_anos_must_be_positive():
    with pytest.raises(CommandError):
        demo("--anos", "0")
