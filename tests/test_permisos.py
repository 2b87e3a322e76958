"""Who may open what: every URL pattern of the project against five roles.

MATRIZ lists each pattern of the URLconf (as ``get_resolver()`` spells it) with the answer a
GET gets from each role; POSTS does the same for the pages that accept a POST, and checks that
a refused POST writes nothing and an accepted one does. ``test_the_matrix_lists_every_url_pattern``
fails when a pattern is added to (or removed from) the project without updating the matrix.

The expected answers read:

- a status code (200, 403, 404, 405);
- ``LOGIN``: 302 to ``/cuentas/login/?next=<the page>``;
- ``ADMIN``: 302 to ``/admin/login/?next=<the page>`` (the admin's own login page, for
  anyone who is not staff);
- ``"→ <url>"``: 302 to exactly that address (``{url}`` stands for the page itself);
- ``HECHO`` (POSTS only): 302, not to "log in first", and the write happened (for the logout:
  the session has no user any more).
"""

import datetime
from urllib.parse import quote

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cases.models import Actividad, Caso, Importacion, Secuencia
from customers.models import Cliente
from tests.cases.datos import datos_caso, datos_de, datos_post, fila_de
from tests.customers import datos as datos_clientes
from tests.factories import (
    ActividadFactory,
    ArticuloFactory,
    CasoFactory,
    ClaseFactory,
    ClienteFactory,
    ContactoFactory,
    DepartamentoFactory,
    EjecutorFactory,
    GrupoFactory,
)

pytestmark = pytest.mark.django_db

LOGIN = "login"
ADMIN = "admin-login"
HECHO = "hecho"
A_ADMIN = "→ /admin/"

ROLES = ("anonimo", "sin_grupo", "soporte", "coordinador", "staff")

