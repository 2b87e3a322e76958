"""What the lupa shows and answers besides the search itself: the columns of each table, the
data static/js/caso.js reads (an ejecutor's grupo and departamento, a client's interno flag,
one row by ``id=``) and how a contact is named in the editor."""

import re

import pytest

from customers.models import Cliente
from efactory.estatus import Estatus
from tests.factories import (
    CasoFactory,
    ClienteFactory,
    ContactoFactory,
    DepartamentoFactory,
    EjecutorFactory,
    GrupoFactory,
)

pytestmark = pytest.mark.django_db


def cabeceras(html: str) -> list[str]:
    return re.findall(r'<th scope="col">([^<]*)</th>', html)


def celdas_por_fila(html: str) -> list[int]:
    filas = re.findall(r"<tr [^>]*data-lupa-opcion[^>]*>(.*?)</tr>", html, flags=re.S)
    return [len(re.findall(r"<td", fila)) for fila in filas]


def json(client, tabla, **params) -> list[dict]:
    response = client.get(f"/buscar/{tabla}/", {"formato": "json", **params})
    assert response.status_code == 200
    return response.json()["resultados"]


# --- Columns --------------------------------------------------------------------------------


def test_the_contact_search_has_no_codigo_column(cliente_soporte):
    contacto = ContactoFactory(nombre="María Gómez", cargo="Compras")

    html = cliente_soporte.get(
        "/buscar/contactos/", {"cliente": contacto.cliente_id, "q": "maria"}
    ).content.decode()

    assert cabeceras(html) == ["Nombre", "Detalle"]
    assert celdas_por_fila(html) == [2]


def test_tables_with_a_code_keep_the_codigo_column(cliente_soporte):
    ClienteFactory(nombre="Ferretería Ñandú", codigo="FN-01")

    html = cliente_soporte.get("/buscar/clientes/", {"q": "nandu"}).content.decode()

    assert cabeceras(html) == ["Código", "Nombre", "Detalle"]
    assert celdas_por_fila(html) == [3]
    assert '<td class="text-nowrap">FN-01</td>' in html


def test_no_results_span_the_columns_of_the_table(cliente_soporte):
    cliente = ClienteFactory()

    contactos = cliente_soporte.get("/buscar/contactos/", {"cliente": cliente.pk, "q": "zz"})
    clientes = cliente_soporte.get("/buscar/clientes/", {"q": "zz"})

    assert 'colspan="2"' in contactos.content.decode()
    assert 'colspan="3"' in clientes.content.decode()


# --- Data for caso.js -----------------------------------------------------------------------


def test_an_ejecutor_comes_with_its_grupo_and_departamento(cliente_soporte):
    grupo, depto = GrupoFactory(), DepartamentoFactory()
    ana = EjecutorFactory(nombre="Ana Pérez", grupo=grupo, departamento=depto)
    EjecutorFactory(nombre="Ana Sin Grupo")

    filas = json(cliente_soporte, "ejecutores", q="ana")

    assert [(f["id"], f["grupo"], f["departamento"]) for f in filas] == [
        (ana.pk, grupo.pk, depto.pk),
        (filas[1]["id"], None, None),
    ]


def test_a_client_says_whether_it_is_interno(cliente_soporte):
    rrhh = ClienteFactory(nombre="Dpto. de Recursos Humanos", interno=True)
    ClienteFactory(nombre="Dpto. Externo de Ventas")

    filas = json(cliente_soporte, "clientes", q="dpto")

    assert {f["id"]: f["interno"] for f in filas} == {
        rrhh.pk: True,
        Cliente.objects.exclude(pk=rrhh.pk).get().pk: False,
    }


def test_id_answers_that_one_row_even_inactive_when_asked(cliente_soporte):
    EjecutorFactory(nombre="Beto")
    retirado = EjecutorFactory(nombre="Carla", estatus=Estatus.INACTIVO)

    assert [f["id"] for f in json(cliente_soporte, "ejecutores", id=retirado.pk)] == []
    assert [
        f["id"] for f in json(cliente_soporte, "ejecutores", id=retirado.pk, inactivos="1")
    ] == [retirado.pk]
    assert json(cliente_soporte, "ejecutores", id="9" * 30) == []
    assert json(cliente_soporte, "ejecutores", id="abc") == []


# --- How a contact is named -----------------------------------------------------------------


def opcion_contacto(html: str) -> str:
    select = re.search(r'<select name="contacto".*?</select>', html, flags=re.S).group(0)
    return re.search(r"<option [^>]*selected[^>]*>([^<]*)</option>", select).group(1)


def test_a_persons_own_contact_is_named_once(cliente_soporte):
    ramon = ClienteFactory(nombre="Ramón Ñáñez Colmenares", tipo=Cliente.Tipo.PERSONA)
    caso = CasoFactory(cliente=ramon, contacto=ContactoFactory(cliente=ramon, nombre=ramon.nombre))

    html = cliente_soporte.get(f"/casos/{caso.pk}/editar/").content.decode()

    assert opcion_contacto(html) == "Ramón Ñáñez Colmenares"


def test_another_contact_is_named_with_its_client(cliente_soporte):
    nandu = ClienteFactory(nombre="Ferretería Ñandú")
    caso = CasoFactory(cliente=nandu, contacto=ContactoFactory(cliente=nandu, nombre="María Gómez"))

    html = cliente_soporte.get(f"/casos/{caso.pk}/editar/").content.decode()

    assert opcion_contacto(html) == "María Gómez — Ferretería Ñandú"
