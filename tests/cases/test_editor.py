"""The case editor (/casos/nuevo/, /casos/<pk>/editar/) and the pages around it, as HTTP tests."""

import datetime
import itertools
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.db import IntegrityError, OperationalError, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape

from cases.models import Actividad, Caso, Etapa
from tests.factories import (
    ActividadFactory,
    ArticuloFactory,
    CasoFactory,
    ClienteFactory,
    ContactoFactory,
    EjecutorFactory,
)
from tests.formularios import cuerpo_formset

pytestmark = pytest.mark.django_db

PREFIJO = "actividades"
URL_NUEVO = "/casos/nuevo/"
INICIO = datetime.date(2026, 3, 2)


def url_editar(caso) -> str:
    return f"/casos/{caso.pk}/editar/"


def datos_post(caso: dict, filas: list[dict]) -> dict:
    """The POST body the editor sends: the case fields (no prefix) plus the Actividades formset.

    Rows with an ``id`` are existing rows and must come first (Django counts them in
    INITIAL_FORMS). ``DELETE=True`` marks a row for deletion; booleans are sent as "on" when
    true and left out when false, like a browser does; ``None`` values are left out.
    """
    return cuerpo_formset(caso, PREFIJO, filas, max_num=1000)


def datos_caso(cliente_del_caso, **cambios) -> dict:
    """A valid new case, as the editor's form sends it."""
    datos = {
        "asunto": "Instalar impresora en contabilidad",
        "prioridad": "media",
        "cliente": cliente_del_caso.pk,
        "coordinador": "",
        "fecha_inicio": INICIO.isoformat(),
        "fecha_cierre": "",
        "etapa": "",
        "avance": "0",
        "articulo": "",
        "clase": "",
        "interno": False,
        "grupo": "",
        "contacto": "",
        "ejecutor": "",
        "departamento": "",
        "origen": "",
        "comentario": "",
        "estimado": "0",
        "complejidad": "",
        "nivel": "0",
        "facturable": False,
        "revisor": "",
        "comentario_solucion": "",
    }
    datos.update(cambios)
    return datos


def datos_de(caso, **cambios) -> dict:
    """The editor's case fields for a stored case, as the page would send them back."""

    def pk(obj):
        return obj.pk if obj is not None else ""

    def fecha(valor):
        return valor.isoformat() if valor else ""

    datos = {
        "asunto": caso.asunto,
        "prioridad": caso.prioridad,
        "cliente": caso.cliente_id,
        "coordinador": pk(caso.coordinador),
        "fecha_inicio": fecha(caso.fecha_inicio),
        "fecha_cierre": fecha(caso.fecha_cierre),
        "etapa": caso.etapa,
        "avance": caso.avance,
        "articulo": pk(caso.articulo),
        "clase": pk(caso.clase),
        "interno": caso.interno,
        "grupo": pk(caso.grupo),
        "contacto": pk(caso.contacto),
        "ejecutor": pk(caso.ejecutor),
        "departamento": pk(caso.departamento),
        "origen": caso.origen,
        "comentario": caso.comentario,
        "estimado": caso.estimado,
        "complejidad": caso.complejidad,
        "nivel": caso.nivel,
        "facturable": caso.facturable,
        "revisor": pk(caso.revisor),
        "comentario_solucion": caso.comentario_solucion,
        # For conflict detection, should the form carry the version it was loaded with.
        "version": caso.version,
    }
    datos.update(cambios)
    return datos


def fila(ejecutor=None, **cambios) -> dict:
    """A new activity row."""
    datos = {
        "fecha": INICIO.isoformat(),
        "hora_inicio": "09:00",
        "hora_fin": "10:00",
        "descripcion": "Revisión del equipo",
        "ejecutor": ejecutor.pk if ejecutor is not None else "",
        "facturable": False,
        "articulo": "",
    }
    datos.update(cambios)
    return datos


def fila_de(actividad, **cambios) -> dict:
    """An existing activity row, unchanged unless ``cambios`` says otherwise."""
    datos = {
        "id": actividad.pk,
        "caso": actividad.caso_id,
        "fecha": actividad.fecha.isoformat(),
        "hora_inicio": actividad.hora_inicio.strftime("%H:%M"),
        "hora_fin": actividad.hora_fin.strftime("%H:%M"),
        "descripcion": actividad.descripcion,
        "ejecutor": actividad.ejecutor_id,
        "facturable": actividad.facturable,
        "articulo": actividad.articulo_id or "",
    }
    datos.update(cambios)
    return datos


VOID_ELEMENTS = {"input", "br", "img", "hr", "meta", "link", "source", "wbr", "col", "area"}


class _TextoPorId(HTMLParser):
    """Collects the text of every element whose id matches a pattern."""

    def __init__(self, patron):
        super().__init__()
        self.patron = re.compile(patron)
        self.textos: list[str] = []
        self.profundidad = 0

    def handle_starttag(self, tag, attrs):
        if tag in VOID_ELEMENTS:
            return
        if self.profundidad:
            self.profundidad += 1
        elif self.patron.fullmatch(dict(attrs).get("id") or ""):
            self.profundidad = 1
            self.textos.append("")

    def handle_endtag(self, tag):
        if self.profundidad and tag not in VOID_ELEMENTS:
            self.profundidad -= 1

    def handle_data(self, data):
        if self.profundidad:
            self.textos[-1] += data


def error_junto_a(response, campo_id: str) -> list[str]:
    """The error messages the page shows next to the input whose id is ``campo_id``.

    Row errors are rendered in an element with id ``<input id>_error``; case fields, through
    crispy-forms, in elements with id ``error_<n>_<input id>``.
    """
    parser = _TextoPorId(rf"{re.escape(campo_id)}_error|error_\d+_{re.escape(campo_id)}")
    parser.feed(response.content.decode())
    return [" ".join(texto.split()) for texto in parser.textos]


