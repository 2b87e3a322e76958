"""The lupa search assistant: accent-insensitive lookups over the big tables.

``/buscar/<tabla>/?q=`` answers with the first 20 matches, most relevant first: an exact code,
then names that start with the text, then names with a word that starts with it, then any
other match. Inactive and suspended rows are left out unless ``inactivos=1``. ``id=<pk>``
answers that one row: static/js/caso.js reads a chosen ejecutor's grupo and departamento,
and whether a chosen client is interno, from the JSON (``formato=json``).
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import View

from customers.models import Cliente, Contacto
from efactory.busqueda import Normalizado, normalizar
from efactory.claves import es_pk

from .models import Articulo, Ejecutor

LIMITE = 20


@dataclass
class Tabla:
    modelo: type
    campos: list[str]
    activo: Q
    titulo: str
    codigo: str | None = None
    detalle: list[str] = field(default_factory=list)
    relacionados: list[str] = field(default_factory=list)
    # More values of each row in the JSON answer: key → attribute.
    datos: dict[str, str] = field(default_factory=dict)

    @property
    def permiso(self) -> str:
        meta = self.modelo._meta
        return f"{meta.app_label}.view_{meta.model_name}"

    def es_activo(self, obj) -> bool:
        return obj.esta_activo()


TABLAS = {
    "clientes": Tabla(
        Cliente,
        campos=["nombre", "codigo", "email", "rif"],
        activo=Cliente.ACTIVOS,
        titulo=_("Buscar cliente"),
        codigo="codigo",
        detalle=["rif", "email"],
        datos={"interno": "interno"},
    ),
    "contactos": Tabla(
        Contacto,
        campos=["nombre", "email", "cargo"],
        activo=Contacto.ACTIVOS,
        titulo=_("Buscar contacto"),
        detalle=["cargo", "email"],
        relacionados=["cliente"],
    ),
    "ejecutores": Tabla(
        Ejecutor,
        campos=["nombre", "email"],
        activo=Ejecutor.ACTIVOS,
        titulo=_("Buscar ejecutor"),
        detalle=["email"],
        datos={"grupo": "grupo_id", "departamento": "departamento_id"},
    ),
    "articulos": Tabla(
        Articulo,
        campos=["nombre", "codigo"],
        activo=Articulo.ACTIVOS,
        titulo=_("Buscar artículo"),
        codigo="codigo",
    ),
}


def buscar(
    tabla: Tabla, consulta: str, *, inactivos: bool = False, cliente=None, pk=None
) -> QuerySet:
    """The rows of ``tabla`` matching ``consulta``, most relevant first (at most LIMITE).

    With ``pk`` (a primary key as text), only that row, if it matches the rest.
    """
    qs = tabla.modelo._default_manager.all()
    if pk is not None:
        qs = qs.filter(pk=int(pk)) if es_pk(pk) else qs.none()
    if tabla.relacionados:
        qs = qs.select_related(*tabla.relacionados)
    if tabla.modelo is Contacto:
        # Contacts only make sense for a client: without a valid one, nothing.
        # es_pk, not str.isdigit(): "²" is a digit to Python but not a number to int().
        if not (cliente and es_pk(cliente)):
            return qs.none()
        qs = qs.filter(cliente_id=int(cliente))
    if not inactivos:
        qs = qs.filter(tabla.activo)
    # PostgreSQL refuses NUL in a text parameter (a DataError, so a 500): drop it.
    texto = normalizar(consulta[:100]).replace("\x00", "").strip()
    if not texto:
        return qs.order_by("nombre", "pk")[:LIMITE]
    alias = {f"{campo}_n": Normalizado(campo) for campo in tabla.campos}
    qs = qs.alias(**alias)
    condicion = Q()
    for campo in tabla.campos:
        condicion |= Q(**{f"{campo}_n__contains": texto})
    relevancia = [
        When(nombre_n__startswith=texto, then=Value(1)),
        When(nombre_n__contains=" " + texto, then=Value(2)),
    ]
    if tabla.codigo:
        relevancia.insert(0, When(**{f"{tabla.codigo}_n": texto}, then=Value(0)))
    return (
        qs.filter(condicion)
        .alias(relevancia=Case(*relevancia, default=Value(3), output_field=IntegerField()))
        .order_by("relevancia", "nombre", "pk")[:LIMITE]
    )


class BuscarView(View):
    """GET /buscar/<tabla>/?q=…: the lupa's results, as an HTML fragment (htmx) or JSON."""

    http_method_names = ["get"]

    def get(self, request, tabla):
        definicion = TABLAS.get(tabla)
        if definicion is None:
            raise Http404(_("No existe esa tabla de búsqueda."))
        if not request.user.has_perm(definicion.permiso):
            raise PermissionDenied
        filas = list(
            buscar(
                definicion,
                request.GET.get("q", ""),
                inactivos=request.GET.get("inactivos") in ("1", "true", "on"),
                cliente=request.GET.get("cliente"),
                pk=request.GET.get("id"),
            )
        )
        resultados = [
            {
                "id": obj.pk,
                "texto": str(obj.nombre),
                "codigo": getattr(obj, definicion.codigo) if definicion.codigo else "",
                "detalle": " · ".join(
                    str(getattr(obj, campo)) for campo in definicion.detalle if getattr(obj, campo)
                ),
                "activo": definicion.es_activo(obj),
                "estatus": obj.get_estatus_display() if hasattr(obj, "estatus") else "",
            }
            for obj in filas
        ]
        if request.GET.get("formato") == "json":
            for resultado, obj in zip(resultados, filas, strict=True):
                resultado.update(
                    {clave: getattr(obj, campo) for clave, campo in definicion.datos.items()}
                )
            return JsonResponse({"resultados": resultados})
        return render(
            request,
            "includes/_lupa_resultados.html",
            {
                "resultados": resultados,
                "tabla": tabla,
                "q": request.GET.get("q", ""),
                # Contacts have no code: no empty Código column.
                "con_codigo": bool(definicion.codigo),
            },
        )