# fmt: off
MATRIZ = [
    # ruta                                anónimo  sin grupo  Soporte  Coordinador  staff
    ("",                                  LOGIN,   403,       200,     200,         200),
    ("cuentas/login/",                    200,     200,       200,     200,         200),
    # Django's LogoutView only accepts POST.
    ("cuentas/logout/",                   LOGIN,   405,       405,     405,         405),
    ("cuentas/password_change/",          LOGIN,   200,       200,     200,         200),
    ("cuentas/password_change/done/",     LOGIN,   200,       200,     200,         200),
    ("casos/",                            LOGIN,   403,       200,     200,         200),
    ("actividades/",                      LOGIN,   403,       200,     200,         200),
    # POST only; the permission is checked before the method.
    ("casos/seguimiento/",                LOGIN,   403,       403,     405,         405),
    ("casos/exportar/",                   LOGIN,   403,       403,     200,         200),
    ("casos/proximos/",                   LOGIN,   403,       200,     200,         200),
    ("casos/horas/",                      LOGIN,   403,       403,     200,         200),
    ("casos/graficos/",                   LOGIN,   403,       403,     200,         200),
    ("casos/importar/",                   LOGIN,   403,       403,     200,         200),
    ("casos/importar/plantilla/",         LOGIN,   403,       403,     200,         200),
    ("casos/importar/<int:pk>/",          LOGIN,   403,       403,     200,         200),
    ("casos/importar/<int:pk>/errores/",  LOGIN,   403,       403,     200,         200),
    # Polled while a file is processed; once it is over, it tells htmx to reload the page.
    ("casos/importar/<int:pk>/progreso/", LOGIN,   403,       403,     200,         200),
    ("casos/rapido/",                     LOGIN,   403,       200,     200,         200),
    ("casos/nuevo/",                      LOGIN,   403,       200,     200,         200),
    ("casos/<int:pk>/",                   LOGIN,   403,       200,     200,         200),
    ("casos/<int:pk>/editar/",            LOGIN,   403,       200,     200,         200),
    ("casos/<int:pk>/historial/",         LOGIN,   403,       200,     200,         200),
    ("casos/<int:pk>/eliminar/",          LOGIN,   403,       403,     200,         200),
    ("clientes/",                         LOGIN,   403,       200,     200,         200),
    ("clientes/nuevo/",                   LOGIN,   403,       403,     200,         200),
    ("clientes/<int:pk>/",                LOGIN,   403,       200,     200,         200),
    ("clientes/<int:pk>/editar/",         LOGIN,   403,       403,     200,         200),
    ("clientes/<int:pk>/eliminar/",       LOGIN,   403,       403,     200,         200),
    ("buscar/<slug:tabla>/",              LOGIN,   403,       200,     200,         200),
    ("salud/",                            200,     200,       200,     200,         200),
    # The admin site: only staff gets in; everyone else is sent to the admin's own login.
    ("admin/",                            ADMIN,   ADMIN,     ADMIN,   ADMIN,       200),
    ("admin/login/",                      200,     200,       200,     200,         "→ /admin/"),
    # POST only; a logged-in user who is not staff is sent to the admin index (then login).
    ("admin/logout/",                     ADMIN,   A_ADMIN,   A_ADMIN, A_ADMIN,     405),
    ("admin/password_change/",            ADMIN,   ADMIN,     ADMIN,   ADMIN,       200),
    ("admin/password_change/done/",       ADMIN,   ADMIN,     ADMIN,   ADMIN,       200),
    # Without ?app_label=…&model_name=…&field_name=… the autocomplete refuses.
    ("admin/autocomplete/",               ADMIN,   ADMIN,     ADMIN,   ADMIN,       403),
    ("admin/jsi18n/",                     ADMIN,   ADMIN,     ADMIN,   ADMIN,       200),
    # "View on site" of a case: the case's own page.
    ("admin/r/<path:content_type_id>/<path:object_id>/",
                                          ADMIN,   ADMIN,     ADMIN,   ADMIN,       "→ {caso}"),
    ("admin/auth/user/<id>/password/",    LOGIN,   ADMIN,     ADMIN,   ADMIN,       200),
    ("admin/^(?P<app_label>auth|acceso|customers|cases)/$",
                                          ADMIN,   ADMIN,     ADMIN,   ADMIN,       200),
    ("admin/(?P<url>.*)$",                ADMIN,   ADMIN,     ADMIN,   ADMIN,       404),
]

# Every ModelAdmin: (app/model, answer to staff on add/, on <id>/delete/, simple-history
# detail page). Read-only admins (the axes logs under acceso/, the document counter) refuse add
# and delete.
ADMIN_MODELOS = [
    ("auth/group",              200, 200, False),
    ("auth/user",               200, 200, False),
    ("acceso/intentofallido",   403, 200, False),
    ("acceso/registrodeacceso", 403, 200, False),
    ("acceso/fallodeacceso",    403, 200, False),
    ("customers/cliente",       200, 200, True),
    ("customers/contacto",      200, 200, True),
    ("cases/articulo",          200, 200, False),
    ("cases/clase",             200, 200, False),
    ("cases/grupo",             200, 200, False),
    ("cases/departamento",      200, 200, False),
    ("cases/ejecutor",          200, 200, False),
    ("cases/caso",              200, 200, True),
    ("cases/actividad",         403, 200, True),  # read-only: edited in its case
    ("cases/secuencia",         403, 403, False),
]
# fmt: on


def filas_de_admin(modelo: str, alta, baja, historial_simple: bool) -> list[tuple]:
    """The matrix rows of one ModelAdmin's pages.

    Anonymous users meet LoginRequiredMiddleware first (the project's login page); logged-in
    users who are not staff, the admin's own login page.
    """
    base = f"admin/{modelo}/"
    fuera = (LOGIN, ADMIN, ADMIN, ADMIN)
    filas = [
        (base, *fuera, 200),
        (base + "add/", *fuera, alta),
        (base + "<path:object_id>/history/", *fuera, 200),
        (base + "<path:object_id>/delete/", *fuera, baja),
        (base + "<path:object_id>/change/", *fuera, 200),
        (base + "<path:object_id>/", *fuera, "→ {url}change/"),
    ]
    if historial_simple:
        filas.append((base + "^([^/]+)/history/([^/]+)/$", *fuera, 200))
    return filas


