"""/actividades/: every activity row across cases, its filters, the totals of the whole
filtered set and its downloads. Every total is compared with a direct sum over the rows."""

import csv
import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from cases.models import Actividad, Etapa
from tests.factories import ActividadFactory, CasoFactory, ClienteFactory, EjecutorFactory

# A Wednesday: the default range is its ISO week, Monday 2026-11-23 to Sunday 2026-11-29.
HOY = datetime.date(2026, 11, 25)
LUNES, DOMINGO = datetime.date(2026, 11, 23), datetime.date(2026, 11, 29)
URL = "/actividades/"


@pytest.fixture(autouse=True)
def hoy(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: HOY)


@pytest.fixture
def ana(db):
    return EjecutorFactory(nombre="Ana Pérez")


@pytest.fixture
def beto(db):
    return EjecutorFactory(nombre="Beto Ruiz")


def fila(caso, ejecutor, fecha, desde=(8, 0), hasta=(9, 0), facturable=True, **extra):
    return ActividadFactory(
        caso=caso,
        ejecutor=ejecutor,
        fecha=fecha,
        hora_inicio=datetime.time(*desde),
        hora_fin=datetime.time(*hasta),
        facturable=facturable,
        **extra,
    )


def total(pagina: str, clave: str) -> str:
    return re.search(rf'data-total="{clave}">([^<]*)<', pagina).group(1)


def horas(actividades, **filtro) -> str:
    minutos = sum(
        a.minutos for a in actividades if all(getattr(a, k) == v for k, v in filtro.items())
    )
    return f"{Decimal(minutos) / 60:.2f}".replace(".", ",")


def descripciones(pagina: str) -> set[str]:
    return set(re.findall(r'<td class="c-comentario">([^<]*)</td>', pagina))


@pytest.fixture
def semana(ana, beto):
    """Rows on both edges of this week and just outside it, of two people in two cases."""
    caso = CasoFactory(ejecutor=beto, fecha_inicio=datetime.date(2026, 11, 1))
    otro = CasoFactory(ejecutor=ana, fecha_inicio=datetime.date(2026, 11, 1), etapa=Etapa.RETRASADA)
    return {
        "lunes": fila(caso, ana, LUNES, descripcion="lunes"),
        "domingo": fila(otro, ana, DOMINGO, (8, 0), (8, 45), False, descripcion="domingo"),
        "de_beto": fila(caso, beto, HOY, (10, 0), (12, 30), descripcion="de beto"),
        "antes": fila(caso, ana, LUNES - datetime.timedelta(days=1), descripcion="antes"),
        "despues": fila(caso, ana, DOMINGO + datetime.timedelta(days=1), descripcion="despues"),
        "caso": caso,
        "otro": otro,
    }


def test_por_omision_la_semana_actual_con_sus_bordes(cliente_soporte, semana):
    pagina = cliente_soporte.get(URL).content.decode()

    assert descripciones(pagina) == {"lunes", "domingo", "de beto"}
    de_la_semana = [semana["lunes"], semana["domingo"], semana["de_beto"]]
    assert total(pagina, "horas") == horas(de_la_semana) == "4,25"
    assert total(pagina, "horas_facturables") == horas(de_la_semana, facturable=True) == "3,50"
    assert total(pagina, "horas_no_facturables") == horas(de_la_semana, facturable=False)
    # The form shows the range it applied.
    assert 'name="desde" value="2026-11-23"' in pagina
    assert 'name="hasta" value="2026-11-29"' in pagina


@pytest.mark.parametrize(
    "desde, hasta", [("2026-11-22", "2026-11-30"), ("22/11/2026", "30/11/2026")]
)
def test_desde_y_hasta_inclusivos_iso_o_dd_mm_aaaa(cliente_soporte, semana, desde, hasta):
    pagina = cliente_soporte.get(URL, {"desde": desde, "hasta": hasta}).content.decode()

    assert descripciones(pagina) == {"antes", "lunes", "domingo", "de beto", "despues"}
    assert total(pagina, "horas") == horas(Actividad.objects.all())