@pytest.fixture
def cliente():
    return ClienteFactory(nombre="Ferretería El Tornillo")


@pytest.fixture
def ejecutor():
    return EjecutorFactory(nombre="Ana Pérez")


@pytest.fixture
def caso_con_filas(ejecutor):
    """A case open since INICIO with two activities, on the 5th and on the 10th of March."""
    caso = CasoFactory(fecha_inicio=INICIO, ejecutor=ejecutor)
    ActividadFactory(
        caso=caso, ejecutor=ejecutor, fecha=datetime.date(2026, 3, 5), descripcion="Primera"
    )
    ActividadFactory(
        caso=caso, ejecutor=ejecutor, fecha=datetime.date(2026, 3, 10), descripcion="Segunda"
    )
    return caso


def filas_guardadas(caso) -> list[tuple]:
    return list(
        Actividad.objects.filter(caso=caso)
        .order_by("pk")
        .values_list("fecha", "hora_inicio", "hora_fin", "descripcion", "ejecutor_id")
    )


# --- saving -------------------------------------------------------------------------------


def test_it_creates_the_case_and_its_rows(cliente_soporte, soporte, cliente, ejecutor):
    datos = datos_post(
        datos_caso(cliente, ejecutor=ejecutor.pk),
        [
            fila(ejecutor, hora_inicio="09:00", hora_fin="10:30", facturable=True),
            fila(ejecutor, hora_inicio="14:00", hora_fin="15:00", descripcion="Pruebas"),
            fila(descripcion="", hora_inicio="", hora_fin="", fecha=""),  # an empty extra row
        ],
    )

    response = cliente_soporte.post(URL_NUEVO, datos)

    caso = Caso.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/casos/{caso.pk}/"
    assert caso.asunto == "Instalar impresora en contabilidad"
    assert caso.cliente == cliente
    assert caso.propietario == soporte
    assert caso.numero is not None
    filas = list(caso.actividades.order_by("hora_inicio"))
    assert [(a.hora_inicio, a.hora_fin, a.facturable, a.minutos) for a in filas] == [
        (datetime.time(9, 0), datetime.time(10, 30), True, 90),
        (datetime.time(14, 0), datetime.time(15, 0), False, 60),
    ]


def test_it_ignores_a_posted_propietario(cliente_soporte, soporte, coordinador, cliente):
    datos = datos_post(datos_caso(cliente, propietario=coordinador.pk), [])

    cliente_soporte.post(URL_NUEVO, datos)

    assert Caso.objects.get().propietario == soporte


def test_editing_keeps_the_propietario(cliente_coordinador, soporte, coordinador, cliente):
    caso = CasoFactory(cliente=cliente, propietario=soporte)
    datos = datos_post(datos_de(caso, asunto="Cambiado", propietario=coordinador.pk), [])

    response = cliente_coordinador.post(url_editar(caso), datos)

    assert response.status_code == 302
    caso.refresh_from_db()
    assert caso.asunto == "Cambiado"
    assert caso.propietario == soporte


def test_save_and_continue_goes_back_to_the_editor(cliente_soporte, cliente):
    datos = datos_post(datos_caso(cliente), [])
    datos["_continuar"] = "1"

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response["Location"] == url_editar(Caso.objects.get())


def test_a_new_row_without_ejecutor_takes_the_case_ejecutor(cliente_soporte, cliente, ejecutor):
    datos = datos_post(datos_caso(cliente, ejecutor=ejecutor.pk), [fila(ejecutor=None)])

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 302
    assert Actividad.objects.get().ejecutor == ejecutor


def test_a_new_row_without_ejecutor_is_refused_when_the_case_has_none(cliente_soporte, cliente):
    datos = datos_post(datos_caso(cliente), [fila(ejecutor=None)])

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    assert error_junto_a(response, "id_actividades-0-ejecutor") == [
        "Indique el ejecutor de la actividad."
    ]
    assert not Caso.objects.exists()


def test_it_updates_a_row_and_adds_and_deletes_rows(cliente_soporte, caso_con_filas, ejecutor):
    primera, segunda = caso_con_filas.actividades.order_by("fecha")
    datos = datos_post(
        datos_de(caso_con_filas),
        [
            fila_de(primera, descripcion="Primera, corregida"),
            fila_de(segunda, DELETE=True),
            fila(ejecutor, fecha="2026-03-12", descripcion="Nueva"),
        ],
    )

    response = cliente_soporte.post(url_editar(caso_con_filas), datos)

    assert response.status_code == 302
    assert list(caso_con_filas.actividades.values_list("descripcion", flat=True)) == [
        "Primera, corregida",
        "Nueva",
    ]


def test_dates_are_accepted_as_dd_mm_aaaa(cliente_soporte, cliente, ejecutor):
    datos = datos_post(
        datos_caso(cliente, fecha_inicio="02/03/2026", fecha_cierre="20/03/2026"),
        [fila(ejecutor, fecha="05/03/2026")],
    )

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 302
    caso = Caso.objects.get()
    assert caso.fecha_inicio == datetime.date(2026, 3, 2)
    assert caso.fecha_cierre == datetime.date(2026, 3, 20)
    assert caso.actividades.get().fecha == datetime.date(2026, 3, 5)


def test_dates_are_accepted_as_iso(cliente_soporte, cliente, ejecutor):
    datos = datos_post(
        datos_caso(cliente, fecha_inicio="2026-03-02", fecha_cierre="2026-03-20"),
        [fila(ejecutor, fecha="2026-03-05")],
    )

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 302
    caso = Caso.objects.get()
    assert (caso.fecha_inicio, caso.fecha_cierre) == (
        datetime.date(2026, 3, 2),
        datetime.date(2026, 3, 20),
    )
    assert caso.actividades.get().fecha == datetime.date(2026, 3, 5)


