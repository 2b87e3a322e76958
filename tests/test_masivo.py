"""efactory.masivo.GestorMasivo: the import's bulk UPDATE writes what bulk_update() writes,
on both databases, with one statement a batch."""

import datetime
import decimal

import pytest
from django.utils import timezone

from cases.models import Caso
from efactory.masivo import GestorMasivo
from tests.factories import CasoFactory, ClienteFactory, EjecutorFactory

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
    with django_assert_num_queries(2):  # batches of 3: two statements
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