MATRIZ_COMPLETA = MATRIZ + [fila for m in ADMIN_MODELOS for fila in filas_de_admin(*m)]

# fmt: off
POSTS = [
    # ruta                              anónimo  sin grupo  Soporte  Coordinador  staff superuser
    ("casos/nuevo/",                    LOGIN,   403,       HECHO,   HECHO,       HECHO),
    ("casos/<int:pk>/editar/",          LOGIN,   403,       HECHO,   HECHO,       HECHO),
    ("casos/<int:pk>/eliminar/",        LOGIN,   403,       403,     HECHO,       HECHO),
    ("casos/seguimiento/",              LOGIN,   403,       403,     HECHO,       HECHO),
    ("casos/rapido/",                   LOGIN,   403,       HECHO,   HECHO,       HECHO),
    ("clientes/nuevo/",                 LOGIN,   403,       403,     HECHO,       HECHO),
    ("clientes/<int:pk>/editar/",       LOGIN,   403,       403,     HECHO,       HECHO),
    ("clientes/<int:pk>/eliminar/",     LOGIN,   403,       403,     HECHO,       HECHO),
    ("cuentas/logout/",                 LOGIN,   HECHO,     HECHO,   HECHO,       HECHO),
]
# fmt: on


def rutas_del_proyecto(patrones=None, prefijo="") -> list[str]:
    """Every URL pattern of the project, includes followed, as one route string each."""
    if patrones is None:
        patrones = get_resolver().url_patterns
    rutas = []
    for patron in patrones:
        if isinstance(patron, URLResolver):
            rutas += rutas_del_proyecto(patron.url_patterns, prefijo + str(patron.pattern))
        else:
            rutas.append(prefijo + str(patron.pattern))
    return rutas


class Objetos:
    """Real rows to fill the URLs' arguments with: a case with an activity, a client (with a
    contact and no cases, so that it can be deleted), one row of every admin table."""

    def __init__(self, staff):
        self.ejecutor = EjecutorFactory()
        self.caso = CasoFactory(ejecutor=self.ejecutor, fecha_inicio=datetime.date(2026, 3, 1))
        self.actividad = ActividadFactory(caso=self.caso, ejecutor=self.ejecutor)
        self.cliente = ClienteFactory()
        self.contacto = ContactoFactory(cliente=self.cliente)
        self.importacion = Importacion.objects.create(
            usuario=staff,
            nombre="casos.csv",
            archivo=b"Documento,Asunto,Cliente,Inicio\r\n",
            estado=Importacion.Estado.VALIDADA,
        )
        acceso = {"user_agent": "pytest", "ip_address": "127.0.0.1", "username": "x"}
        defectos = {"http_accept": "*/*", "path_info": "/cuentas/login/"}
        registro = AccessLog.objects.get_or_create(**acceso, defaults=defectos)[0]
        self.admin = {
            "auth/group": Group.objects.get(name="Soporte"),
            "auth/user": staff,
            "acceso/intentofallido": AccessAttempt.objects.get_or_create(
                **acceso,
                defaults={**defectos, "get_data": "", "post_data": "", "failures_since_start": 1},
            )[0],
            "acceso/registrodeacceso": registro,
            "acceso/fallodeacceso": AccessFailureLog.objects.get_or_create(
                **acceso, defaults=defectos
            )[0],
            "customers/cliente": self.cliente,
            "customers/contacto": self.contacto,
            "cases/articulo": ArticuloFactory(),
            "cases/clase": ClaseFactory(),
            "cases/grupo": GrupoFactory(),
            "cases/departamento": DepartamentoFactory(),
            "cases/ejecutor": self.ejecutor,
            "cases/caso": self.caso,
            "cases/actividad": self.actividad,
            "cases/secuencia": Secuencia.objects.get(nombre="caso"),
        }
        self.staff = staff

    def url(self, ruta: str) -> str:
        """The address of ``ruta`` with its arguments filled with real rows."""
        url = "/" + ruta
        pk = self.caso.pk if ruta.startswith("casos/") else self.cliente.pk
        if ruta.startswith("casos/importar/"):
            pk = self.importacion.pk
        url = url.replace("<int:pk>", str(pk)).replace("<slug:tabla>", "clientes")
        uid = urlsafe_base64_encode(force_bytes(self.staff.pk))
        url = url.replace("<uidb64>/<token>", f"{uid}/enlace-vencido")
        tipo = ContentType.objects.get_for_model(Caso)
        url = url.replace("<path:content_type_id>/<path:object_id>", f"{tipo.pk}/{self.caso.pk}")
        url = url.replace("^(?P<app_label>auth|acceso|customers|cases)/$", "cases/")
        url = url.replace("(?P<url>.*)$", "no-existe/")
        url = url.replace("auth/user/<id>/", f"auth/user/{self.staff.pk}/")
        for modelo, obj in self.admin.items():
            if url.startswith(f"/admin/{modelo}/"):
                url = url.replace("<path:object_id>", str(obj.pk))
                if "^([^/]+)/history/([^/]+)/$" in url:
                    registro = obj.history.order_by("-history_id").first()
                    url = url.replace(
                        "^([^/]+)/history/([^/]+)/$", f"{obj.pk}/history/{registro.history_id}/"
                    )
        assert "<" not in url and "^" not in url, f"argumentos sin llenar en {url}"
        return url