# --- the date window of the rows ----------------------------------------------------------


def test_it_refuses_a_row_before_fecha_inicio(cliente_soporte, cliente, ejecutor):
    datos = datos_post(
        datos_caso(cliente, fecha_inicio="2026-03-02"),
        [fila(ejecutor, fecha="2026-03-03"), fila(ejecutor, fecha="2026-03-01")],
    )

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    assert error_junto_a(response, "id_actividades-1-fecha") == [
        "La fecha no puede ser anterior al 02/03/2026 (F/Inicio del caso)."
    ]
    assert error_junto_a(response, "id_actividades-0-fecha") == []
    assert not Caso.objects.exists()
    assert not Actividad.objects.exists()


def test_it_refuses_a_row_after_fecha_cierre_naming_both_dates(cliente_soporte, cliente, ejecutor):
    datos = datos_post(
        datos_caso(cliente, fecha_inicio="2026-03-02", fecha_cierre="2026-03-06"),
        [fila(ejecutor, fecha="2026-03-07")],
    )

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    assert error_junto_a(response, "id_actividades-0-fecha") == [
        "La fecha debe estar entre el 02/03/2026 (F/Inicio) y el 06/03/2026 (F/Cierre)."
    ]
    assert not Caso.objects.exists()


def test_rows_on_fecha_inicio_and_on_fecha_cierre_are_accepted(cliente_soporte, cliente, ejecutor):
    datos = datos_post(
        datos_caso(cliente, fecha_inicio="2026-03-02", fecha_cierre="2026-03-06"),
        [fila(ejecutor, fecha="2026-03-02"), fila(ejecutor, fecha="2026-03-06")],
    )

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 302
    assert Actividad.objects.count() == 2


def test_moving_fecha_cierre_before_a_row_is_refused_and_nothing_changes(
    cliente_soporte, caso_con_filas
):
    primera, segunda = caso_con_filas.actividades.order_by("fecha")
    antes = filas_guardadas(caso_con_filas)
    datos = datos_post(
        datos_de(caso_con_filas, fecha_cierre="2026-03-07", asunto="Cambio que no debe quedar"),
        [fila_de(primera), fila_de(segunda)],
    )

    response = cliente_soporte.post(url_editar(caso_con_filas), datos)

    assert response.status_code == 200
    assert error_junto_a(response, "id_actividades-1-fecha") == [
        "La fecha debe estar entre el 02/03/2026 (F/Inicio) y el 07/03/2026 (F/Cierre)."
    ]
    assert error_junto_a(response, "id_actividades-0-fecha") == []
    caso = Caso.objects.get(pk=caso_con_filas.pk)
    assert caso.fecha_cierre is None
    assert caso.asunto == caso_con_filas.asunto
    assert filas_guardadas(caso_con_filas) == antes


def test_moving_fecha_inicio_after_a_row_is_refused(cliente_soporte, caso_con_filas):
    primera, segunda = caso_con_filas.actividades.order_by("fecha")
    datos = datos_post(
        datos_de(caso_con_filas, fecha_inicio="2026-03-06"), [fila_de(primera), fila_de(segunda)]
    )

    response = cliente_soporte.post(url_editar(caso_con_filas), datos)

    assert response.status_code == 200
    assert error_junto_a(response, "id_actividades-0-fecha") == [
        "La fecha no puede ser anterior al 06/03/2026 (F/Inicio del caso)."
    ]
    assert Caso.objects.get(pk=caso_con_filas.pk).fecha_inicio == INICIO


def test_moving_fecha_cierre_is_accepted_when_the_row_is_deleted(cliente_soporte, caso_con_filas):
    primera, segunda = caso_con_filas.actividades.order_by("fecha")
    datos = datos_post(
        datos_de(caso_con_filas, fecha_cierre="2026-03-07"),
        [fila_de(primera), fila_de(segunda, DELETE=True)],
    )

    response = cliente_soporte.post(url_editar(caso_con_filas), datos)

    assert response.status_code == 302
    caso = Caso.objects.get(pk=caso_con_filas.pk)
    assert caso.fecha_cierre == datetime.date(2026, 3, 7)
    assert list(caso.actividades.all()) == [primera]


def test_fecha_cierre_before_fecha_inicio_is_refused(cliente_soporte, cliente):
    datos = datos_post(
        datos_caso(cliente, fecha_inicio="2026-03-10", fecha_cierre="2026-03-09"), []
    )

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    assert response.context["form"].errors["fecha_cierre"] == [
        "La fecha de cierre debe ser igual o posterior a la fecha de inicio (10/03/2026)."
    ]
    assert not Caso.objects.exists()


# --- hours --------------------------------------------------------------------------------


def test_reversed_hours_are_refused(cliente_soporte, cliente, ejecutor):
    datos = datos_post(datos_caso(cliente), [fila(ejecutor, hora_inicio="11:00", hora_fin="10:00")])

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    assert error_junto_a(response, "id_actividades-0-hora_fin") == [
        "La hora de fin debe ser posterior a la hora de inicio (11:00)."
    ]
    assert not Caso.objects.exists()


def test_equal_hours_are_refused(cliente_soporte, cliente, ejecutor):
    datos = datos_post(datos_caso(cliente), [fila(ejecutor, hora_inicio="10:00", hora_fin="10:00")])

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    assert "hora_fin" in response.context["formset"].forms[0].errors
    assert not Caso.objects.exists()


