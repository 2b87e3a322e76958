"""The demo data's generated texts read as Spanish ("del", not "de el"), its completed cases
say when, and it prints the address it is served at."""

import io
import random

import pytest
from django.core.management import call_command

from cases.management.commands.demo import Command, contraer
from cases.models import Caso, Etapa


@pytest.mark.parametrize(
    ("texto", "esperado"),
    [
        ("Migración de el sistema administrativo", "Migración del sistema administrativo"),
        ("Solicitud de acceso a el portal web", "Solicitud de acceso al portal web"),
        (
            "Respaldo de la base de datos de el inventario",
            "Respaldo de la base de datos del inventario",
        ),
        ("Reubicación de la UPS para el personal", "Reubicación de la UPS para el personal"),
        ("Sucursal de El Ávila", "Sucursal de El Ávila"),
    ],
)
def test_contractions(texto, esperado):
    assert contraer(texto) == esperado


def test_no_generated_subject_says_de_el_or_a_el():
    asuntos = [Command.asunto(random.Random(semilla)) for semilla in range(3000)]

    assert not [a for a in asuntos if " de el " in a or " a el " in a]
    assert any(" del " in a for a in asuntos) and any(" al " in a for a in asuntos)


def test_it_prints_the_address_it_is_given():
    salida = io.StringIO()

    Command(stdout=salida).imprimir_accesos("http://127.0.0.1:9000/")

    assert "Abra http://127.0.0.1:9000/ " in salida.getvalue()
    assert "8000" not in salida.getvalue()


@pytest.mark.django_db
def test_completed_demo_cases_say_when_and_open_ones_do_not():
    call_command("demo", "--casos", "12", "--url", "http://127.0.0.1:9000/", stdout=io.StringIO())

    completados = Caso.objects.filter(etapa=Etapa.COMPLETADA)
    assert completados.exists()
    for caso in completados:
        assert caso.avance == 100
        assert caso.completado_en is not None
        assert caso.completado_en.date() <= caso.fecha_cierre
    assert not Caso.objects.exclude(etapa=Etapa.COMPLETADA).filter(completado_en__isnull=False)
