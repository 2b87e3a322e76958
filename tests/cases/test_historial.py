"""The Historial of a case (/casos/<pk>/historial/): who changed which field from what to
what, the activity rows included, values as people read them, at a fixed number of queries."""

import datetime
import html
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F

from cases.models import Actividad, Caso, Etapa, Prioridad
from tests.cases.datos import datos_de, datos_post, fila, fila_de, url_editar
from tests.factories import (
    ActividadFactory,
    ArticuloFactory,
    CasoFactory,
    ClienteFactory,
    ContactoFactory,
    EjecutorFactory,
    GrupoFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
T = datetime.time


def url_historial(caso) -> str:
    return f"/casos/{caso.pk}/historial/"


def _texto(fragmento: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragmento)).split())


def guardados(response) -> list[dict]:
    """The page's saves, newest first: who, and their entries (badge, object, changes).

    A change is (field, before, after) for a modified object, (field, value) for an added row.
    """
    assert response.status_code == 200
    pagina = response.content.decode()
    resultado = []
    for seccion in re.findall(r'<section class="card mb-3".*?</section>', pagina, re.S):
        cabecera = _texto(re.search(r"<h2.*?</h2>", seccion, re.S).group(0))
        entradas = []
        for li in re.findall(r'<li class="list-group-item">(.*?)</li>', seccion, re.S):
            filas = re.findall(r"<tbody>(.*?)</tbody>", li, re.S)
            cambios = [
                tuple(_texto(td) for td in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S))
                for tr in re.findall(r"<tr>(.*?)</tr>", filas[0] if filas else "", re.S)
            ]
            entradas.append(
                {
                    "tipo": _texto(
                        re.search(r'<span class="badge[^"]*">(.*?)</span>', li).group(1)
                    ),
                    "objeto": _texto(re.search(r"<strong>(.*?)</strong>", li, re.S).group(1)),
                    "cambios": cambios,
                }
            )
        resultado.append({"cabecera": cabecera, "entradas": entradas})
    return resultado


@pytest.fixture
def ana():
    return EjecutorFactory(nombre="Ana Pérez")


@pytest.fixture
def caso(ana):
    """A case opened on 2 March 2026 with one activity of Ana."""
    caso = CasoFactory(
        cliente=ClienteFactory(nombre="Óptica Mérida"),
        ejecutor=ana,
        fecha_inicio=D(2026, 3, 2),
        estimado=Decimal("40"),
        prioridad=Prioridad.MEDIA,
    )
    ActividadFactory(
        caso=caso,
        ejecutor=ana,
        fecha=D(2026, 3, 3),
        hora_inicio=T(9, 0),
        hora_fin=T(10, 30),
        descripcion="Revisión del cableado",
        facturable=True,
    )
    return caso


def test_each_changed_field_reads_from_before_to_after_in_the_forms_order(
    cliente_soporte, soporte, caso
):
    grupo = GrupoFactory(nombre="Redes")
    contacto = ContactoFactory(cliente=caso.cliente, nombre="Luisa Rondón")
    cambios = {
        "prioridad": Prioridad.ALTA,
        "fecha_cierre": "2026-04-30",
        "interno": True,
        "grupo": grupo.pk,
        "contacto": contacto.pk,
        "origen": "correo",
        "estimado": "2,5",
        "nivel": 3,
    }
    filas = [fila_de(caso.actividades.get())]
    respuesta = cliente_soporte.post(url_editar(caso), datos_post(datos_de(caso, **cambios), filas))
    assert respuesta.status_code == 302

    ultimo = guardados(cliente_soporte.get(url_historial(caso)))[0]

    assert ultimo["cabecera"].endswith("· soporte")
    assert ultimo["entradas"] == [
        {
            "tipo": "Modificado",
            "objeto": "Caso",
            "cambios": [
                ("Prioridad", "Media", "Alta"),  # a choice by its label
                ("F/Cierre", "—", "30/04/2026"),  # an empty value, a date as dd/mm/aaaa
                ("Caso interno", "No", "Sí"),
                ("Grupo", "—", "Redes"),  # a related row by its name
                ("Contacto", "—", "Luisa Rondón"),
                ("Origen", "—", "Correo"),
                ("Estimado", "40,00", "2,50"),  # the Spanish decimal comma
                ("Nivel", "0", "3"),
            ],
        }
    ]