@pytest.fixture
def usuarios(soporte, coordinador, sin_grupo, staff):
    return {
        "anonimo": None,
        "sin_grupo": sin_grupo,
        "soporte": soporte,
        "coordinador": coordinador,
        "staff": staff,
    }


def cliente_http(usuario) -> Client:
    """A test client that answers a 500 instead of raising, logged in as ``usuario``."""
    http = Client(raise_request_exception=False)
    if usuario is not None:
        http.force_login(usuario)
    return http


def cumple(respuesta, esperado, url: str, objetos: Objetos) -> bool:
    """Whether ``respuesta`` is the answer the matrix expects (HECHO is checked by the caller)."""
    destino = respuesta.get("Location", "")
    if esperado == LOGIN:
        return respuesta.status_code == 302 and destino == f"/cuentas/login/?next={quote(url)}"
    if esperado == ADMIN:
        return respuesta.status_code == 302 and destino == f"/admin/login/?next={quote(url)}"
    if esperado == HECHO:
        # Logging out lands on the login page, but never as a "log in first" (?next=).
        return respuesta.status_code == 302 and "/login/?next=" not in destino
    if isinstance(esperado, str) and esperado.startswith("→ "):
        caso = objetos.caso.get_absolute_url()
        esperado_destino = esperado[2:].format(url=url, caso=caso)
        # The admin's "view on site" answers with an absolute address.
        return respuesta.status_code == 302 and destino.removeprefix("http://testserver") == (
            esperado_destino
        )
    return respuesta.status_code == esperado


def describir(respuesta) -> str:
    destino = respuesta.get("Location")
    return f"{respuesta.status_code}" + (f" → {destino}" if destino else "")


def test_the_matrix_lists_every_url_pattern():
    rutas = rutas_del_proyecto()
    en_matriz = [fila[0] for fila in MATRIZ_COMPLETA]

    assert sorted(set(rutas) - set(en_matriz)) == [], "patterns missing from MATRIZ"
    assert sorted(set(en_matriz) - set(rutas)) == [], "MATRIZ rows with no URL pattern"
    assert len(en_matriz) == len(set(en_matriz)), "a pattern listed twice"
    assert {fila[0] for fila in POSTS} <= set(rutas)
    for fila in MATRIZ_COMPLETA + POSTS:
        assert len(fila) == 1 + len(ROLES), fila