def test_sin_rango_todo(cliente_soporte, semana):
    pagina = cliente_soporte.get(URL, {"desde": "", "hasta": ""}).content.decode()
    assert len(descripciones(pagina)) == 5


def test_ejecutor_es_el_de_la_actividad(cliente_soporte, semana, ana, beto):
    """Beto's case has Ana's rows: filtering by Ana finds them, not Beto's case rows."""
    pagina = cliente_soporte.get(URL, {"ejecutor": ana.pk}).content.decode()
    assert descripciones(pagina) == {"lunes", "domingo"}
    assert total(pagina, "horas") == horas([semana["lunes"], semana["domingo"]]) == "1,75"

    pagina = cliente_soporte.get(URL, {"ejecutor": beto.pk}).content.decode()
    assert descripciones(pagina) == {"de beto"}


@pytest.mark.parametrize(
    "valor, esperadas", [("true", {"lunes", "de beto"}), ("false", {"domingo"})]
)
def test_facturable_es_el_de_la_actividad(cliente_soporte, semana, valor, esperadas):
    pagina = cliente_soporte.get(URL, {"facturable": valor}).content.decode()
    assert descripciones(pagina) == esperadas


def test_los_filtros_del_caso_se_aplican_al_caso(cliente_soporte, semana):
    pagina = cliente_soporte.get(URL, {"etapa": "retrasada"}).content.decode()
    assert descripciones(pagina) == {"domingo"}

    cliente = semana["caso"].cliente
    pagina = cliente_soporte.get(URL, {"cliente": cliente.pk}).content.decode()
    assert descripciones(pagina) == {"lunes", "de beto"}

    buscado = CasoFactory(
        asunto="Migración del servidor de correo",
        cliente=ClienteFactory(nombre="Óptica Ñandú"),
        fecha_inicio=datetime.date(2026, 11, 1),
    )
    fila(buscado, semana["de_beto"].ejecutor, HOY, (14, 0), (15, 0), descripcion="buscada")
    pagina = cliente_soporte.get(URL, {"q": "migracion"}).content.decode()
    assert descripciones(pagina) == {"buscada"}
    pagina = cliente_soporte.get(URL, {"q": "nandu"}).content.decode()
    assert descripciones(pagina) == {"buscada"}