def test_added_changed_and_deleted_rows_are_listed_with_their_values(cliente_soporte, caso, ana):
    actividad = caso.actividades.get()
    beto = EjecutorFactory(nombre="Beto Díaz")
    filas = [
        fila_de(actividad, hora_fin="11:00", facturable=False, descripcion="Cableado revisado"),
        fila(beto, fecha="2026-03-04", hora_inicio="14:00", hora_fin="15:15", facturable=True),
    ]
    respuesta = cliente_soporte.post(url_editar(caso), datos_post(datos_de(caso), filas))
    assert respuesta.status_code == 302
    nueva = caso.actividades.exclude(pk=actividad.pk).get()
    filas = [fila_de(caso.actividades.get(pk=actividad.pk), DELETE=True), fila_de(nueva)]
    caso.refresh_from_db()
    respuesta = cliente_soporte.post(url_editar(caso), datos_post(datos_de(caso), filas))
    assert respuesta.status_code == 302

    entradas = [
        e for g in guardados(cliente_soporte.get(url_historial(caso))) for e in g["entradas"]
    ]

    assert entradas[:3] == [
        {"tipo": "Eliminado", "objeto": "Actividad del 03/03/2026 09:00–11:00", "cambios": []},
        {
            "tipo": "Agregado",
            "objeto": "Actividad del 04/03/2026 14:00–15:15",
            "cambios": [
                ("Actividad", "Revisión del equipo"),
                ("Ejecutor", "Beto Díaz"),
                ("Fact.", "Sí"),
            ],
        },
        {
            "tipo": "Modificado",
            "objeto": "Actividad del 03/03/2026 09:00–11:00",
            "cambios": [
                ("H/Fin", "10:30", "11:00"),  # a time as HH:MM
                ("Actividad", "Revisión del cableado", "Cableado revisado"),
                ("Fact.", "Sí", "No"),
            ],
        },
    ]


def test_a_save_without_changes_adds_no_entry(cliente_soporte, caso):
    antes = guardados(cliente_soporte.get(url_historial(caso)))

    Caso.objects.get(pk=caso.pk).save()
    Actividad.objects.get(caso=caso).save()

    assert guardados(cliente_soporte.get(url_historial(caso))) == antes


def test_the_first_record_of_a_bulk_loaded_case_says_it_has_no_previous_state(
    cliente_soporte, caso
):
    caso.history.filter(history_type="+").delete()
    caso.asunto = "Otro asunto"
    caso.save()

    entradas = guardados(cliente_soporte.get(url_historial(caso)))[0]["entradas"]

    assert {"tipo": "Guardado", "objeto": "Caso", "cambios": []} in entradas
    assert "sin estado anterior" in cliente_soporte.get(url_historial(caso)).content.decode()


def test_a_related_row_deleted_since_reads_as_its_key(cliente_soporte, caso):
    caso.ejecutor = EjecutorFactory(nombre="Temporal")
    caso.save()
    temporal = caso.ejecutor_id
    caso.history.filter(ejecutor_id=temporal).update(ejecutor_id=987654)

    cambios = guardados(cliente_soporte.get(url_historial(caso)))[0]["entradas"][0]["cambios"]

    assert ("Ejecutor", "Ana Pérez", "#987654") in cambios


def test_completing_a_case_shows_the_moment_in_local_time(cliente_soporte, caso, settings):
    settings.TIME_ZONE = "America/Caracas"
    # 01:30 on 11 March in UTC is still 10 March, 21:30, in Caracas.
    momento = datetime.datetime(2026, 3, 11, 1, 30, tzinfo=ZoneInfo("UTC"))
    caso.etapa = Etapa.COMPLETADA
    caso.completado_en = momento
    caso.avance = 100
    caso.save()

    cambios = guardados(cliente_soporte.get(url_historial(caso)))[0]["entradas"][0]["cambios"]

    assert ("Completado en", "—", "10/03/2026 21:30") in cambios
    assert ("Etapa", "—", "Completada") in cambios