def test_overlapping_rows_of_one_ejecutor_are_refused(cliente_soporte, cliente, ejecutor):
    datos = datos_post(
        datos_caso(cliente),
        [
            fila(ejecutor, hora_inicio="10:00", hora_fin="11:30"),
            fila(ejecutor, hora_inicio="11:00", hora_fin="12:00"),
        ],
    )

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    assert error_junto_a(response, "id_actividades-1-hora_inicio") == [
        "Se solapa con otra actividad de Ana Pérez el 02/03/2026 (10:00–11:30)."
    ]
    assert not Caso.objects.exists()


def test_a_row_inside_another_row_of_the_same_ejecutor_is_refused(
    cliente_soporte, cliente, ejecutor
):
    datos = datos_post(
        datos_caso(cliente),
        [
            fila(ejecutor, hora_inicio="08:00", hora_fin="12:00"),
            fila(ejecutor, hora_inicio="09:00", hora_fin="09:30"),
        ],
    )

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    assert "hora_inicio" in response.context["formset"].forms[1].errors


def test_an_overlap_with_a_stored_row_is_refused(cliente_soporte, caso_con_filas, ejecutor):
    primera, segunda = caso_con_filas.actividades.order_by("fecha")  # both 09:00–10:00
    datos = datos_post(
        datos_de(caso_con_filas),
        [
            fila_de(primera),
            fila_de(segunda),
            fila(ejecutor, fecha="2026-03-05", hora_inicio="09:30", hora_fin="10:30"),
        ],
    )

    response = cliente_soporte.post(url_editar(caso_con_filas), datos)

    assert response.status_code == 200
    assert "hora_inicio" in response.context["formset"].forms[2].errors
    assert caso_con_filas.actividades.count() == 2


def test_rows_touching_at_their_ends_are_accepted(cliente_soporte, cliente, ejecutor):
    datos = datos_post(
        datos_caso(cliente),
        [
            fila(ejecutor, hora_inicio="11:00", hora_fin="12:00"),
            fila(ejecutor, hora_inicio="10:00", hora_fin="11:00"),
        ],
    )

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 302
    assert Actividad.objects.count() == 2


def test_overlapping_rows_of_different_ejecutores_are_accepted(cliente_soporte, cliente, ejecutor):
    otro = EjecutorFactory()
    datos = datos_post(
        datos_caso(cliente),
        [
            fila(ejecutor, hora_inicio="10:00", hora_fin="11:30"),
            fila(otro, hora_inicio="11:00", hora_fin="12:00"),
        ],
    )

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 302
    assert Actividad.objects.count() == 2


def test_the_same_hours_on_different_days_are_accepted(cliente_soporte, cliente, ejecutor):
    datos = datos_post(
        datos_caso(cliente),
        [fila(ejecutor, fecha="2026-03-02"), fila(ejecutor, fecha="2026-03-03")],
    )

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 302


def test_an_overlap_with_a_row_marked_for_deletion_is_accepted(
    cliente_soporte, caso_con_filas, ejecutor
):
    primera, segunda = caso_con_filas.actividades.order_by("fecha")
    datos = datos_post(
        datos_de(caso_con_filas),
        [
            fila_de(primera, DELETE=True),
            fila_de(segunda),
            fila(ejecutor, fecha="2026-03-05", hora_inicio="09:30", hora_fin="10:30"),
        ],
    )

    response = cliente_soporte.post(url_editar(caso_con_filas), datos)

    assert response.status_code == 302
    assert caso_con_filas.actividades.count() == 2


# --- other bad input ----------------------------------------------------------------------


def test_a_contacto_of_another_client_is_refused(cliente_soporte, cliente):
    ajeno = ContactoFactory(cliente=ClienteFactory())
    datos = datos_post(datos_caso(cliente, contacto=ajeno.pk), [])

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    assert error_junto_a(response, "id_contacto") == [
        "El contacto seleccionado no pertenece al cliente del caso."
    ]
    assert not Caso.objects.exists()


def test_a_contacto_of_the_chosen_client_is_accepted(cliente_soporte, cliente):
    contacto = ContactoFactory(cliente=cliente)
    datos = datos_post(datos_caso(cliente, contacto=contacto.pk), [])

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 302
    assert Caso.objects.get().contacto == contacto


@pytest.mark.parametrize("avance", ["150", "101", "-1"])
def test_avance_outside_0_100_is_refused_naming_the_range(cliente_soporte, cliente, avance):
    datos = datos_post(datos_caso(cliente, avance=avance), [])

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    [mensaje] = response.context["form"].errors["avance"]
    assert "0" in mensaje
    assert "100" in mensaje
    assert error_junto_a(response, "id_avance") == [mensaje]
    assert not Caso.objects.exists()


def test_an_asunto_over_200_characters_is_refused(cliente_soporte, cliente):
    datos = datos_post(datos_caso(cliente, asunto="x" * 201), [])

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    assert response.context["form"].errors["asunto"] == [
        "El asunto admite como máximo 200 caracteres (tiene 201)."
    ]
    assert not Caso.objects.exists()


def test_an_asunto_of_200_characters_is_accepted(cliente_soporte, cliente):
    datos = datos_post(datos_caso(cliente, asunto="x" * 200), [])

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 302


def test_a_missing_asunto_and_cliente_are_refused_in_spanish(cliente_soporte, cliente):
    datos = datos_post(datos_caso(cliente, asunto="  ", cliente=""), [])

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["asunto"] == ["Escriba el asunto del caso."]
    assert errors["cliente"] == ["Seleccione el cliente del caso."]


def test_a_deleted_ejecutor_on_the_case_gives_a_clear_error(cliente_soporte, cliente):
    datos = datos_post(datos_caso(cliente, ejecutor=999999), [])

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    [mensaje] = response.context["form"].errors["ejecutor"]
    assert "no está disponible" in mensaje
    assert error_junto_a(response, "id_ejecutor") == [mensaje]
    assert not Caso.objects.exists()