@pytest.mark.parametrize("rol", ROLES)
def test_every_page_answers_each_role_as_the_matrix_says(usuarios, staff, rol):
    objetos = Objetos(staff)
    http = cliente_http(usuarios[rol])
    columna = 1 + ROLES.index(rol)
    distintos, errores = [], []

    for fila in MATRIZ_COMPLETA:
        url = objetos.url(fila[0])
        respuesta = http.get(url)
        if respuesta.status_code >= 500:
            errores.append(f"GET {url}: {respuesta.status_code}")
        if not cumple(respuesta, fila[columna], url, objetos):
            distintos.append(f"GET {url}: expected {fila[columna]}, got {describir(respuesta)}")

    assert errores == [], "server errors in the walk"
    assert distintos == []


def cuerpo_post(ruta: str, objetos: Objetos) -> dict:
    """A valid POST body for each page of POSTS, built on ``objetos``."""
    caso, cliente = objetos.caso, objetos.cliente
    cuerpos = {
        "casos/nuevo/": lambda: datos_post(datos_caso(cliente, asunto="Creado por la matriz"), []),
        "casos/<int:pk>/editar/": lambda: datos_post(
            datos_de(caso, asunto="Editado por la matriz"), [fila_de(objetos.actividad)]
        ),
        "casos/<int:pk>/eliminar/": dict,
        "casos/seguimiento/": lambda: {"casos": [caso.pk], "etapa": "retrasada", "next": "/casos/"},
        "casos/rapido/": lambda: {
            "fecha": "2026-03-02",
            "prioridad": "media",
            "nivel": "0",
            "cliente": cliente.pk,
            "asunto": "Rápido de la matriz",
        },
        "clientes/nuevo/": lambda: datos_clientes.datos_post(datos_clientes.datos_cliente(), []),
        "clientes/<int:pk>/editar/": lambda: datos_clientes.datos_post(
            datos_clientes.datos_de(cliente, nombre="Renombrado por la matriz"), []
        ),
        "clientes/<int:pk>/eliminar/": dict,
        "cuentas/logout/": dict,
    }
    return cuerpos[ruta]()


def estado(http: Client) -> tuple:
    """What a POST of the matrix may change: cases, activities, clients, the session's user."""
    return (
        list(Caso.objects.order_by("pk").values_list("pk", "version", "asunto", "etapa")),
        list(Cliente.objects.order_by("pk").values_list("pk", "version", "nombre")),
        Actividad.objects.count(),
        http.session.get("_auth_user_id"),
    )


@pytest.mark.parametrize("rol", ROLES)
def test_every_post_answers_each_role_as_the_matrix_says(usuarios, staff, rol):
    columna = 1 + ROLES.index(rol)
    distintos, errores = [], []

    for fila in POSTS:
        # Fresh rows and a fresh session for each POST: a delete or a logout must not
        # change what the next one sees.
        objetos = Objetos(staff)
        http = cliente_http(usuarios[rol])
        url = objetos.url(fila[0])
        antes = estado(http)

        respuesta = http.post(url, cuerpo_post(fila[0], objetos))

        despues = estado(http)
        if respuesta.status_code >= 500:
            errores.append(f"POST {url}: {respuesta.status_code}")
        if not cumple(respuesta, fila[columna], url, objetos):
            distintos.append(f"POST {url}: expected {fila[columna]}, got {describir(respuesta)}")
        elif fila[columna] == HECHO and despues == antes:
            distintos.append(f"POST {url}: answered {describir(respuesta)} but wrote nothing")
        elif fila[columna] != HECHO and despues != antes:
            distintos.append(f"POST {url}: refused with {describir(respuesta)} but wrote")

    assert errores == [], "server errors in the walk"
    assert distintos == []