def test_values_typed_as_html_are_shown_as_text(cliente_soporte, caso):
    caso.asunto = '<script>alert("x")</script> & más'
    caso.save()

    pagina = cliente_soporte.get(url_historial(caso)).content.decode()

    assert "<script>alert" not in pagina
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; más" in pagina


def test_saves_are_grouped_by_person_and_moment_with_the_newest_first(cliente_soporte, caso):
    caso.asunto = "Primero"
    caso.save()
    # Everything so far happened ten minutes ago.
    hace_un_rato = F("history_date") - datetime.timedelta(minutes=10)
    caso.history.update(history_date=hace_un_rato)
    Actividad.history.filter(caso_id=caso.pk).update(history_date=hace_un_rato)
    caso.asunto = "Después"
    caso.save()
    actividad = caso.actividades.get()
    actividad.descripcion = "Cableado revisado"
    actividad.save()

    ultimo, anterior = guardados(cliente_soporte.get(url_historial(caso)))

    assert ultimo["cabecera"].endswith("· Sistema")
    assert [(e["objeto"], e["cambios"]) for e in ultimo["entradas"]] == [
        (
            "Actividad del 03/03/2026 09:00–10:30",
            [("Actividad", "Revisión del cableado", "Cableado revisado")],
        ),
        ("Caso", [("Asunto", "Primero", "Después")]),
    ]
    assert ("Caso", "Modificado") in [(e["objeto"], e["tipo"]) for e in anterior["entradas"]]


def _con_historia(caso, cambios: int):
    """Give ``caso`` ``cambios`` saves of the case and of its rows, each touching a foreign key
    (so every related table is named on the page), plus an added and a deleted row."""
    ejecutores = [EjecutorFactory() for _ in range(3)]
    articulo = ArticuloFactory()
    for i in range(cambios):
        caso.ejecutor = ejecutores[i % 3]
        caso.coordinador = ejecutores[(i + 1) % 3]
        caso.grupo = GrupoFactory()
        caso.contacto = ContactoFactory(cliente=caso.cliente)
        caso.asunto = f"Asunto {i}"
        caso.save()
        actividad = ActividadFactory(
            caso=caso,
            ejecutor=ejecutores[i % 3],
            articulo=articulo,
            fecha=caso.fecha_inicio + datetime.timedelta(days=i + 10),
        )
        actividad.ejecutor = ejecutores[(i + 1) % 3]
        actividad.save()
        actividad.delete()
    return caso


def test_the_page_runs_the_same_queries_for_a_short_and_a_long_history(
    cliente_soporte, ana, consultas, django_assert_num_queries
):
    corta = _con_historia(CasoFactory(ejecutor=ana), 2)
    larga = _con_historia(CasoFactory(ejecutor=ana), 25)
    cliente_soporte.get(url_historial(corta))  # warm up the session and caches

    de_la_corta = consultas(cliente_soporte, "get", url_historial(corta))
    de_la_larga = consultas(cliente_soporte, "get", url_historial(larga))

    assert len(de_la_corta) == len(de_la_larga), "\n".join(de_la_larga)
    # 1-3 session, user, permissions (one query, efactory/permisos.py)
    # 4 the case with its cliente
    # 5 the case's history records, with their users
    # 6 its rows' history records, with their users
    # 7-11 the names of what they point to, one query per table for the whole page:
    #   clientes, ejecutores (the case's and the rows'), grupos, contactos, artículos
    with django_assert_num_queries(11):
        cliente_soporte.get(url_historial(larga))


def test_a_long_history_lists_every_save(cliente_soporte, ana):
    caso = _con_historia(CasoFactory(ejecutor=ana), 25)

    paginas = guardados(cliente_soporte.get(url_historial(caso)))

    entradas = [e for g in paginas for e in g["entradas"]]
    assert sum(e["objeto"] == "Caso" and e["tipo"] == "Modificado" for e in entradas) == 25
    assert sum(e["tipo"] == "Eliminado" for e in entradas) == 25