def test_a_deleted_ejecutor_on_a_row_gives_a_clear_error(cliente_soporte, cliente):
    datos = datos_post(datos_caso(cliente), [{**fila(), "ejecutor": "999999"}])

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    assert error_junto_a(response, "id_actividades-0-ejecutor") == [
        "La opción elegida ya no existe o no está disponible; elija otra."
    ]
    assert not Caso.objects.exists()


@pytest.mark.parametrize("valor", ["abc", "1.5", "-3", "²", "99999999999999999999999"])
def test_a_malformed_lookup_value_gives_a_clear_error(cliente_soporte, cliente, valor):
    datos = datos_post(datos_caso(cliente, cliente=valor, articulo=valor), [])

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    errors = response.context["form"].errors
    for campo in ("cliente", "articulo"):
        [mensaje] = errors[campo]
        assert "no está disponible" in mensaje
    assert not Caso.objects.exists()


def test_a_row_id_of_another_case_is_refused(cliente_soporte, caso_con_filas, ejecutor):
    ajena = ActividadFactory(caso=CasoFactory(fecha_inicio=INICIO), ejecutor=ejecutor)
    datos = datos_post(datos_de(caso_con_filas), [fila_de(ajena, descripcion="Robada")])

    response = cliente_soporte.post(url_editar(caso_con_filas), datos)

    assert response.status_code == 200
    ajena.refresh_from_db()
    assert ajena.descripcion != "Robada"
    assert ajena.caso_id != caso_con_filas.pk


def test_a_row_id_of_another_case_is_refused_even_with_this_case_as_parent(
    cliente_soporte, caso_con_filas, ejecutor
):
    ajena = ActividadFactory(caso=CasoFactory(fecha_inicio=INICIO), ejecutor=ejecutor)
    datos = datos_post(
        datos_de(caso_con_filas, asunto="No debe guardarse"),
        [fila_de(ajena, caso=caso_con_filas.pk, descripcion="Robada")],
    )

    response = cliente_soporte.post(url_editar(caso_con_filas), datos)

    assert response.status_code == 200
    assert "id" in response.context["formset"].forms[0].errors
    assert Caso.objects.get(pk=caso_con_filas.pk).asunto == caso_con_filas.asunto
    ajena.refresh_from_db()
    assert (ajena.caso_id, ajena.descripcion) != (caso_con_filas.pk, "Robada")


def _sin_gestion(datos):
    return {k: v for k, v in datos.items() if "_FORMS" not in k}


@pytest.mark.parametrize(
    "alterar",
    [
        pytest.param(_sin_gestion, id="missing"),
        pytest.param(lambda d: d | {f"{PREFIJO}-TOTAL_FORMS": "abc"}, id="non-numeric"),
        pytest.param(lambda d: d | {f"{PREFIJO}-TOTAL_FORMS": "-1"}, id="negative"),
        pytest.param(lambda d: d | {f"{PREFIJO}-TOTAL_FORMS": "1000000000"}, id="huge"),
        pytest.param(lambda d: d | {f"{PREFIJO}-INITIAL_FORMS": "abc"}, id="initial-non-numeric"),
        pytest.param(lambda d: d | {f"{PREFIJO}-INITIAL_FORMS": "5"}, id="initial-too-many"),
    ],
)
def test_a_tampered_management_form_is_an_error_not_a_500(
    cliente_soporte, cliente, ejecutor, alterar
):
    datos = alterar(datos_post(datos_caso(cliente), [fila(ejecutor)]))

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    formset = response.context["formset"]
    html = response.content.decode()
    assert "No se guardó nada" in html
    assert formset.non_form_errors() or any(form.errors for form in formset)
    for error in formset.non_form_errors():
        assert escape(error) in html
    assert not Caso.objects.exists()
    assert not Actividad.objects.exists()


def test_a_tampered_management_form_on_edit_changes_nothing(cliente_soporte, caso_con_filas):
    antes = filas_guardadas(caso_con_filas)
    datos = _sin_gestion(datos_post(datos_de(caso_con_filas, asunto="No"), []))

    response = cliente_soporte.post(url_editar(caso_con_filas), datos)

    assert response.status_code == 200
    assert Caso.objects.get(pk=caso_con_filas.pk).asunto == caso_con_filas.asunto
    assert filas_guardadas(caso_con_filas) == antes


# --- the user's input comes back ----------------------------------------------------------


def test_an_invalid_post_shows_every_typed_value_again(cliente_soporte, cliente, ejecutor):
    articulo = ArticuloFactory()
    datos = datos_post(
        datos_caso(
            cliente,
            asunto='Cambiar "router" & <switch>',
            avance="150",
            fecha_inicio="2026-03-02",
            fecha_cierre="2026-03-20",
            comentario="Llamar antes",
            nivel="7",
            ejecutor=ejecutor.pk,
        ),
        [
            fila(
                ejecutor,
                fecha="2026-03-04",
                hora_inicio="08:15",
                hora_fin="09:45",
                descripcion="Desmontar <el> equipo",
                facturable=True,
                articulo=articulo.pk,
            ),
        ],
    )

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Cambiar &quot;router&quot; &amp; &lt;switch&gt;"' in html
    assert 'value="150"' in html
    assert 'value="2026-03-02"' in html
    assert 'value="2026-03-20"' in html
    assert 'value="7"' in html
    assert re.search(r">\s*Llamar antes</textarea>", html)
    assert 'name="actividades-0-fecha" value="2026-03-04"' in html
    assert 'name="actividades-0-hora_inicio" value="08:15"' in html
    assert 'name="actividades-0-hora_fin" value="09:45"' in html
    assert re.search(r">\s*Desmontar &lt;el&gt; equipo</textarea>", html)
    assert re.search(r'name="actividades-0-facturable"[^>]*checked', html)
    assert re.search(rf'<option value="{ejecutor.pk}" selected>Ana Pérez</option>', html)
    assert re.search(rf'<option value="{articulo.pk}" selected>', html)