def test_los_totales_son_de_todo_el_conjunto_no_de_la_pagina(cliente_soporte, ana):
    caso = CasoFactory(fecha_inicio=datetime.date(2026, 11, 1))
    filas = [
        fila(caso, ana, LUNES + datetime.timedelta(days=i % 7), (7 + i // 7, 0), (7 + i // 7, 45))
        for i in range(15)
    ]

    pagina = cliente_soporte.get(URL, {"por_pagina": 10}).content.decode()

    assert len(descripciones(pagina)) == 10
    assert total(pagina, "horas") == horas(filas) == "11,25"
    assert "15 actividades" in pagina
    segunda = cliente_soporte.get(URL, {"por_pagina": 10, "page": 2}).content.decode()
    assert len(descripciones(segunda)) == 5


def test_un_valor_invalido_se_ignora_y_se_nombra(cliente_soporte, semana):
    respuesta = cliente_soporte.get(URL, {"desde": "31/02/2026", "ejecutor": "x"})
    assert respuesta.status_code == 200
    pagina = respuesta.content.decode()
    assert "Se ignoraron valores no válidos en:" in pagina
    assert "desde" in pagina and "ejecutor" in pagina


def test_html_escrito_se_muestra_como_texto(cliente_soporte, ana):
    caso = CasoFactory(asunto="<b>asunto</b>", fecha_inicio=datetime.date(2026, 11, 1))
    fila(caso, ana, HOY, descripcion="<script>alert(1)</script>")
    pagina = cliente_soporte.get(URL).content.decode()
    assert "<script>alert(1)</script>" not in pagina
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pagina


def leer_csv(respuesta, separador=","):
    texto = b"".join(respuesta.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(texto), delimiter=separador))


def test_csv_con_los_mismos_numeros(cliente_coordinador, semana):
    respuesta = cliente_coordinador.get(URL, {"formato": "csv"})

    assert respuesta.status_code == 200
    assert respuesta["Content-Type"].startswith("text/csv")
    filas = leer_csv(respuesta)
    assert filas[0] == [
        "Fecha",
        "H/Inicio",
        "H/Fin",
        "Horas",
        "Ejecutor",
        "Documento",
        "Asunto",
        "Cliente",
        "Actividad",
        "Fact.",
    ]
    cuerpo = filas[1:]
    assert [f[8] for f in cuerpo] == ["lunes", "de beto", "domingo"]
    assert cuerpo[0][:6] == [
        "23/11/2026",
        "08:00",
        "09:00",
        "1.00",
        "Ana Pérez",
        semana["caso"].documento,
    ]
    assert sum(Decimal(f[3]) for f in cuerpo) == Decimal("4.25")
    assert [f[9] for f in cuerpo] == ["Sí", "Sí", "No"]


def test_csv_excel_con_punto_y_coma_y_coma_decimal(cliente_coordinador, semana):
    filas = leer_csv(cliente_coordinador.get(URL, {"formato": "csv-excel"}), ";")
    assert filas[1][3] == "1,00"
    assert filas[2][3] == "2,50"


def test_xlsx_con_los_mismos_numeros(cliente_coordinador, semana):
    respuesta = cliente_coordinador.get(
        URL, {"formato": "xlsx", "ejecutor": semana["lunes"].ejecutor_id}
    )

    assert respuesta.status_code == 200
    libro = openpyxl.load_workbook(io.BytesIO(b"".join(respuesta.streaming_content)))
    hoja = libro["Actividades"]
    filas = list(hoja.iter_rows(values_only=True))
    assert filas[0][0] == "Fecha" and filas[0][3] == "Horas"
    assert [f[8] for f in filas[1:]] == ["lunes", "domingo"]
    assert sum(Decimal(str(f[3])) for f in filas[1:]) == Decimal("1.75")


def test_descargar_pide_el_permiso_de_exportar(cliente_soporte, semana):
    assert cliente_soporte.get(URL).status_code == 200
    assert cliente_soporte.get(URL, {"formato": "csv"}).status_code == 403
    assert "Exportar" not in cliente_soporte.get(URL).content.decode()


def test_formato_desconocido_es_400(cliente_coordinador, semana):
    assert cliente_coordinador.get(URL, {"formato": "pdf"}).status_code == 400


def test_consultas_que_no_crecen_con_las_filas(
    cliente_coordinador, ana, beto, django_assert_max_num_queries
):
    caso = CasoFactory(fecha_inicio=datetime.date(2026, 11, 1), etapa=Etapa.EN_PROGRESO)
    fila(caso, ana, LUNES, (7, 0), (7, 30), descripcion="primera")
    with django_assert_max_num_queries(12) as pocos:
        cliente_coordinador.get(URL, {"etapa": "en_progreso", "ejecutor": ana.pk})
    for i in range(40):
        otro = CasoFactory(fecha_inicio=datetime.date(2026, 11, 1), etapa=Etapa.EN_PROGRESO)
        fila(
            otro,
            ana if i % 2 else beto,
            LUNES + datetime.timedelta(days=i % 7),
            (9 + i // 7, 0),
            (9 + i // 7, 30),
        )
    with django_assert_max_num_queries(len(pocos.captured_queries)):
        respuesta = cliente_coordinador.get(URL, {"etapa": "en_progreso", "ejecutor": ana.pk})
    assert len(descripciones(respuesta.content.decode())) == 21
