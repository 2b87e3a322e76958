"""efactory/masivo.py: the import's bulk UPDATE writes what bulk_update() writes, and its
history records are simple-history's, on both databases; on PostgreSQL with COPY (a fixed
number of statements however many rows), elsewhere with Django's and simple-history's own."""

import datetime
import decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy
from simple_history.manager import HistoryManager
from simple_history.utils import bulk_update_with_history

from cases.models import Actividad, Caso, Etapa
from customers.models import Cliente
from efactory.masivo import GestorMasivo, HistorialMasivo
from tests.factories import (
    ActividadFactory,
    CasoFactory,
    ClienteFactory,
    EjecutorFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_bulk_update_writes_every_kind_of_value(django_assert_num_queries):
    casos = CasoFactory.create_batch(5)
    otro_cliente, ejecutor = ClienteFactory(), EjecutorFactory()
    momento = timezone.now().replace(microsecond=123456)
    for i, caso in enumerate(casos):
        caso.asunto = f"Nuevo asunto {i} con 'comillas' y ñ"
        caso.fecha_cierre = datetime.date(2026, 12, i + 1) if i % 2 else None
        caso.estimado = decimal.Decimal("12.50") + i
        caso.avance = 10 * i
        caso.facturable = bool(i % 2)
        caso.cliente = otro_cliente
        caso.ejecutor = ejecutor if i % 2 else None
        caso.actualizado_en = momento
    campos = [
        "asunto", "fecha_cierre", "estimado", "avance", "facturable", "cliente", "ejecutor",
        "actualizado_en",
    ]  # fmt: skip
    # PostgreSQL: CREATE TEMPORARY TABLE, (COPY, not a query), UPDATE … FROM it, DROP;
    # elsewhere Django's bulk_update(), a statement per batch of 3.
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 2):
        assert GestorMasivo(Caso).bulk_update(casos, campos, batch_size=3) == 5
    for i, caso in enumerate(casos):
        guardado = Caso.objects.get(pk=caso.pk)
        assert guardado.asunto == f"Nuevo asunto {i} con 'comillas' y ñ"
        assert guardado.fecha_cierre == (datetime.date(2026, 12, i + 1) if i % 2 else None)
        assert guardado.estimado == decimal.Decimal("12.50") + i
        assert guardado.avance == 10 * i
        assert guardado.facturable is bool(i % 2)
        assert guardado.cliente_id == otro_cliente.pk
        assert guardado.ejecutor_id == (ejecutor.pk if i % 2 else None)
        assert guardado.actualizado_en == momento


def test_bulk_update_leaves_the_other_rows_and_fields_alone():
    cambiado, intacto = CasoFactory(asunto="antes"), CasoFactory(asunto="otro")
    cambiado.asunto, cambiado.comentario = "después", "no se escribe"
    GestorMasivo(Caso).bulk_update([cambiado], ["asunto"])
    cambiado.refresh_from_db()
    intacto.refresh_from_db()
    assert (cambiado.asunto, cambiado.comentario, intacto.asunto) == ("después", "", "otro")


def test_the_update_runs_inside_a_transaction_of_its_own_when_there_is_none():
    """The temporary table lives until the commit: outside any transaction the write still
    works (its own transaction), and leaves no table behind."""
    caso = CasoFactory(asunto="antes")
    caso.asunto = "después"
    assert GestorMasivo(Caso).bulk_update([caso], ["asunto"]) == 1
    with transaction.atomic():
        caso.asunto = "otra vez"
        assert GestorMasivo(Caso).bulk_update([caso], ["asunto"]) == 1
        assert GestorMasivo(Caso).bulk_update([caso], ["asunto"]) == 1  # a second table
    assert Caso.objects.get(pk=caso.pk).asunto == "otra vez"


def _registros(modelo, pks) -> list[dict]:
    """The history records of these rows, as stored, without their own id."""
    filas = modelo.history.filter(id__in=pks).order_by("id", "history_id").values()
    return [{k: v for k, v in fila.items() if k != "history_id"} for fila in filas]


@pytest.mark.parametrize("modelo", [Caso, Actividad, Cliente])
def test_history_records_written_in_bulk_are_simple_historys(modelo):
    """The same rows, once through HistorialMasivo (COPY on PostgreSQL) and once through
    simple-history's own bulk_history_create(): the same records, value for value."""
    usuario = UserFactory()
    fabrica = {Caso: CasoFactory, Actividad: ActividadFactory, Cliente: ClienteFactory}[modelo]
    filas = fabrica.create_batch(3)
    modelo.history.all().delete()
    momento = timezone.now().replace(microsecond=654321)
    filas[0]._change_reason = "Motivo propio"
    filas[1]._history_user = None
    pks = [f.pk for f in filas]
    assert isinstance(modelo.history, HistorialMasivo)
    for manager_de in (type(modelo.history), HistoryManager):
        historial = manager_de(modelo.history.model)
        historial.bulk_history_create(
            filas, update=True, default_user=usuario, default_change_reason="Importación",
            default_date=momento,
        )  # fmt: skip
    registros = _registros(modelo, pks)
    nuestros, suyos = registros[0::2], registros[1::2]
    assert len(nuestros) == len(suyos) == 3
    assert nuestros == suyos
    assert [r["history_change_reason"] for r in nuestros] == [
        "Motivo propio",
        "Importación",
        "Importación",
    ]
    assert [r["history_user_id"] for r in nuestros] == [usuario.pk, None, usuario.pk]
    assert {r["history_type"] for r in nuestros} == {"~"}
    assert {r["history_date"] for r in nuestros} == {momento}


def test_bulk_update_with_history_writes_both_through_the_bulk_paths():
    usuario = UserFactory()
    casos = CasoFactory.create_batch(4)
    for caso in casos:
        caso.asunto = f"{caso.asunto} (importado)"
    bulk_update_with_history(
        casos, Caso, ["asunto"], default_user=usuario, default_change_reason="Importación",
        manager=GestorMasivo(Caso),
    )  # fmt: skip
    for caso in casos:
        assert Caso.objects.get(pk=caso.pk).asunto.endswith("(importado)")
        ultimo = caso.history.order_by("-history_id").first()
        assert (ultimo.asunto, ultimo.history_type, ultimo.history_user) == (
            caso.asunto,
            "~",
            usuario,
        )


def test_lazy_texts_and_choices_members_are_written_as_their_values():
    """What Django converts before handing a value to the driver (a lazy translation, a
    Choices member) is converted on the COPY paths too."""
    caso = CasoFactory()
    caso.asunto = gettext_lazy("Asunto traducible")
    caso.etapa = Etapa.RETRASADA
    GestorMasivo(Caso).bulk_update([caso], ["asunto", "etapa"])
    Caso.history.bulk_history_create(
        [caso], update=True, default_change_reason=gettext_lazy("Importación")
    )
    guardado = Caso.objects.get(pk=caso.pk)
    assert (guardado.asunto, guardado.etapa) == ("Asunto traducible", "retrasada")
    ultimo = guardado.history.order_by("-history_id").first()
    assert (ultimo.asunto, ultimo.etapa, ultimo.history_change_reason) == (
        "Asunto traducible",
        "retrasada",
        "Importación",
    )