def test_typed_dd_mm_aaaa_dates_come_back_on_an_invalid_post(cliente_soporte, cliente, ejecutor):
    datos = datos_post(
        datos_caso(cliente, fecha_inicio="02/03/2026", avance="150"),
        [fila(ejecutor, fecha="04/03/2026")],
    )

    response = cliente_soporte.post(URL_NUEVO, datos)

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'name="fecha_inicio" value="(02/03/2026|2026-03-02)"', html)
    assert re.search(r'name="actividades-0-fecha" value="(04/03/2026|2026-03-04)"', html)


# --- all or nothing -----------------------------------------------------------------------


@pytest.fixture
def falla_la_segunda_fila(monkeypatch):
    """Saving the second activity of a request raises a database error."""
    guardar = Actividad.save
    llamadas = []

    def save(self, *args, **kwargs):
        llamadas.append(self)
        if len(llamadas) == 2:
            raise IntegrityError("fallo simulado al guardar la fila")
        return guardar(self, *args, **kwargs)

    monkeypatch.setattr(Actividad, "save", save)
    return llamadas


@pytest.mark.django_db(transaction=True)
def test_nothing_is_half_saved_when_a_new_row_fails(
    grupos, client, soporte, cliente, ejecutor, falla_la_segunda_fila
):
    client.force_login(soporte)
    client.raise_request_exception = False
    datos = datos_post(
        datos_caso(cliente, ejecutor=ejecutor.pk),
        [fila(ejecutor), fila(ejecutor, hora_inicio="14:00", hora_fin="15:00")],
    )

    response = client.post(URL_NUEVO, datos)

    assert response.status_code == 500
    assert len(falla_la_segunda_fila) == 2
    assert not Caso.objects.exists()
    assert not Actividad.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_nothing_is_half_saved_when_a_changed_row_fails(
    grupos, client, soporte, caso_con_filas, ejecutor, falla_la_segunda_fila
):
    client.force_login(soporte)
    client.raise_request_exception = False
    primera, segunda = caso_con_filas.actividades.order_by("fecha")
    antes = filas_guardadas(caso_con_filas)
    datos = datos_post(
        datos_de(caso_con_filas, asunto="Asunto nuevo", fecha_cierre="2026-03-31"),
        [fila_de(primera, descripcion="Cambio 1"), fila_de(segunda, descripcion="Cambio 2")],
    )

    response = client.post(url_editar(caso_con_filas), datos)

    assert response.status_code == 500
    caso = Caso.objects.get(pk=caso_con_filas.pk)
    assert caso.asunto == caso_con_filas.asunto
    assert caso.fecha_cierre is None
    assert filas_guardadas(caso_con_filas) == antes


# --- HTML is text -------------------------------------------------------------------------

XSS = "<script>alert('x')</script>"


def test_html_typed_into_the_case_is_shown_as_text(cliente_soporte, ejecutor):
    caso = CasoFactory(asunto=XSS, comentario=XSS, comentario_solucion=XSS, ejecutor=ejecutor)
    ActividadFactory(caso=caso, ejecutor=ejecutor, descripcion=XSS)

    for url in (f"/casos/{caso.pk}/", url_editar(caso), "/casos/"):
        html = cliente_soporte.get(url).content.decode()
        assert XSS not in html, url
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html, url


def test_html_typed_into_the_editor_is_stored_verbatim_and_shown_as_text(
    cliente_soporte, cliente, ejecutor
):
    datos = datos_post(datos_caso(cliente, asunto=XSS), [fila(ejecutor, descripcion=XSS)])

    cliente_soporte.post(URL_NUEVO, datos)

    caso = Caso.objects.get()
    assert caso.asunto == XSS
    assert caso.actividades.get().descripcion == XSS
    html = cliente_soporte.get(f"/casos/{caso.pk}/").content.decode()
    assert XSS not in html


# --- access -------------------------------------------------------------------------------


@pytest.fixture
def caso(ejecutor):
    caso = CasoFactory(fecha_inicio=INICIO, ejecutor=ejecutor)
    ActividadFactory(caso=caso, ejecutor=ejecutor)
    return caso


PAGINAS = [
    "/casos/",
    "/casos/nuevo/",
    "/casos/{pk}/",
    "/casos/{pk}/editar/",
    "/casos/{pk}/eliminar/",
]


@pytest.mark.parametrize("pagina", PAGINAS)
def test_anonymous_users_are_sent_to_the_login_page(client, caso, pagina):
    url = pagina.format(pk=caso.pk)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/cuentas/login/?next={url}"


@pytest.mark.parametrize("pagina", PAGINAS)
def test_a_user_without_group_gets_403(client, sin_grupo, caso, pagina):
    client.force_login(sin_grupo)

    response = client.get(pagina.format(pk=caso.pk))

    assert response.status_code == 403


def test_a_user_without_group_cannot_create_by_post(client, sin_grupo, cliente):
    client.force_login(sin_grupo)

    response = client.post(URL_NUEVO, datos_post(datos_caso(cliente), []))

    assert response.status_code == 403
    assert not Caso.objects.exists()


@pytest.mark.parametrize(
    "pagina", ["/casos/", "/casos/nuevo/", "/casos/{pk}/", "/casos/{pk}/editar/"]
)
def test_soporte_can_open_the_case_pages(cliente_soporte, caso, pagina):
    response = cliente_soporte.get(pagina.format(pk=caso.pk))

    assert response.status_code == 200


def test_soporte_cannot_delete(cliente_soporte, caso):
    url = f"/casos/{caso.pk}/eliminar/"

    assert cliente_soporte.get(url).status_code == 403
    assert cliente_soporte.post(url).status_code == 403
    assert Caso.objects.filter(pk=caso.pk).exists()


