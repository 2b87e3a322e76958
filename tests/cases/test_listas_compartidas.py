"""Lists that several places use are defined once: an activity row's fields, a case's lookups."""

import pytest
from django.contrib import admin

from cases.admin import ActividadInline
from cases.filas import CELDAS
from cases.forms import ActividadForm
from cases.models import Actividad, Caso
from tests.factories import ActividadFactory, CasoFactory, ContactoFactory, EjecutorFactory


def test_the_editor_form_the_admin_inline_and_the_drawn_rows_have_the_same_fields():
    assert list(ActividadForm.Meta.fields) == list(Actividad.CAMPOS)
    assert list(ActividadInline.fields) == list(Actividad.CAMPOS)
    assert [nombre for nombre, _clase, _etiqueta in CELDAS] == list(Actividad.CAMPOS)


def test_the_admin_looks_up_every_relation_a_case_page_shows():
    assert list(admin.site._registry[Caso].autocomplete_fields) == list(Caso.RELACIONES)
    claves_foraneas = {
        f.name for f in Caso._meta.get_fields() if f.many_to_one and f.name != "propietario"
    }
    assert set(Caso.RELACIONES) == claves_foraneas


@pytest.mark.django_db
def test_completo_reads_the_nine_related_rows_in_the_same_query(django_assert_num_queries):
    ana = EjecutorFactory()
    contacto = ContactoFactory()
    caso = CasoFactory(
        cliente=contacto.cliente, contacto=contacto, ejecutor=ana, coordinador=ana, revisor=ana
    )
    ActividadFactory(caso=caso, ejecutor=ana, fecha=caso.fecha_inicio)

    with django_assert_num_queries(1):
        cargado = Caso.objects.completo().get(pk=caso.pk)
        nombres = [str(getattr(cargado, relacion)) for relacion in Caso.RELACIONES]

    assert nombres[:5] == [str(contacto.cliente), str(contacto), ana.nombre, ana.nombre, ana.nombre]
