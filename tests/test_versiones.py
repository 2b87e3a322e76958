"""efactory.versiones: one exception, one conditional UPDATE, one policy, used by every writer."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cases.models import Caso
from customers.models import Cliente
from efactory import versiones
from tests.cases.datos import datos_de as caso_de
from tests.cases.datos import datos_post as post_de_caso
from tests.cases.datos import fila_de as fila_de_caso
from tests.customers.datos import datos_de as cliente_de
from tests.customers.datos import datos_post as post_de_cliente
from tests.factories import ActividadFactory, CasoFactory, ClienteFactory, ContactoFactory
from tests.test_admin_casos import datos_admin as admin_de_caso

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("valor", "version"),
    [("3", 3), (3, 3), ("0", 0), ("", None), ("abc", None), ("-1", None), ("²", None)]
    + [("9" * 25, None), (None, None), (" 3", None)],
)
def test_a_posted_version_is_a_number_or_missing(valor, version):
    assert versiones.leer_version(valor) == version


def test_the_page_version_is_the_overwrite_button_s_when_it_was_pressed():
    assert versiones.version_de_la_pagina({"version": "2"}) == 2
    assert versiones.version_de_la_pagina({"version": "2", "_sobrescribir": "5"}) == 5
    assert versiones.version_de_la_pagina({"version": "2", "_sobrescribir": "x"}) == 2
    assert versiones.version_de_la_pagina({}) is None


def test_only_the_exact_stored_version_is_current():
    assert not versiones.desactualizada(2, 2)
    assert versiones.desactualizada(2, 1)
    assert versiones.desactualizada(2, 3)
    assert versiones.desactualizada(2, None)  # missing or junk: stale


def test_taking_a_version_is_one_conditional_update(django_assert_num_queries):
    caso = CasoFactory()

    with django_assert_num_queries(1):
        assert versiones.tomar_version(Caso, caso.pk, 1) == 2

    with pytest.raises(versiones.ConflictoDeVersion) as error:
        versiones.tomar_version(Caso, caso.pk, 1)
    assert error.value.actual == 2
    assert not error.value.eliminado
    caso.refresh_from_db()
    assert caso.version == 2


def test_a_missing_version_is_refused_unless_the_check_is_turned_off_for_the_import():
    cliente = ClienteFactory()

    with pytest.raises(versiones.ConflictoDeVersion):
        versiones.tomar_version(Cliente, cliente.pk, None)
    assert versiones.tomar_version(Cliente.objects.all(), cliente.pk, None, comprobar=False) == 2
    assert versiones.tomar_version(Cliente, cliente.pk, 1, comprobar=False) == 3

    cliente.refresh_from_db()
    assert cliente.version == 3


def test_a_deleted_row_is_a_conflict_with_nothing_stored():
    cliente = ClienteFactory()
    Cliente.objects.filter(pk=cliente.pk).delete()

    for comprobar in (True, False):
        with pytest.raises(versiones.ConflictoDeVersion) as error:
            versiones.tomar_version(Cliente, cliente.pk, 1, comprobar=comprobar)
        assert error.value.eliminado


def test_bumping_without_a_check_takes_keys_or_instances(django_assert_num_queries):
    uno, dos, otro = ClienteFactory(), ClienteFactory(), ClienteFactory()

    with django_assert_num_queries(1):
        assert versiones.subir_version(Cliente, [uno, dos.pk, None, dos.pk]) == 2

    assert uno.version == 2  # in memory too: a history record made from it carries it
    assert list(Cliente.objects.order_by("pk").values_list("version", flat=True)) == [2, 2, 1]
    assert otro.version == 1
    with django_assert_num_queries(0):
        assert versiones.subir_version(Cliente, []) == 0


@pytest.fixture
def espias(monkeypatch):
    """Every call of the module's two writes, as (function, model) pairs."""
    llamadas = []
    for nombre in ("tomar_version", "subir_version"):
        real = getattr(versiones, nombre)

        def espia(modelo, *args, _real=real, _nombre=nombre, **kwargs):
            llamadas.append((_nombre, getattr(modelo, "model", modelo)))
            return _real(modelo, *args, **kwargs)

        monkeypatch.setattr(versiones, nombre, espia)
    return llamadas


def http_de(usuario) -> Client:
    client = Client()
    client.force_login(usuario)
    return client


def test_every_writer_goes_through_the_one_module(espias, staff):
    """The editors, the admin's change pages, the bulk follow-up and the admin's changes of
    child rows all take or bump the version with efactory.versiones, nothing else."""
    http = http_de(staff)
    caso = CasoFactory()
    fila = ActividadFactory(caso=caso)
    cliente = ClienteFactory()
    contacto = ContactoFactory(cliente=cliente)
    escritores = [
        # (what, request, the call it must make)
        (
            "case editor",
            lambda: http.post(
                f"/casos/{caso.pk}/editar/", post_de_caso(caso_de(caso), [fila_de_caso(fila)])
            ),
            ("tomar_version", Caso),
        ),
        (
            "client editor",
            lambda: http.post(
                f"/clientes/{cliente.pk}/editar/", post_de_cliente(cliente_de(cliente), [])
            ),
            ("tomar_version", Cliente),
        ),
        (
            "case admin",
            lambda: http.post(
                reverse("admin:cases_caso_change", args=[caso.pk]),
                admin_de_caso(caso)
                | {"actividades-TOTAL_FORMS": "1", "actividades-INITIAL_FORMS": "1"}
                | {f"actividades-0-{k}": v for k, v in fila_de_caso(fila).items() if v}
                | {"actividades-0-caso": caso.pk},
            ),
            ("tomar_version", Caso),
        ),
        (
            "client admin",
            lambda: http.post(
                reverse("admin:customers_cliente_change", args=[cliente.pk]),
                {
                    **{k: v for k, v in cliente_de(cliente).items() if v is not False},
                    "contactos-TOTAL_FORMS": "0",
                    "contactos-INITIAL_FORMS": "0",
                },
            ),
            ("tomar_version", Cliente),
        ),
        (
            "bulk follow-up",
            lambda: http.post("/casos/seguimiento/", {"casos": [caso.pk], "prioridad": "alta"}),
            ("subir_version", Caso),
        ),
        (
            "contact admin",
            lambda: http.post(
                reverse("admin:customers_contacto_change", args=[contacto.pk]),
                {"cliente": cliente.pk, "nombre": "Otro nombre", "activo": "on"},
            ),
            ("subir_version", Cliente),
        ),
        (
            "activity admin delete",
            lambda: http.post(
                reverse("admin:cases_actividad_delete", args=[fila.pk]), {"post": "yes"}
            ),
            ("subir_version", Caso),
        ),
    ]
    for que, escribir, llamada in escritores:
        caso.refresh_from_db()
        cliente.refresh_from_db()
        espias.clear()
        respuesta = escribir()
        assert respuesta.status_code == 302, (que, respuesta.content.decode()[:3000])
        assert espias == [llamada], que


def test_no_other_code_bumps_a_version():
    """One place: a version changes only through efactory/versiones.py."""
    suma = re.compile(r"""F\(\s*["']version["']\s*\)|\.version\s*\+=""")
    raiz = Path(settings.BASE_DIR)
    culpables = [
        str(ruta.relative_to(raiz))
        for paquete in ("cases", "customers", "efactory")
        for ruta in (raiz / paquete).rglob("*.py")
        if "migrations" not in ruta.parts
        and ruta.name != "versiones.py"
        and suma.search(ruta.read_text(encoding="utf-8"))
    ]
    assert culpables == []
