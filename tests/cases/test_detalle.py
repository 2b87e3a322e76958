"""The read-only case page (/casos/<pk>/): totals, días en ejecución, query count."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.models import Etapa
from tests.cases.datos import XSS, XSS_ESCAPADO, caso_con_actividades
from tests.factories import ActividadFactory, CasoFactory

pytestmark = pytest.mark.django_db


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


@pytest.mark.parametrize("pk", ["999999", "99999999999999999999999"])
def test_an_unknown_case_is_404(cliente_soporte, pk):
    assert cliente_soporte.get(f"/casos/{pk}/").status_code == 404


def test_html_typed_into_the_case_is_shown_as_text(cliente_soporte, caso_con_html):
    html = cliente_soporte.get(f"/casos/{caso_con_html.pk}/").content.decode()

    assert XSS not in html
    assert XSS_ESCAPADO in html


def test_the_detail_page_runs_the_same_queries_for_5_and_200_rows(
    consultas, cliente_soporte, ejecutor, django_assert_num_queries
):
    pocos = caso_con_actividades(5, ejecutor)
    muchos = caso_con_actividades(200, ejecutor)
    cliente_soporte.get(f"/casos/{pocos.pk}/")

    consultas_pocos = consultas(cliente_soporte, "get", f"/casos/{pocos.pk}/")
    consultas_muchos = consultas(cliente_soporte, "get", f"/casos/{muchos.pk}/")

    assert len(consultas_pocos) == len(consultas_muchos), "\n".join(consultas_muchos)
    # 1-3 session, user, permissions (one query, efactory/permisos.py)
    # 4 the case with all its related rows joined
    # 5 its activities with ejecutor and articulo (prefetch)
    with django_assert_num_queries(5):
        cliente_soporte.get(f"/casos/{muchos.pk}/")


@pytest.mark.parametrize(
    "estimado, diferencia, excedido",
    [
        (Decimal("2"), "+0,50", True),
        (Decimal("4"), "-1,50", False),
        (Decimal("2.5"), "0,00", False),
    ],
)
def test_la_ficha_compara_las_horas_con_el_estimado(
    cliente_soporte, ejecutor, estimado, diferencia, excedido
):
    caso = CasoFactory(estimado=estimado, ejecutor=ejecutor)
    for desde, hasta in (((9, 0), (10, 0)), ((10, 0), (11, 30))):  # 2,5 h in all
        ActividadFactory(
            caso=caso,
            ejecutor=ejecutor,
            hora_inicio=datetime.time(*desde),
            hora_fin=datetime.time(*hasta),
        )

    pagina = cliente_soporte.get(f"/casos/{caso.pk}/").content.decode()

    assert re.search(r'data-total="diferencia">([^<]*)<', pagina).group(1) == diferencia
    assert ("Sobre el estimado" in pagina) is excedido


def test_sin_estimado_no_hay_comparacion(cliente_soporte, ejecutor):
    caso = CasoFactory(estimado=Decimal("0"), ejecutor=ejecutor)
    ActividadFactory(caso=caso, ejecutor=ejecutor)
    assert "data-estimado" not in cliente_soporte.get(f"/casos/{caso.pk}/").content.decode()