def test_coordinador_deletes_the_case_and_its_activities(cliente_coordinador, caso):
    url = f"/casos/{caso.pk}/eliminar/"

    assert cliente_coordinador.get(url).status_code == 200
    response = cliente_coordinador.post(url)

    assert response.status_code == 302
    assert response["Location"] == "/casos/"
    assert not Caso.objects.filter(pk=caso.pk).exists()
    assert not Actividad.objects.filter(caso_id=caso.pk).exists()


@pytest.mark.parametrize("pk", ["999999", "99999999999999999999999"])
def test_an_unknown_case_is_404(cliente_soporte, pk):
    assert cliente_soporte.get(f"/casos/{pk}/editar/").status_code == 404
    assert cliente_soporte.get(f"/casos/{pk}/").status_code == 404


# --- the detail page ----------------------------------------------------------------------


def test_the_detail_page_shows_totals_and_dias_en_ejecucion(cliente_soporte, ejecutor):
    hoy = timezone.localdate()
    caso = CasoFactory(fecha_inicio=hoy - datetime.timedelta(days=7), ejecutor=ejecutor)
    ActividadFactory(
        caso=caso,
        ejecutor=ejecutor,
        fecha=caso.fecha_inicio,
        hora_inicio=datetime.time(9, 0),
        hora_fin=datetime.time(10, 30),
        facturable=True,
    )
    ActividadFactory(
        caso=caso,
        ejecutor=ejecutor,
        fecha=caso.fecha_inicio,
        hora_inicio=datetime.time(14, 0),
        hora_fin=datetime.time(14, 45),
        facturable=False,
    )

    response = cliente_soporte.get(f"/casos/{caso.pk}/")

    assert response.status_code == 200
    assert response.context["totales"] == {
        "horas": Decimal("2.25"),
        "horas_facturables": Decimal("1.50"),
    }
    html = response.content.decode()
    assert re.search(r'data-total="horas">2,25<', html)
    assert re.search(r'data-total="horas_facturables">1,50<', html)
    assert re.search(r"Días en ejecución</dt>\s*<dd[^>]*>7</dd>", html)


def test_the_detail_page_of_a_completed_case_counts_days_to_fecha_cierre(cliente_soporte):
    caso = CasoFactory(
        fecha_inicio=datetime.date(2025, 1, 10),
        fecha_cierre=datetime.date(2025, 1, 13),
        etapa=Etapa.COMPLETADA,
    )

    html = cliente_soporte.get(f"/casos/{caso.pk}/").content.decode()

    assert re.search(r"Días en ejecución</dt>\s*<dd[^>]*>3</dd>", html)


# --- health check and home ----------------------------------------------------------------


def test_salud_answers_ok_without_login(client):
    response = client.get("/salud/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_salud_answers_503_when_the_database_fails(client, monkeypatch):
    def cursor_roto(*args, **kwargs):
        raise OperationalError("la base de datos no responde")

    with monkeypatch.context() as m:
        m.setattr(connections["default"], "cursor", cursor_roto)
        response = client.get("/salud/")

    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_the_home_page_redirects_to_the_case_list(cliente_soporte):
    response = cliente_soporte.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/casos/"


# --- query counts -------------------------------------------------------------------------


_HORA_DEL_CASO = itertools.count()


def _caso_con_actividades(n: int, ejecutor):
    """A case with ``n`` activities, one per day from its start, with an article each.

    Each case gets its own hour of the day: the ejecutor cannot be in two cases at once.
    """
    caso = CasoFactory(fecha_inicio=datetime.date(2025, 1, 1), ejecutor=ejecutor)
    articulo = ArticuloFactory()
    hora = 6 + next(_HORA_DEL_CASO) % 16
    Actividad.objects.bulk_create(
        Actividad(
            caso=caso,
            fecha=caso.fecha_inicio + datetime.timedelta(days=i),
            hora_inicio=datetime.time(hora, 0),
            hora_fin=datetime.time(hora, 59),
            minutos=59,
            descripcion=f"Actividad {i}",
            ejecutor=ejecutor,
            articulo=articulo,
            facturable=i % 2 == 0,
        )
        for i in range(n)
    )
    return caso


def _consultas(client, metodo, url, datos=None) -> list[str]:
    with CaptureQueriesContext(connections["default"]) as ctx:
        response = getattr(client, metodo)(url, datos) if datos else getattr(client, metodo)(url)
    assert response.status_code in (200, 302), response.status_code
    return [q["sql"] for q in ctx.captured_queries]


def _con_todas_sus_busquedas(*casos):
    """Give each case a contact of its client, an inactive coordinator, a revisor and an
    inactive article: what the case points to must not cost a query of its own."""
    jubilado = EjecutorFactory(nombre="Jubilado", estatus="inactivo")
    revisor = EjecutorFactory(nombre="Revisora")
    viejo = ArticuloFactory(nombre="Artículo retirado", activo=False)
    for caso in casos:
        Caso.objects.filter(pk=caso.pk).update(
            contacto=ContactoFactory(cliente=caso.cliente),
            coordinador=jubilado,
            revisor=revisor,
            articulo=viejo,
        )


def test_the_editor_get_runs_the_same_queries_for_5_and_200_rows(
    cliente_soporte, ejecutor, django_assert_num_queries
):
    pocos = _caso_con_actividades(5, ejecutor)
    muchos = _caso_con_actividades(200, ejecutor)
    _con_todas_sus_busquedas(pocos, muchos)
    cliente_soporte.get(url_editar(pocos))  # warm up the session and caches

    consultas_pocos = _consultas(cliente_soporte, "get", url_editar(pocos))
    consultas_muchos = _consultas(cliente_soporte, "get", url_editar(muchos))

    assert len(consultas_pocos) == len(consultas_muchos), "\n".join(consultas_muchos)
    # 1-4 session, user, user permissions, group permissions
    # 5 the case with propietario, cliente and contacto (with its cliente): the Cliente and
    #   Contacto lupas show them from there
    # 6 the rows, with ejecutor and articulo
    # 7 the ejecutores: active, the rows' and the case's (coordinador, ejecutor, revisor),
    #   for the rows and for Coord., Ejecutor and Revisor
    # 8 the articulos: active, the rows' and the case's, for the rows and for Artículo
    # 9-11 the choices of Depto., Grupo and Clase
    with django_assert_num_queries(11):
        cliente_soporte.get(url_editar(muchos))


def test_the_new_case_page_runs_a_fixed_number_of_queries(
    cliente_soporte, ejecutor, django_assert_num_queries
):
    ArticuloFactory()
    cliente_soporte.get(URL_NUEVO)  # warm up the session and caches

    # 1-4 session, user, user permissions, group permissions
    # 5 the active ejecutores (the rows, Coord., Ejecutor, Revisor)
    # 6 the active articulos (the rows, Artículo)
    # 7-9 the choices of Depto., Grupo and Clase
    with django_assert_num_queries(9):
        cliente_soporte.get(URL_NUEVO)


def _opciones(html: str, nombre: str) -> list[str]:
    """The labels the select posted as ``nombre`` offers."""
    select = re.search(rf'<select name="{re.escape(nombre)}".*?</select>', html, re.S)
    assert select, nombre
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(0))


