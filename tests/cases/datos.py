"""Shared by the tests of the case pages: POST bodies as the editor sends them, the
parsing of field errors, and cases with many activities."""

import datetime
import itertools
import re
from html.parser import HTMLParser

from cases.models import Actividad
from tests.factories import ArticuloFactory, CasoFactory
from tests.formularios import cuerpo_formset

PREFIJO = "actividades"
URL_NUEVO = "/casos/nuevo/"
INICIO = datetime.date(2026, 3, 2)
# Typed into a case's texts, it must come back as text on every page.
XSS = "<script>alert('x')</script>"
XSS_ESCAPADO = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


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


def filas_guardadas(caso) -> list[tuple]:
    return list(
        Actividad.objects.filter(caso=caso)
        .order_by("pk")
        .values_list("fecha", "hora_inicio", "hora_fin", "descripcion", "ejecutor_id")
    )


HORA_DEL_CASO = itertools.count()


def caso_con_actividades(n: int, ejecutor):
    """A case with ``n`` activities, one per day from its start, with an article each.

    Each case gets its own hour of the day: the ejecutor cannot be in two cases at once.
    """
    caso = CasoFactory(fecha_inicio=datetime.date(2025, 1, 1), ejecutor=ejecutor)
    articulo = ArticuloFactory()
    hora = 6 + next(HORA_DEL_CASO) % 16
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
