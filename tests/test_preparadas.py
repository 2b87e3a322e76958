"""Queries compiled once per process (efactory/preparadas.py): the same answers as the ORM,
whatever the values, and the ORM itself whenever the SQL cannot be reused."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Caso
from efactory.preparadas import Preparada, PreparadaDeModelos
from tests.factories import CasoFactory, ClienteFactory, EjecutorFactory

pytestmark = pytest.mark.django_db


class Contador:
    """A queryset builder that counts how many times it was asked to build."""

    def __init__(self, construir):
        self.construir = construir
        self.veces = 0

    def __call__(self, *valores):
        self.veces += 1
        return self.construir(*valores)


def test_the_sql_is_compiled_once_per_list_length_and_answers_for_every_value():
    casos = [CasoFactory(asunto=f"Caso {i}") for i in range(5)]
    construir = Contador(lambda pks: Caso.objects.filter(pk__in=pks).values_list("pk", "asunto"))
    preparada = Preparada(construir)

    def orm(pks):
        return sorted(Caso.objects.filter(pk__in=pks).values_list("pk", "asunto"))

    for grupo in ([casos[0].pk, casos[1].pk], [casos[2].pk, casos[3].pk], [casos[4].pk, 0]):
        assert sorted(preparada.filas(grupo, using="default")) == orm(grupo)
    assert construir.veces == 1, "two keys each time: one compilation"

    tres = [c.pk for c in casos[:3]]
    assert sorted(preparada.filas(tres, using="default")) == orm(tres)
    assert construir.veces == 2, "three keys: SQL of its own"


def test_a_query_whose_parameters_are_not_its_values_is_left_to_the_orm():
    """A constant of the query's own (here the asunto) would be replaced by the next value:
    such a query is compiled by the ORM every time, and answers right."""
    a = CasoFactory(asunto="uno")
    b = CasoFactory(asunto="uno")
    construir = Contador(lambda pk: Caso.objects.filter(pk=pk, asunto="uno").values_list("pk"))
    preparada = Preparada(construir)

    assert preparada.filas(a.pk, using="default") == [(a.pk,)]
    assert preparada.filas(b.pk, using="default") == [(b.pk,)]
    assert construir.veces == 2, "built (and compiled) by the ORM for each call"


def test_model_rows_come_with_their_related_rows_and_only_the_columns_asked(
    django_assert_num_queries,
):
    ana = EjecutorFactory(nombre="Ana")
    con = CasoFactory(cliente=ClienteFactory(nombre="Acme"), ejecutor=ana, asunto="Red")
    sin = CasoFactory(cliente=ClienteFactory(nombre="Beta"), ejecutor=None, asunto="Correo")
    preparada = PreparadaDeModelos(
        lambda pks: (
            Caso.objects.select_related("cliente", "ejecutor")
            .only("asunto", "fecha_inicio", "cliente__nombre", "ejecutor__nombre")
            .order_by()
            .filter(pk__in=pks)
        )
    )
    preparada.filas([con.pk, sin.pk], using="default")  # compiles

    with django_assert_num_queries(1):
        filas = {c.pk: c for c in preparada.filas([sin.pk, con.pk], using="default")}
        leidos = [
            (c.asunto, c.cliente.nombre, c.ejecutor.nombre if c.ejecutor else None)
            for c in filas.values()
        ]
    assert sorted(leidos) == [("Correo", "Beta", None), ("Red", "Acme", "Ana")]
    caso = filas[con.pk]
    assert isinstance(caso.fecha_inicio, datetime.date), "converted as the ORM converts"
    assert (
        caso.get_deferred_fields()
        == Caso.objects.only("asunto", "fecha_inicio", "cliente", "ejecutor")
        .get(pk=con.pk)
        .get_deferred_fields()
    )
    assert not caso._state.adding and caso._state.db == "default"


def test_an_empty_list_asks_nothing():
    preparada = PreparadaDeModelos(lambda pks: Caso.objects.filter(pk__in=pks))
    with CaptureQueriesContext(connection) as consultas:
        assert preparada.filas([], using="default") == []
    assert len(consultas) == 0


def test_an_expired_or_unknown_session_is_logged_out(cliente_coordinador):
    assert cliente_coordinador.get("/casos/").status_code == 200

    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))

    respuesta = cliente_coordinador.get("/casos/")
    assert respuesta.status_code == 302
    assert respuesta["Location"].startswith("/cuentas/login/")


def test_an_inactive_user_is_logged_out(cliente_coordinador, coordinador):
    assert cliente_coordinador.get("/casos/").status_code == 200

    coordinador.is_active = False
    coordinador.save()

    assert cliente_coordinador.get("/casos/").status_code == 302
