"""Which rows are active has one statement per model (efactory/estatus.py): the database
condition ACTIVOS and esta_activo() of a loaded row agree, for every status."""

import pytest

from cases.models import Articulo, Clase, Departamento, Ejecutor, Grupo
from customers.models import Cliente, Contacto
from efactory.estatus import Estatus
from tests.factories import (
    ArticuloFactory,
    ClienteFactory,
    ContactoFactory,
    EjecutorFactory,
)

pytestmark = pytest.mark.django_db


def activos_segun_ambos(modelo):
    en_la_base = set(modelo.objects.filter(modelo.ACTIVOS).values_list("pk", flat=True))
    cargados = {obj.pk for obj in modelo.objects.all() if obj.esta_activo()}
    return en_la_base, cargados


def test_ejecutores_and_clients_are_active_only_with_estatus_activo():
    for estatus in Estatus.values:
        EjecutorFactory(estatus=estatus)
        ClienteFactory(estatus=estatus)
    for modelo in (Ejecutor, Cliente):
        en_la_base, cargados = activos_segun_ambos(modelo)
        assert en_la_base == cargados
        assert {modelo.objects.get(pk=pk).estatus for pk in en_la_base} == {Estatus.ACTIVO}


def test_lookup_tables_and_contacts_are_active_with_their_box_ticked():
    for activo in (True, False):
        ArticuloFactory(activo=activo)
        ContactoFactory(activo=activo)
        for modelo in (Clase, Grupo, Departamento):
            modelo.objects.create(
                codigo=f"{modelo.__name__}{activo}", nombre=f"N {activo}", activo=activo
            )
    for modelo in (Articulo, Contacto, Clase, Grupo, Departamento):
        en_la_base, cargados = activos_segun_ambos(modelo)
        assert en_la_base == cargados
        assert len(en_la_base) == modelo.objects.filter(activo=True).count() >= 1
        assert modelo.objects.filter(activo=False).exists()