def test_an_inactive_lookup_is_offered_only_where_the_case_uses_it(cliente_soporte, ejecutor):
    caso = _caso_con_actividades(1, ejecutor)
    _con_todas_sus_busquedas(caso)
    ArticuloFactory(nombre="Artículo vigente")

    html = cliente_soporte.get(url_editar(caso)).content.decode()

    assert "Jubilado" in _opciones(html, "coordinador")
    for nombre in ("ejecutor", "revisor", "actividades-0-ejecutor", "actividades-1-ejecutor"):
        assert "Jubilado" not in _opciones(html, nombre), nombre
        assert {"Ana Pérez", "Revisora"} <= set(_opciones(html, nombre)), nombre
    assert "Artículo retirado" in _opciones(html, "articulo")
    assert "Artículo vigente" in _opciones(html, "articulo")
    # The case's inactive article is not offered to its rows.
    for nombre in ("actividades-0-articulo", "actividades-1-articulo"):
        assert "Artículo retirado" not in _opciones(html, nombre), nombre
    assert "Artículo vigente" in _opciones(html, "actividades-1-articulo")


def _post_sin_cambios_mas_uno(caso) -> dict:
    filas = [fila_de(a) for a in caso.actividades.order_by("fecha", "hora_inicio")]
    filas[-1]["descripcion"] = "Cambiada"
    return datos_post(datos_de(caso), filas)


def test_a_case_with_200_activities_can_be_saved(cliente_soporte, ejecutor):
    caso = _caso_con_actividades(200, ejecutor)

    response = cliente_soporte.post(url_editar(caso), _post_sin_cambios_mas_uno(caso))

    assert response.status_code == 302
    assert caso.actividades.filter(descripcion="Cambiada").count() == 1


def test_the_editor_post_runs_the_same_queries_for_5_and_200_unchanged_rows(
    cliente_soporte, ejecutor, django_assert_max_num_queries
):
    pocos = _caso_con_actividades(5, ejecutor)
    muchos = _caso_con_actividades(200, ejecutor)
    cliente_soporte.get(url_editar(pocos))

    consultas_pocos = _consultas(
        cliente_soporte, "post", url_editar(pocos), _post_sin_cambios_mas_uno(pocos)
    )
    consultas_muchos = _consultas(
        cliente_soporte, "post", url_editar(muchos), _post_sin_cambios_mas_uno(muchos)
    )

    assert len(consultas_pocos) == len(consultas_muchos), "\n".join(consultas_muchos)
    assert muchos.actividades.filter(descripcion="Cambiada").count() == 1
    # 1-4 session, user, user permissions, group permissions
    # 5 the case with cliente and propietario
    # 6-7 the case form's chosen cliente and ejecutor (ModelChoiceField lookups)
    # 8-9 the model's existence checks of those foreign keys
    # 10-30 the case's seven check constraints, each SAVEPOINT, SELECT, RELEASE
    # 31-32 the shared ejecutor and articulo choices of the rows
    # 33 the stored rows (every row id is checked against this one query)
    # 34-39 SAVEPOINT, UPDATE of the case and INSERT of its history record, UPDATE of the
    #       one changed row and INSERT of its history record, RELEASE
    with django_assert_max_num_queries(39):
        cliente_soporte.post(url_editar(muchos), _post_sin_cambios_mas_uno(muchos))


def test_the_detail_page_runs_the_same_queries_for_5_and_200_rows(
    cliente_soporte, ejecutor, django_assert_max_num_queries
):
    pocos = _caso_con_actividades(5, ejecutor)
    muchos = _caso_con_actividades(200, ejecutor)
    cliente_soporte.get(f"/casos/{pocos.pk}/")

    consultas_pocos = _consultas(cliente_soporte, "get", f"/casos/{pocos.pk}/")
    consultas_muchos = _consultas(cliente_soporte, "get", f"/casos/{muchos.pk}/")

    assert len(consultas_pocos) == len(consultas_muchos), "\n".join(consultas_muchos)
    # 1-4 session, user, user permissions, group permissions
    # 5 the case with all its related rows joined
    # 6 its activities with ejecutor and articulo (prefetch)
    with django_assert_max_num_queries(6):
        cliente_soporte.get(f"/casos/{muchos.pk}/")
