"""The case list's cached fragments (the "fragmentos" cache): never stale, never shared
between users who should see different things.

The filter panel, the column headers, the page links, the action buttons, the bulk bar,
the menu and the lupa's dialog are drawn once per process for what their keys name
(FiltrosBase.firma() for the list's parameters and lookup rows). Each test below changes one
thing a key must name, between two requests with the same URL, and looks for the change.
"""

import datetime
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import caches

from cases.models import Grupo
from customers.models import Cliente
from efactory.estatus import Estatus
from tests.factories import (
    CasoFactory,
    ClienteFactory,
    EjecutorFactory,
    GrupoFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = "/casos/"


def select(html: str, nombre: str) -> str:
    """The filter panel's ``<select name=…>`` (the bulk bar's selects are named seg-…)."""
    return re.search(rf'<select name="{nombre}"[^>]*>.*?</select>', html, re.S)[0]


def test_the_panel_is_drawn_once_and_then_served_from_the_cache(cliente_coordinador):
    GrupoFactory(nombre="Redes")
    caches["fragmentos"].clear()

    primera = cliente_coordinador.get(URL).content.decode()
    en_cache = len(caches["fragmentos"]._cache)
    segunda = cliente_coordinador.get(URL).content.decode()

    assert en_cache >= 5, "panel, headers, page links, actions, bulk bar, menu…"
    assert len(caches["fragmentos"]._cache) == en_cache, "the same page adds nothing"
    sin_csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert sin_csrf.sub("", primera) == sin_csrf.sub("", segunda)
    assert "Redes" in select(segunda, "grupo")


def test_a_renamed_added_or_removed_group_shows_at_once(cliente_coordinador):
    redes = GrupoFactory(nombre="Redes")
    cliente_coordinador.get(URL)

    redes.nombre = "Redes y comunicaciones"
    redes.save()
    GrupoFactory(nombre="Bases de datos")
    html = select(cliente_coordinador.get(URL).content.decode(), "grupo")
    assert "Redes y comunicaciones" in html
    assert "Bases de datos" in html

    Grupo.objects.filter(nombre="Bases de datos").delete()
    assert "Bases de datos" not in select(cliente_coordinador.get(URL).content.decode(), "grupo")


def test_a_changed_row_sql_or_queryset_update_reaches_the_panel(cliente_coordinador):
    """A change made without the model's save() (an UPDATE of the admin's bulk action or
    an import) is seen too: the key is read from the rows themselves."""
    redes = GrupoFactory(nombre="Redes")
    url = f"{URL}?grupo={redes.pk}"
    assert "Redes" in select(cliente_coordinador.get(url).content.decode(), "grupo")

    Grupo.objects.filter(pk=redes.pk).update(nombre="Redes LAN")

    html = select(cliente_coordinador.get(url).content.decode(), "grupo")
    assert re.search(rf'<option value="{redes.pk}" selected>Redes LAN</option>', html)


def test_the_chosen_client_and_ejecutor_show_their_current_name_and_state(cliente_coordinador):
    cliente = ClienteFactory(nombre="Acme")
    ana = EjecutorFactory(nombre="Ana")
    url = f"{URL}?cliente={cliente.pk}&ejecutor={ana.pk}"
    primera = cliente_coordinador.get(url).content.decode()
    assert "Acme" in select(primera, "cliente")
    assert "data-inactivo" not in select(primera, "cliente")

    Cliente.objects.filter(pk=cliente.pk).update(nombre="Acme Global", estatus=Estatus.INACTIVO)
    ana.nombre = "Ana María"
    ana.save()

    segunda = cliente_coordinador.get(url).content.decode()
    assert "Acme Global" in select(segunda, "cliente")
    assert "data-inactivo" in select(segunda, "cliente")
    assert "Ana María" in select(segunda, "ejecutor")


def test_a_value_that_becomes_valid_is_no_longer_named_as_ignored(cliente_coordinador):
    ana = EjecutorFactory(nombre="Ana")
    url = f"{URL}?ejecutor={ana.pk + 1000}"
    assert "Se ignoraron valores no válidos en:" in cliente_coordinador.get(url).content.decode()

    EjecutorFactory(pk=ana.pk + 1000, nombre="Beto")

    html = cliente_coordinador.get(url).content.decode()
    assert "Se ignoraron valores no válidos en:" not in html
    assert "Beto" in select(html, "ejecutor")


def test_each_url_has_its_own_panel_headers_and_page_links(cliente_coordinador):
    for _ in range(30):
        CasoFactory()
    por_cliente = cliente_coordinador.get(f"{URL}?orden=cliente").content.decode()
    pagina_2 = cliente_coordinador.get(f"{URL}?page=2").content.decode()
    plana = cliente_coordinador.get(URL).content.decode()

    assert '<input type="hidden" name="orden" value="cliente">' in por_cliente
    assert 'name="orden"' not in plana.split('id="form-seguimiento"')[0]
    assert 'aria-sort="ascending"' in por_cliente
    assert 'aria-sort="ascending"' not in plana
    assert "Página 2 de 2" in pagina_2
    assert "Página 1 de 2" in plana


def test_the_page_links_follow_the_count(cliente_coordinador):
    for _ in range(26):
        CasoFactory()
    assert "Página 1 de 2" in cliente_coordinador.get(URL).content.decode()

    CasoFactory.create_batch(25)

    assert "Página 1 de 3" in cliente_coordinador.get(URL).content.decode()


def test_users_with_other_permissions_see_their_own_actions_menu_and_columns(
    client, cliente_coordinador
):
    """The same URL, first for a coordinator, then for a user who may only view cases."""
    CasoFactory()
    coordinador = cliente_coordinador.get(URL).content.decode()
    assert 'href="/casos/nuevo/"' in coordinador
    assert "Exportar" in coordinador
    assert "data-seleccionar-todos" in coordinador
    assert 'href="/casos/horas/"' in coordinador

    lector = UserFactory(username="lector")
    lector.user_permissions.add(
        Permission.objects.get(content_type__app_label="cases", codename="view_caso")
    )
    client.force_login(lector)
    html = client.get(URL).content.decode()

    assert html.count("<select") > 0
    assert 'href="/casos/nuevo/"' not in html
    assert "Exportar" not in html
    assert "data-seleccionar-todos" not in html
    assert 'id="form-seguimiento"' not in html
    assert 'href="/casos/horas/"' not in html, "the menu follows the permissions"


def test_the_menu_marks_the_page_it_is_on(cliente_coordinador):
    lista = cliente_coordinador.get(URL).content.decode()
    proximos = cliente_coordinador.get("/casos/proximos/").content.decode()

    actual = re.compile(r'<a class="nav-link active" aria-current="page" href="([^"]+)"')
    assert actual.findall(lista) == ["/casos/"]
    assert actual.findall(proximos) == ["/casos/proximos/"]


def test_a_row_shows_its_case_as_it_is_now(cliente_coordinador, client):
    """Rows are kept by everything they show (cases/lista.py:filas_lista): a row whose
    case, client, ejecutor or hours changed is drawn again, whoever changed them and how.
    One change at a time, each looked for in the row."""
    from cases.models import Caso, Ejecutor
    from tests.factories import ActividadFactory

    ana = EjecutorFactory(nombre="Ana")
    caso = CasoFactory(asunto="Impresora", cliente=ClienteFactory(nombre="Acme"), ejecutor=ana)

    def fila() -> str:
        html = cliente_coordinador.get(URL).content.decode()
        return re.search(r"<tr[^>]*><td[^>]*><input[^>]*data-seleccion.*?</tr>", html, re.S)[0]

    assert "Impresora" in fila()
    cambios = [
        (lambda: Caso.objects.filter(pk=caso.pk).update(asunto="Impresora láser"), "láser"),
        (lambda: Caso.objects.filter(pk=caso.pk).update(avance=40), 'value="40"'),
        (lambda: Cliente.objects.filter(pk=caso.cliente_id).update(nombre="Acme 2"), "Acme 2"),
        (lambda: Ejecutor.objects.filter(pk=ana.pk).update(nombre="Ana María"), "Ana María"),
        (
            lambda: ActividadFactory(
                caso=caso, ejecutor=ana, hora_inicio=datetime.time(8), hora_fin=datetime.time(9, 30)
            ),
            ">1,50<",
        ),
        (lambda: Caso.objects.filter(pk=caso.pk).update(comentario="Urgente"), "Urgente"),
    ]
    for cambiar, se_ve in cambios:
        cambiar()
        assert se_ve in fila()

    lector = UserFactory(username="lector")
    lector.user_permissions.add(
        Permission.objects.get(content_type__app_label="cases", codename="view_caso")
    )
    client.force_login(lector)
    assert "data-seleccion" not in client.get(URL).content.decode(), "no bulk action: no box"


def test_a_row_drawn_yesterday_shows_todays_dias_and_vencido(cliente_coordinador, monkeypatch):
    from django.utils import timezone

    from cases.models import Etapa

    hoy = timezone.localdate()
    CasoFactory(
        asunto="Servidor",
        etapa=Etapa.EN_PROGRESO,
        fecha_inicio=hoy - datetime.timedelta(days=3),
        fecha_cierre=hoy + datetime.timedelta(days=1),
    )

    def fila() -> str:
        html = cliente_coordinador.get(URL).content.decode()
        return re.search(r"<tr[^>]*>(?:(?!</tr>).)*Servidor.*?</tr>", html, re.S)[0]

    antes = fila()
    assert "Vencido" not in antes
    assert '<td class="text-end">3</td>' in antes

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: hoy + datetime.timedelta(days=2))

    despues = fila()
    assert "Vencido" in despues
    assert '<td class="text-end">5</td>' in despues
