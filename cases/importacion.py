"""Importar casos: the files the export writes, edited in a spreadsheet, brought back.

The design of the validation path (SPEC "Import"): every row of the file goes through the
editor's own rules, not a copy of them. A ``Casos`` row becomes the data of a
:class:`~cases.forms.CasoForm` (the stored values of the case, overwritten by the file's
columns) and the case's activities (its stored rows, then the ``Actividades`` rows of the same
Documento: a row with the date, start and ejecutor of a stored one changes it, any other is
added) the data of its :class:`~cases.formsets.BaseActividadFormSet`. The forms validate as
they do in the editor: required fields, lengths, ranges, the contact of the client, the
date window, overlaps within the case and with other cases. What a valid case writes
(:class:`cases.services.Escritura`: the forms' instances, derived fields applied) is written
a chunk at a time by :func:`cases.services.guardar_importados`, with the version check.

What makes 10,000 cases fast is only where the rows come from: the file's rows are read in
chunks of :data:`LOTE` cases, and per chunk one query per lookup table resolves the names,
one reads the active rows among them (CasoForm.ACTIVOS, the editor's rule), one the stored
cases and one their activities; the forms validate against those rows
(CasoForm.validar_en_memoria, the formset's ``filas``/``catalogo``/``agenda``) instead of a
query per field. :class:`Agenda` holds the other cases' rows of the chunk's ejecutores and
days plus the rows the file itself adds, so two cases of one file cannot book one person
twice either.

Nothing is written while validating. :meth:`Importador.importar` validates again and writes
chunk by chunk inside one transaction; the first error stops the writing, the rest is still
validated so that every error is reported, and the transaction is rolled back.

On PostgreSQL a big file is validated by worker processes, one per core (:class:`EnParalelo`,
efactory/paralelo.py), with the same answer as in one process; importing, this process writes
what they validated.
"""

import copy
import datetime
import functools
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import Q
from django.forms.models import model_to_dict
from django.utils import formats
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from customers.models import Cliente, Contacto
from efactory import hojas, paralelo, versiones
from efactory.busqueda import Normalizado
from efactory.busqueda import normalizar as _normalizar
from efactory.claves import es_pk
from efactory.formsets import CamposDeLaFila, algun_cambio
from efactory.hojas import ArchivoInvalido

from .exports import COLUMNAS_ACTIVIDADES, COLUMNAS_CASOS, documento
from .forms import ActividadForm, CasoForm
from .formsets import actividad_formset_class, mensaje_cruce, opciones_de_filas
from .models import (
    Actividad,
    Articulo,
    Caso,
    Clase,
    Complejidad,
    Departamento,
    Ejecutor,
    Etapa,
    Grupo,
    Origen,
    Prioridad,
    Secuencia,
)
from .services import ActividadSolapada, Escritura, guardar_importados

HOJA_CASOS, HOJA_ACTIVIDADES = "Casos", "Actividades"
# The same names come back on thousands of rows: normalize each text once.
normalizar = functools.lru_cache(maxsize=100_000)(_normalizar)
MAX_FILAS_WEB = 20_000  # cases; the Actividades sheet may have five times as many rows
ACTIVIDADES_POR_CASO = 5
MAX_BYTES_WEB = 10 * 1024 * 1024
LOTE = 250  # cases validated together: one query per lookup table per chunk (250: ≤ 200 MB)
# A validation of at least this many cases runs in worker processes where it can
# (efactory/paralelo.py): below it, starting them costs more than they save.
MIN_CASOS_EN_PARALELO = 4 * LOTE
# A file at least this big has about that many cases (an exported case takes some 330 bytes
# of XLSX with its activities, more in CSV): its workers start while it is read.
MIN_BYTES_EN_PARALELO = 256 * 1024
PREFIJO = "actividades"
MOTIVO = "Importación"  # the Historial's reason of every record an import writes

# Casos: column → field of CasoForm (Cliente, Código cliente and Contacto are resolved apart).
CAMPOS = {
    "Asunto": "asunto",
    "Prioridad": "prioridad",
    "Cliente": "cliente",
    "Contacto": "contacto",
    "Coord.": "coordinador",
    "Ejecutor": "ejecutor",
    "Inicio": "fecha_inicio",
    "Cierre": "fecha_cierre",
    "Etapa": "etapa",
    "Avance (%)": "avance",
    "Artículo": "articulo",
    "Clase": "clase",
    "Grupo": "grupo",
    "Depto.": "departamento",
    "Origen": "origen",
    "Caso interno": "interno",
    "Comentario": "comentario",
    "Estimado": "estimado",
    "Complejidad": "complejidad",
    "Nivel": "nivel",
    "Facturable": "facturable",
    "Revisor": "revisor",
    "Comentario de la solución": "comentario_solucion",
    "Versión": "version",
}
COLUMNA_DE_CAMPO = {campo: columna for columna, campo in CAMPOS.items()}
OBLIGATORIAS_CASOS = ["Documento", "Asunto", "Inicio"]
CAMPOS_ACTIVIDAD = {
    "Fecha": "fecha",
    "H/Inicio": "hora_inicio",
    "H/Fin": "hora_fin",
    "Actividad": "descripcion",
    "Ejecutor": "ejecutor",
    "Fact.": "facturable",
    "Artículo": "articulo",
}
COLUMNA_DE_ACTIVIDAD = {campo: columna for columna, campo in CAMPOS_ACTIVIDAD.items()}
OBLIGATORIAS_ACTIVIDADES = ["Documento", "Fecha", "H/Inicio", "H/Fin", "Actividad"]
OPCIONES = {
    "Prioridad": Prioridad,
    "Etapa": Etapa,
    "Origen": Origen,
    "Complejidad": Complejidad,
}
BOOLEANOS = {"Caso interno", "Facturable"}
FECHAS = {"Inicio", "Cierre"}
ENTEROS = {"Avance (%)", "Nivel", "Versión"}
# Lookups named in the file: column → (field, how rows of it are found by text)
EJECUTORES = {"Coord.": "coordinador", "Ejecutor": "ejecutor", "Revisor": "revisor"}
CATALOGOS = {"Artículo": ("articulo", Articulo), "Clase": ("clase", Clase)}
CATALOGOS |= {"Grupo": ("grupo", Grupo), "Depto.": ("departamento", Departamento)}


@dataclass(frozen=True)
class Error:
    hoja: str
    fila: int
    columna: str
    mensaje: str

    def texto(self, con_hoja: bool = True) -> str:
        """``Casos · Fila 7 · Avance (%): mensaje`` (the sheet only for an XLSX)."""
        lugar = _("Fila %(fila)s") % {"fila": self.fila} if self.fila else _("Archivo")
        prefijo = f"{self.hoja} · {lugar}" if con_hoja and self.hoja else lugar
        return (
            f"{prefijo} · {self.columna}: {self.mensaje}"
            if self.columna
            else (f"{prefijo}: {self.mensaje}")
        )


@dataclass
class Resultado:
    creados: int = 0
    actualizados: int = 0
    sin_cambios: int = 0
    filas_casos: int = 0
    filas_actividades: int = 0
    errores: list[Error] = field(default_factory=list)
    casos: list[int] = field(default_factory=list)  # ids of the cases created or updated
    segundos: float = 0.0


@dataclass(slots=True)
class FilaActividad:
    """One row of the Actividades sheet, kept compactly: the importer holds every row of
    the sheet until its case's chunk is read (a dict per row was 900 bytes of the 1 KB a
    row cost). ``columnas`` is the one tuple of the sheet's column names, shared by its
    rows; ``celdas`` the row's raw cells in that order."""

    fila: int
    columnas: tuple[str, ...]
    celdas: tuple

    @property
    def valores(self) -> dict:
        """column → raw cell."""
        return dict(zip(self.columnas, self.celdas, strict=True))


@dataclass
class FilaCaso:
    fila: int  # 0: the case is not in the Casos sheet (only its activities are)
    valores: dict  # column → raw cell
    numero: int | None = None
    caso: Caso | None = None
    actividades: list[FilaActividad] = field(default_factory=list)


class Elegibles:
    """The rows a lookup field of one case accepts: those its queryset would find.

    ``activos`` are the pks the database returned for ACTIVOS' condition; ``actual`` the
    case's stored value, which stays valid even when inactive (activos_o_actual).
    """

    def __init__(self, por_pk: dict, activos: set | None, actual=None):
        self.por_pk, self.activos, self.actual = por_pk, activos, actual

    def buscar(self, valor):
        if not es_pk(valor):
            return None
        pk = int(valor)
        obj = self.por_pk.get(pk)
        if obj is None or not (self.activos is None or pk in self.activos or pk == self.actual):
            return None
        return obj


class Catalogo:
    """Ejecutores and artículos, loaded once per import, found by name, e-mail or code."""

    def __init__(self):
        self.ejecutores = list(Ejecutor.objects.order_by("nombre", "pk"))
        self.articulos = list(Articulo.objects.order_by("nombre", "pk"))
        self.por_pk = {Ejecutor: {e.pk: e for e in self.ejecutores}}
        self.por_pk[Articulo] = {a.pk: a for a in self.articulos}
        self.nombres = {Ejecutor: defaultdict(list), Articulo: defaultdict(list)}
        for e in self.ejecutores:
            self.nombres[Ejecutor][normalizar(e.nombre)].append(e)
            if e.email:
                self.nombres[Ejecutor][normalizar(e.email)].append(e)
        for modelo in (Clase, Grupo, Departamento):
            self.por_pk[modelo] = {o.pk: o for o in modelo.objects.all()}
            self.nombres[modelo] = defaultdict(list)
        for modelo in (Articulo, Clase, Grupo, Departamento):
            for obj in self.por_pk[modelo].values():
                self.nombres[modelo][normalizar(obj.nombre)].append(obj)
                if normalizar(obj.codigo) != normalizar(obj.nombre):
                    self.nombres[modelo][normalizar(obj.codigo)].append(obj)
        self._opciones = {}
        self.ejecutores_activos = {e.pk for e in self.ejecutores if e.esta_activo()}
        self.articulos_activos = {a.pk for a in self.articulos if a.esta_activo()}
        # The forms of an import validate one case at a time, so their fields are shared
        # (a copy each cost a fifth of the time): CasoForm's, and the activity rows'.
        self.campos_del_caso = _campos_compartidos(CasoForm)
        self.campos_de_fila = _campos_compartidos(ActividadForm)

    def relacionar(self, objetos, *campos: str):
        """Attach this catalog's ejecutores and artículos to ``objetos``' foreign keys
        ``campos``, as select_related would (one not in the catalog, added since it was
        loaded, stays to be read when asked for)."""
        for campo in campos:
            relacion = objetos[0]._meta.get_field(campo) if objetos else None
            por_pk = self.por_pk[relacion.related_model] if relacion else {}
            for obj in objetos:
                relacionado = por_pk.get(getattr(obj, relacion.attname))
                if relacionado is not None:
                    relacion.set_cached_value(obj, relacionado)

    def opciones(self, usados_ej: set, usados_art: set):
        """The formset's row choices for rows that use these (opciones_de_filas), cached.

        The choices are the active rows plus the used ones: only the used rows that are
        not active tell two cases' choices apart (almost always none), so the cache is
        keyed by those. By every used set, it missed for nearly every case and built two
        lists of the whole tables each time: a cost that grew with 400 ejecutores."""
        clave = (
            frozenset(usados_ej - self.ejecutores_activos),
            frozenset(usados_art - self.articulos_activos),
        )
        if clave not in self._opciones:
            self._opciones[clave] = opciones_de_filas(self.ejecutores, self.articulos, *clave)
        return self._opciones[clave]


class Agenda:
    """The other cases' activities by (ejecutor, day), for the formset's overlap rule.

    Per chunk, one query reads the stored rows of the ejecutores and days the chunk's
    activities use; the rows the file adds or changes are added as each case validates, so a
    row is checked against the database and against the file's earlier cases.
    """

    def __init__(self):
        self.guardadas = defaultdict(list)  # (ejecutor, fecha) → [(inicio, fin, caso_id)]
        self.numeros = {}  # caso_id → numero
        self.del_archivo = defaultdict(list)  # (ejecutor, fecha) → [(inicio, fin, numero, clave)]

    def cargar(self, pares: set, numeros_del_lote: dict):
        """Read the stored rows of these (ejecutor, day) pairs, with their cases' document
        numbers: one query."""
        self.guardadas = defaultdict(list)
        self.numeros = dict(numeros_del_lote)
        if not pares:
            return
        for ejecutor, fecha, inicio, fin, caso_id, numero in self._filas(pares):
            self.guardadas[(ejecutor, fecha)].append((inicio, fin, caso_id))
            self.numeros.setdefault(caso_id, numero)

    @staticmethod
    def _filas(pares: set):
        """(ejecutor, fecha, inicio, fin, caso_id, numero) of the stored rows of ``pares``,
        by start time. Each ejecutor's own days (actividad_ejecutor_fecha_idx), not every
        day for every ejecutor: a chunk's days span years, and 40 ejecutores × those days
        read most of the table (84 s → see README for 10,000 cases)."""
        if connection.vendor == "postgresql":
            # The pairs as two arrays, each looked up in the index: two parameters, not
            # one per day (a query of 800 placeholders cost more to write than to run).
            tabla, casos = Actividad._meta.db_table, Caso._meta.db_table
            ejecutores, fechas = zip(*pares, strict=True)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT a.ejecutor_id, a.fecha, a.hora_inicio, a.hora_fin, a.caso_id, "
                    f"c.numero FROM unnest(%s::bigint[], %s::date[]) AS p(ejecutor, fecha) "
                    f"CROSS JOIN LATERAL (SELECT * FROM {tabla} WHERE ejecutor_id = p.ejecutor "
                    f"AND fecha = p.fecha) AS a JOIN {casos} AS c ON c.id = a.caso_id "
                    "ORDER BY a.hora_inicio",
                    [list(ejecutores), list(fechas)],
                )
                return cursor.fetchall()
        dias = defaultdict(set)
        for ejecutor, fecha in pares:
            dias[ejecutor].add(fecha)
        condicion = Q()
        for ejecutor, fechas in dias.items():
            condicion |= Q(ejecutor_id=ejecutor, fecha__in=fechas)
        filas = (
            Actividad.objects.filter(condicion)
            .values_list(
                "ejecutor_id", "fecha", "hora_inicio", "hora_fin", "caso_id", "caso__numero"
            )
            .order_by("hora_inicio")
        )
        return [fila for fila in filas if (fila[0], fila[1]) in pares]

    def otras_filas(self, caso, ejecutores, fechas) -> dict:
        por_dia = defaultdict(list)
        clave = id(caso)
        for par in {(e, f) for e in ejecutores for f in fechas}:
            for inicio, fin, caso_id in self.guardadas.get(par, ()):
                if caso_id != caso.pk:
                    por_dia[par].append((inicio, fin, self.numeros.get(caso_id)))
            for inicio, fin, numero, otra in self.del_archivo.get(par, ()):
                if otra != clave:
                    por_dia[par].append((inicio, fin, numero))
        return por_dia

    def anotar(self, caso, formset) -> list:
        """Keep the rows of a case that validated: the file's next cases must respect them.
        Returns them: [((ejecutor_id, fecha), inicio, fin, form)]."""
        anotadas = []
        for form in formset.filas_vivas():
            datos = form.cleaned_data
            if form.instance.pk is None or form.has_changed():
                par = (datos["ejecutor"].pk, datos["fecha"])
                inicio, fin = datos["hora_inicio"], datos["hora_fin"]
                self.del_archivo[par].append((inicio, fin, caso.numero, id(caso)))
                anotadas.append((par, inicio, fin, form))
        return anotadas


# The cell values kept once however many rows hold them (FilaActividad).
_COMPARTIBLES = frozenset({str, int, float, bool, datetime.date, datetime.datetime, datetime.time})


def _sin_documento(hoja: hojas.Hoja, filas) -> int:
    """How many of ``filas`` (rows of the Casos sheet ``hoja``) have no Documento."""
    columna = _normalizar_encabezado(hoja.encabezado).get("Documento")
    if columna is None:
        return 0
    return sum(
        1
        for _numero, celdas in filas
        if hojas.vacia(celdas[columna] if columna < len(celdas) else None)
    )


def _normalizar_encabezado(encabezado: list[str]) -> dict[str, int]:
    conocidas = {normalizar(c): c for c in [*COLUMNAS_CASOS, *COLUMNAS_ACTIVIDADES]}
    return {conocidas.get(normalizar(c), c): i for i, c in enumerate(encabezado) if c}


class Importador:
    """Validate (and import) one file. See the module's docstring for the design."""

    def __init__(
        self,
        archivo,
        nombre: str,
        usuario,
        *,
        max_filas: int | None = MAX_FILAS_WEB,
        progreso: Callable[[int, int | None], None] | None = None,
    ):
        self.archivo = archivo
        self.nombre = nombre
        self.usuario = usuario
        self.max_filas = max_filas
        self.progreso = progreso or (lambda hechas, total: None)
        self.al_terminar = None  # importar()'s
        self.contar_nuevos = False  # importar()'s
        self.es_xlsx = hojas.extension(nombre) == ".xlsx"

    # --- the entry points -----------------------------------------------------------------

    def revisar(self) -> list[Error]:
        """What makes the whole file unusable, found without validating a row: its kind,
        its sheets, its headers, its size. The upload answers these at once, next to the
        field; the rows are validated afterwards (cases/tareas.py)."""
        self.resultado = Resultado()
        try:
            libro = hojas.leer(self.archivo, self.nombre, (HOJA_CASOS, HOJA_ACTIVIDADES))
            hojas_leidas = [libro[HOJA_CASOS]]
            self._encabezado(libro[HOJA_CASOS], [*COLUMNAS_CASOS], OBLIGATORIAS_CASOS)
            if HOJA_ACTIVIDADES in libro:
                hojas_leidas.append(libro[HOJA_ACTIVIDADES])
                self._encabezado(
                    libro[HOJA_ACTIVIDADES], COLUMNAS_ACTIVIDADES, OBLIGATORIAS_ACTIVIDADES
                )
            for hoja in [] if self.resultado.errores else hojas_leidas:
                self._comprobar_filas(hoja)
        except ArchivoInvalido as error:
            self._error(None, 0, "", str(error))
        self.archivo.seek(0)
        return self.resultado.errores

    def validar(self) -> Resultado:
        """Validate every row; nothing is written."""
        return self._procesar(escribir=False)

    def casos_nuevos(self) -> int:
        """How many Casos rows have no Documento: the most cases an import of the file
        creates, counted without validating; 0 when the file cannot be read."""
        try:
            hoja = hojas.leer(self.archivo, self.nombre, (HOJA_CASOS,))[HOJA_CASOS]
            return _sin_documento(hoja, hoja.filas)
        except ArchivoInvalido:
            return 0
        finally:
            self.archivo.seek(0)

    def importar(
        self,
        nuevos: int | None = None,
        al_terminar: Callable[[Resultado], None] | None = None,
        *,
        contar_nuevos: bool = False,
    ) -> Resultado:
        """Validate again and, when nothing is wrong, write everything in one transaction.

        ``al_terminar(resultado)`` runs inside that transaction once everything is written
        (what the caller records of the import commits with it). The caller should not open
        a transaction around this call: worker processes could not validate then.

        ``nuevos``: how many cases the validation said it would create. Their numbers are
        then reserved before the transaction (Secuencia.reservar, committed at once), so
        that people creating cases meanwhile are not held by the import's lock on the
        counter; a failed import leaves those numbers unused. Without it (or when the file
        turns out to create more), numbers are reserved chunk by chunk inside the
        transaction: unique too, but new cases elsewhere wait until the import ends.

        ``contar_nuevos`` (without a validation first, as the command imports): the same
        reservation, of as many numbers as the Casos rows without Documento, counted once
        the file is read (a second pass over the sheet already read, not over the file).
        """
        self.numeros = []
        self._reservar(nuevos or 0)
        self.contar_nuevos = contar_nuevos
        self.al_terminar = al_terminar
        return self._procesar(escribir=True)

    def _reservar(self, cuantos: int):
        """Reserve ``cuantos`` case numbers now (committed at once, outside the import's
        transaction); _numerar() hands them out."""
        if cuantos > 0:
            primero = Secuencia.reservar("caso", cuantos)
            self.numeros += range(primero, primero + cuantos)

    def _procesar(self, escribir: bool) -> Resultado:
        self.inicio = inicio = time.perf_counter()
        self.resultado = Resultado()
        self.escribir = escribir
        self.numeros = getattr(self, "numeros", [])
        self.pendientes = []  # (Escritura, where its errors go) of the chunk, written together
        self.validados = None  # a worker's: [CasoValidado] of its chunk (EnParalelo)
        self.grupo = self._grupo_anticipado()
        try:
            libro = hojas.leer(self.archivo, self.nombre, (HOJA_CASOS, HOJA_ACTIVIDADES))
            self._leer(libro)
            if self.escribir and self.contar_nuevos and not self.resultado.errores:
                self._reservar(_sin_documento(self.hoja_casos, self.hoja_casos.releer()))
            if not self.resultado.errores:
                self.catalogo = Catalogo()
                self.agenda = Agenda()
                self._recorrer_todo()
        except ArchivoInvalido as error:
            # Also while the rows are read: a broken sheet, more rows than allowed.
            self._error(None, 0, "", str(error))
        finally:
            if self.grupo is not None:
                # Unused (a small or broken file), or what EnParalelo left: nothing waits.
                self.grupo.shutdown(wait=True, cancel_futures=True)
                self.grupo = None
        return self._fin(inicio)

    def _grupo_anticipado(self):
        """For a big file, the worker processes, started now: they set Django up and read
        the catalog (a second) while this process reads the file, instead of after it.
        None when the file is small or workers cannot share the work (paralelo.disponible)."""
        try:
            self.archivo.seek(0, 2)
            tamano = self.archivo.tell()
            self.archivo.seek(0)
        except (AttributeError, OSError):
            return None
        if tamano < MIN_BYTES_EN_PARALELO or not paralelo.disponible():
            return None
        trabajadores = paralelo.procesos()
        grupo = paralelo.grupo(trabajadores)
        for _i in range(trabajadores):
            grupo.submit(calentar_trabajador, self.es_xlsx)
        return grupo

    def _recorrer_todo(self):
        """Validate every row; when writing, in one transaction, rolled back on any error
        (ArchivoInvalido, raised while reading the rows, rolls it back too). Whether worker
        processes validate is decided before the transaction: they must be able to read
        what this process reads (efactory/paralelo.py)."""
        total = self._total_estimado()
        # At least as many cases as the Casos rows, or as the Documentos of Actividades.
        casos = None if total is None else max(total, len(self.actividades))
        en_paralelo = (casos is None or casos >= MIN_CASOS_EN_PARALELO) and paralelo.disponible()
        if not self.escribir:
            self._recorrer(en_paralelo)
            return
        try:
            with transaction.atomic():
                self._recorrer(en_paralelo)
                if self.resultado.errores:
                    raise _Deshacer
                if self.al_terminar:
                    self.resultado.segundos = time.perf_counter() - self.inicio
                    self.al_terminar(self.resultado)
        except _Deshacer:
            self.resultado.casos = []

    def _fin(self, inicio) -> Resultado:
        self.resultado.segundos = time.perf_counter() - inicio
        # In the file's order: the Casos sheet, then Actividades, each by row.
        self.resultado.errores.sort(key=lambda e: (e.hoja == HOJA_ACTIVIDADES, e.fila))
        if self.resultado.errores:
            self.resultado.casos = []
        return self.resultado

    # --- reading ---------------------------------------------------------------------------

    def _error(self, hoja, fila, columna, mensaje):
        self.resultado.errores.append(
            Error(hoja if self.es_xlsx else "", fila, columna, str(mensaje))
        )

    def _encabezado(self, hoja: hojas.Hoja, validas, obligatorias) -> dict[str, int] | None:
        columnas = _normalizar_encabezado(hoja.encabezado)
        desconocidas = [c for c in columnas if c not in validas]
        faltan = [c for c in obligatorias if c not in columnas]
        if hoja.nombre == HOJA_CASOS and not ({"Cliente", "Código cliente"} & set(columnas)):
            faltan.append("Cliente")
        if desconocidas:
            self._error(
                hoja.nombre,
                1,
                "",
                _("Columnas desconocidas: %(columnas)s. Las columnas válidas son: %(validas)s.")
                % {"columnas": ", ".join(desconocidas), "validas": ", ".join(validas)},
            )
        if faltan:
            self._error(
                hoja.nombre,
                1,
                "",
                _("Faltan las columnas %(columnas)s.") % {"columnas": ", ".join(faltan)},
            )
        repetidas = len(columnas) != len([c for c in hoja.encabezado if c])
        if repetidas:
            self._error(hoja.nombre, 1, "", _("Hay columnas con el mismo encabezado."))
        return None if desconocidas or faltan or repetidas else columnas

    def _limite(self, hoja: hojas.Hoja) -> int | None:
        """Most rows the sheet may have: max_filas cases, five activities per case."""
        if self.max_filas is None:
            return None
        return self.max_filas * (ACTIVIDADES_POR_CASO if hoja.nombre == HOJA_ACTIVIDADES else 1)

    def _demasiadas_filas(self, hoja: hojas.Hoja) -> ArchivoInvalido:
        datos = {
            "hoja": hoja.nombre,
            "maximo": formats.number_format(self._limite(hoja), force_grouping=True),
        }
        if self.es_xlsx:
            mensaje = _(
                "La hoja %(hoja)s tiene más de %(maximo)s filas: divídala o use "
                "«python manage.py importar_casos»."
            )
        else:
            mensaje = _(
                "El archivo tiene más de %(maximo)s filas: divídalo o use "
                "«python manage.py importar_casos»."
            )
        return ArchivoInvalido(mensaje % datos)

    def _comprobar_filas(self, hoja: hojas.Hoja):
        """Refuse a sheet over the row limit before any row is validated: where the file
        says it may be over, or does not say (an XLSX without its dimension), its rows are
        counted (one pass over the sheet, without validating)."""
        limite = self._limite(hoja)
        if limite is None or (hoja.total is not None and hoja.total <= limite):
            return
        if hoja.filas_exactas() > limite:
            raise self._demasiadas_filas(hoja)

    def _filas(self, hoja: hojas.Hoja, columnas: dict[str, int]):
        """Yield (row number, {column: raw value}); a formula cell is wrapped in
        hojas.Formula (its reading says so), a file over the row limit refused (where the
        file understated its size)."""
        contadas = 0
        limite = self._limite(hoja)
        for numero, celdas in hoja.filas:
            contadas += 1
            if limite is not None and contadas > limite:
                raise self._demasiadas_filas(hoja)
            valores = {}
            for columna, i in columnas.items():
                valor = celdas[i] if i < len(celdas) else None
                formula = (numero, i) in hoja.formulas or (
                    not self.es_xlsx and isinstance(valor, str) and valor.startswith("=")
                )
                valores[columna] = (
                    hojas.Formula(hoja.formulas.get((numero, i), valor)) if formula else valor
                )
            yield numero, valores

    def _leer(self, libro: dict[str, hojas.Hoja]):
        """Read the header of both sheets and every activity row (grouped by Documento);
        the Casos rows stay in the file, read chunk by chunk by _recorrer()."""
        self.hoja_casos = libro[HOJA_CASOS]
        self.columnas_casos = self._encabezado(
            self.hoja_casos, [*COLUMNAS_CASOS], OBLIGATORIAS_CASOS
        )
        self.actividades = defaultdict(list)  # numero → [FilaActividad]
        hoja = libro.get(HOJA_ACTIVIDADES)
        columnas = None
        if hoja is not None:
            columnas = self._encabezado(hoja, COLUMNAS_ACTIVIDADES, OBLIGATORIAS_ACTIVIDADES)
        if self.columnas_casos is None or (hoja is not None and columnas is None):
            return
        self._comprobar_filas(self.hoja_casos)
        if hoja is None:
            return
        self._comprobar_filas(hoja)
        nombres = tuple(c for c in columnas if c != "Documento")
        # The same value in many rows (an ejecutor, a date, an hour) kept once; not the
        # texts of the Actividad column, which hardly repeat.
        repetidos, sin_repetir = {}, {i for i, c in enumerate(nombres) if c == "Actividad"}
        for numero, valores in self._filas(hoja, columnas):
            self.resultado.filas_actividades += 1
            doc, problema = _entero_o_error(valores.pop("Documento"))
            if problema or not isinstance(doc, int) or doc <= 0:
                self._error(
                    HOJA_ACTIVIDADES,
                    numero,
                    "Documento",
                    problema or _("Indique el documento del caso al que pertenece la actividad."),
                )
                continue
            celdas = tuple(
                valor
                if i in sin_repetir or type(valor) not in _COMPARTIBLES
                # By type too: 1, 1.0 and True are equal keys.
                else repetidos.setdefault((type(valor), valor), valor)
                for i, valor in enumerate(valores[c] for c in nombres)
            )
            self.actividades[doc].append(FilaActividad(numero, nombres, celdas))
        # Its rows are read: the sheet itself (its cells held by the reader) can go.
        del libro[HOJA_ACTIVIDADES]

    # --- the walk over the cases ---------------------------------------------------------

    def _recorrer(self, en_paralelo: bool):
        """Validate (and write) the file's cases chunk by chunk: here, or in worker
        processes (EnParalelo)."""
        self.vistos = {}  # numero → row of the Casos sheet
        # The size at once (the page says "0 de 10.000"), while the workers start.
        self.progreso(0, self._total_estimado())
        validador = EnParalelo(self, self.grupo) if en_paralelo else EnSerie(self)
        with validador:
            for lote, leidas in self._lotes():
                validador.validar(lote, leidas)
        self.progreso(self.resultado.filas_casos, self._total_estimado())

    def _lotes(self):
        """The file's cases in chunks of LOTE, Documentos read (:meth:`_documentos`), each
        with how many Casos rows were read so far: the Casos sheet, then the cases the file
        only adds activities to."""
        lote = []
        for numero, valores in self._filas(self.hoja_casos, self.columnas_casos):
            self.resultado.filas_casos += 1
            lote.append(FilaCaso(numero, valores))
            if len(lote) >= LOTE:
                yield self._documentos(lote), self.resultado.filas_casos
                lote = []
        if lote:
            yield self._documentos(lote), self.resultado.filas_casos
        restantes = [n for n in self.actividades if n not in self.vistos]
        for inicio in range(0, len(restantes), LOTE):
            lote = [FilaCaso(0, {}, numero=n) for n in restantes[inicio : inicio + LOTE]]
            yield self._documentos(lote), self.resultado.filas_casos

    def _total_estimado(self) -> int | None:
        """Rows of the Casos sheet, where the file says (an XLSX's dimension), for progress."""
        return self.hoja_casos.total

    def _documentos(self, lote: list[FilaCaso]) -> list[FilaCaso]:
        """Read each row's Documento: empty is a new case; a repeated one is an error."""
        validas = []
        for fila in lote:
            if fila.fila == 0:
                fila.actividades = self.actividades.get(fila.numero, [])
                validas.append(fila)
                continue
            doc, problema = _entero_o_error(fila.valores.get("Documento"))
            if problema:
                self._error(HOJA_CASOS, fila.fila, "Documento", problema)
                continue
            if doc is None:
                validas.append(fila)
                continue
            if not isinstance(doc, int) or doc <= 0:
                self._error(
                    HOJA_CASOS,
                    fila.fila,
                    "Documento",
                    _("«%(valor)s» no es un número de documento; déjelo vacío para un caso nuevo.")
                    % {"valor": doc},
                )
                continue
            if doc in self.vistos:
                self._error(
                    HOJA_CASOS,
                    fila.fila,
                    "Documento",
                    _("El documento %(doc)s ya está en la fila %(otra)s.")
                    % {"doc": documento(doc), "otra": self.vistos[doc]},
                )
                continue
            self.vistos[doc] = fila.fila
            fila.numero = doc
            fila.actividades = self.actividades.get(doc, [])
            validas.append(fila)
        return validas

    def _cargar_casos(self, lote: list[FilaCaso]) -> list[FilaCaso]:
        numeros = [f.numero for f in lote if f.numero]
        casos = {
            c.numero: c
            for c in Caso.objects.filter(numero__in=numeros).select_related(
                "cliente", "contacto__cliente"
            )
        }
        # Ejecutores and artículos from the catalog, loaded once: not a copy of one per row
        # joined in (a fifth of the model objects the validation built).
        self.catalogo.relacionar(list(casos.values()), "ejecutor")
        filas = defaultdict(list)
        for a in Actividad.objects.filter(caso_id__in=[c.pk for c in casos.values()]).order_by(
            "caso_id", "fecha", "hora_inicio", "pk"
        ):
            filas[a.caso_id].append(a)
        actividades = [a for lista in filas.values() for a in lista]
        self.catalogo.relacionar(actividades, "ejecutor", "articulo")
        validas = []
        for fila in lote:
            if fila.numero:
                fila.caso = casos.get(fila.numero)
                if fila.caso is None:
                    self._error_sin_caso(fila)
                    continue
                fila.caso._filas_importacion = filas[fila.caso.pk]
            validas.append(fila)
        return validas

    def _error_sin_caso(self, fila: FilaCaso):
        mensaje = _("No existe el caso %(doc)s; deje el Documento vacío para crear uno nuevo.") % {
            "doc": documento(fila.numero)
        }
        if fila.fila:
            self._error(HOJA_CASOS, fila.fila, "Documento", mensaje)
        for actividad in fila.actividades:
            self._error(
                HOJA_ACTIVIDADES,
                actividad.fila,
                "Documento",
                _("No existe el caso %(doc)s.") % {"doc": documento(fila.numero)},
            )

    def _lote(self, lote: list[FilaCaso]):
        """Validate (and, when importing, write) a chunk whose Documentos are read."""
        lote = self._cargar_casos(lote)
        resolutor = Resolutor(self.catalogo, lote)
        pares = set()
        for fila in lote:
            fila.datos, fila.errores = resolutor.datos_del_caso(fila)
            fila.filas_datos, errores_act = resolutor.datos_de_actividades(fila, fila.datos)
            fila.errores_actividades = errores_act
            for datos in fila.filas_datos:
                if datos.get("ejecutor") and datos.get("fecha"):
                    pares.add((datos["ejecutor"], datos["fecha"]))
        self.agenda.cargar(pares, {f.caso.pk: f.caso.numero for f in lote if f.caso})
        activos = resolutor.activos()
        for fila in lote:
            self._caso(fila, resolutor, activos)

    def _caso(self, fila: FilaCaso, resolutor, activos):
        self.fila_actual = fila
        caso = fila.caso or Caso()
        for columna, mensaje in fila.errores.items():
            self._error(*self._lugar(fila), columna, mensaje)
        for numero, columna, mensaje in fila.errores_actividades:
            self._error(HOJA_ACTIVIDADES, numero, columna, mensaje)
        if self._sin_cambios(fila, caso):
            return
        form = CasoForm(
            fila.datos,
            instance=caso,
            opciones=resolutor.elegibles(caso, activos),
            campos=self.catalogo.campos_del_caso,
        )
        form.is_valid()
        datos = form.cleaned_data
        formset_class = actividad_formset_class(extra=0)
        formset = formset_class(
            self._datos_formset(fila),
            instance=form.instance,
            prefix=PREFIJO,
            fecha_inicio=datos.get("fecha_inicio") if "fecha_inicio" not in form.errors else None,
            fecha_cierre=datos.get("fecha_cierre") if "fecha_cierre" not in form.errors else None,
            ejecutor_caso=datos.get("ejecutor"),
            filas=getattr(caso, "_filas_importacion", []) if caso.pk else None,
            catalogo=self.catalogo,
            agenda=self.agenda,
        )
        formset.is_valid()
        self._errores_de_formularios(fila, form, formset)
        if fila.errores or fila.errores_actividades or form.errors or not formset.is_valid():
            return
        vigente, version_del_archivo = self._version(fila, caso)
        if not vigente:
            return
        anotadas = self.agenda.anotar(form.instance, formset)
        cambios = not caso.pk or self._cambio(form, formset)
        if not cambios:
            self.resultado.sin_cambios += 1
            return
        if caso.pk:
            self.resultado.actualizados += 1
        else:
            self.resultado.creados += 1
        if self.validados is not None and anotadas:
            self.validados.append(self._validado(fila, formset, anotadas))
        if self.escribir and not self.resultado.errores:
            self._guardar(form, formset, version_del_archivo)

    def _validado(self, fila: FilaCaso, formset, anotadas) -> "CasoValidado":
        indice = {id(form): i for i, form in enumerate(formset.forms)}
        origenes = fila.origen_de_filas
        filas = []
        for par, inicio, fin, form in anotadas:
            i = indice[id(form)]
            origen = origenes[i] if i < len(origenes) else None
            filas.append((par, inicio, fin, origen, form.cleaned_data["ejecutor"].nombre))
        return CasoValidado(
            numero=formset.instance.numero,
            actualizado=formset.instance.pk is not None,
            lugar=self._lugar(fila),
            filas=filas,
        )

    def _version(self, fila: FilaCaso, caso: Caso) -> tuple[bool, int | None]:
        """The row's Versión (None: not given, no check) and whether it is the stored one;
        when not, the error is reported."""
        celda = fila.valores.get("Versión")
        if hojas.vacia(celda):
            return True, None
        valor, problema = _entero_o_error(celda)
        version = versiones.leer_version(valor)
        if problema or version is None:
            problema = problema or _(
                "«%(valor)s» no es un número de versión: déjela como se exportó, o vacía."
            ) % {"valor": str(valor)[:40]}
            self._error(*self._lugar(fila), "Versión", problema)
            return False, None
        if caso.pk and versiones.desactualizada(caso.version, version):
            self._error(
                *self._lugar(fila),
                "Versión",
                _(
                    "El caso %(doc)s cambió después de exportarse (versión %(archivo)s en "
                    "el archivo, %(actual)s guardada): expórtelo de nuevo y repita el cambio."
                )
                % {"doc": caso.documento, "archivo": version, "actual": caso.version},
            )
            return False, None
        return True, version

    def _sin_cambios(self, fila: FilaCaso, caso: Caso) -> bool:
        """A stored case whose row and activity rows say exactly what is stored is counted
        unchanged without building its forms: it passed the editor's rules when it was
        saved and nothing would be written (the editor's own rule for an unchanged stored
        activity row, efactory/formsets.py:FilaForm). Its Versión is still checked."""
        if not (getattr(fila, "igual", False) and fila.actividades_iguales):
            return False
        if fila.errores_actividades:
            return False
        vigente, _version = self._version(fila, caso)
        if vigente:
            self.resultado.sin_cambios += 1
        return True

    @staticmethod
    def _cambio(form, formset) -> bool:
        # The first changed field answers: Form.changed_data would compare all 26 of them
        # (a twentieth of the validation).
        if algun_cambio(form, ("version", "envio")):
            return True
        return any(f.instance.pk is None or f.has_changed() for f in formset.filas_vivas())

    def _guardar(self, form, formset, version):
        """Keep a valid case for its chunk's bulk write (_escribir)."""
        # Without a Versión in the file, the version this import validated against: a
        # save by someone else meanwhile is a conflict, not overwritten.
        version = version if version is not None else form.instance.version
        escritura = Escritura.de_formularios(form, formset, version)
        self.pendientes.append((escritura, self._lugar(self.fila_actual)))

    def _escribir_lote(self):
        pendientes, self.pendientes = self.pendientes, []
        self._escribir(pendientes)

    def _escribir(self, pendientes: list[tuple[Escritura, tuple[str, int]]]):
        """Write a chunk's valid cases at once (services.guardar_importados); ``pendientes``:
        (write, where its errors are shown). Nothing once the file has an error."""
        if not pendientes or self.resultado.errores:
            return
        self._numerar([e.caso for e, _lugar in pendientes if e.caso.pk is None])
        try:
            casos = guardar_importados(
                [escritura for escritura, _lugar in pendientes],
                usuario=self.usuario,
                motivo=MOTIVO,
            )
        except versiones.ConflictoDeVersion as conflicto:
            lugar = next(lugar for e, lugar in pendientes if e.caso is conflicto.caso)
            self._error(
                *lugar,
                "Versión",
                _("Otra persona guardó el caso %(doc)s mientras se importaba; valide de nuevo.")
                % {"doc": conflicto.caso.documento},
            )
            return
        except ActividadSolapada:
            self._error(
                *pendientes[0][1],
                "Actividades",
                _(
                    "Otra persona registró al mismo tiempo una actividad que se cruza con una "
                    "de estos casos; valide de nuevo."
                ),
            )
            return
        self.resultado.casos += [caso.pk for caso in casos]

    @staticmethod
    def _lugar(fila: FilaCaso) -> tuple[str, int]:
        """Where a case's errors are shown: its Casos row, or (a case the file only adds
        activities to) its first row in Actividades."""
        if fila.fila or not fila.actividades:
            return HOJA_CASOS, fila.fila
        return HOJA_ACTIVIDADES, fila.actividades[0].fila

    def _numerar(self, nuevos: list[Caso]):
        """Number the new cases of a chunk, reserving what importar() did not (see there)."""
        faltan = len(nuevos) - len(self.numeros)
        if faltan > 0:
            primero = Secuencia.reservar("caso", faltan)
            self.numeros += range(primero, primero + faltan)
        for caso in nuevos:
            caso.numero = self.numeros.pop(0)

    # --- errors ------------------------------------------------------------------------------

    def _errores_de_formularios(self, fila: FilaCaso, form, formset):
        ya = set(fila.errores)
        for campo, errores in form.errors.items():
            columna = self._columna_del_caso(fila, campo)
            if columna in ya:
                continue
            for mensaje in errores:
                self._error(*self._lugar(fila), columna, mensaje)
        for mensaje in formset.non_form_errors():
            self._error(*self._lugar(fila), "Actividades", mensaje)
        for i, f in enumerate(formset.forms):
            if not f.errors:
                continue
            origen = fila.origen_de_filas[i] if i < len(fila.origen_de_filas) else None
            for campo, errores in f.errors.items():
                for mensaje in errores:
                    self._error_de_actividad(self._lugar(fila), origen, campo, mensaje)

    def _error_de_actividad(self, lugar: tuple[str, int], origen, campo, mensaje):
        columna = COLUMNA_DE_ACTIVIDAD.get(campo, "")
        if origen is not None:
            self._error(HOJA_ACTIVIDADES, origen, columna, mensaje)
            return
        # A stored row the file does not mention (the case's new dates exclude it, …).
        self._error(
            *lugar,
            "Actividades",
            _("Actividad guardada: %(columna)s: %(mensaje)s")
            % {"columna": columna, "mensaje": mensaje},
        )

    @staticmethod
    def _columna_del_caso(fila: FilaCaso, campo: str) -> str:
        if campo == "__all__":
            return "Documento"
        if campo == "cliente" and not hojas.vacia(fila.valores.get("Código cliente")):
            return "Código cliente"
        return COLUMNA_DE_CAMPO.get(campo, campo)

    def _datos_formset(self, fila: FilaCaso) -> dict:
        datos = {}
        for i, valores in enumerate(fila.filas_datos):
            for campo, valor in valores.items():
                if valor is not None and valor != "":
                    datos[f"{PREFIJO}-{i}-{campo}"] = valor
        guardadas = len(getattr(fila.caso, "_filas_importacion", [])) if fila.caso else 0
        datos[f"{PREFIJO}-TOTAL_FORMS"] = str(len(fila.filas_datos))
        datos[f"{PREFIJO}-INITIAL_FORMS"] = str(guardadas)
        return datos


class _Deshacer(Exception):
    """Raised inside the import's transaction to roll it back (there were errors)."""


# --- who validates the chunks ----------------------------------------------------------------


class EnSerie:
    """The importer validates (and writes) each chunk itself, in file order."""

    def __init__(self, importador: Importador):
        self.importador = importador

    def __enter__(self):
        return self

    def __exit__(self, *excepcion):
        return False

    def validar(self, lote: list[FilaCaso], leidas: int):
        self.importador._lote(lote)
        self.importador._escribir_lote()
        self.importador.progreso(leidas, self.importador._total_estimado())


@dataclass
class CasoValidado:
    """A valid case of a worker's chunk with new or changed activity rows: what EnParalelo
    checks against the file's other chunks. ``filas``: ((ejecutor_id, fecha), inicio, fin,
    file row or None, ejecutor's name)."""

    numero: int
    actualizado: bool
    lugar: tuple[str, int]
    filas: list


@dataclass
class ResultadoDeLote:
    """What a worker answers for one chunk."""

    errores: list
    creados: int
    actualizados: int
    sin_cambios: int
    validados: list  # [CasoValidado] in file order
    pendientes: list  # when importing: [(Escritura, where its errors go)] of the valid cases


class EnParalelo:
    """Worker processes validate the chunks (efactory/paralelo.py: one per core); the
    importer reads the file, sends each chunk and takes the answers in file order, with at
    most two chunks per worker on their way, so that memory stays flat.

    A worker sees the database and its own chunk: the formset's overlap rule there checks a
    row against the other cases' stored rows and the rows of the chunk's earlier cases
    (Agenda). The rows of the earlier *chunks* are checked here, as each answer comes in,
    with the same comparison and message (:func:`~cases.formsets.mensaje_cruce`): a valid
    case whose new or changed row overlaps a row of an earlier chunk's valid case is refused
    on that row, and its rows do not count for the cases after it, as in a run in series.
    Two differences, only in a file that has errors anyway: a row that overlaps rows of its
    own chunk and of an earlier one names the case of its own chunk; and a case refused here
    may already have refused a later case of its chunk.

    Importing, an answer also carries what saving its valid cases writes
    (:class:`~cases.services.Escritura`: model instances as the forms left them), and this
    process writes it, in file order, inside its one transaction, while the workers validate
    the next chunks. They read what is committed, so not the rows this import has written:
    the file's own rows are checked here (above), each case is in the file once, the
    versions are compared again under lock as the chunk is written, and the database's
    overlap constraint is checked at the end of each chunk's write.
    """

    def __init__(self, importador: Importador, grupo=None):
        self.importador = importador
        self.trabajadores = paralelo.procesos()
        self.grupo = grupo  # workers started already (Importador._grupo_anticipado)
        self.pendientes = deque()  # (future, Casos rows read up to that chunk)
        self.del_archivo = defaultdict(list)  # (ejecutor, fecha) → [(inicio, fin, numero)]

    def __enter__(self):
        if self.grupo is None:
            self.grupo = paralelo.grupo(self.trabajadores)
        return self

    def __exit__(self, tipo, *excepcion):
        try:
            while tipo is None and self.pendientes:
                self._recibir()
        finally:
            self.grupo.shutdown(wait=True, cancel_futures=True)
        return False

    def validar(self, lote: list[FilaCaso], leidas: int):
        if len(self.pendientes) >= 2 * self.trabajadores:
            self._recibir()
        importador = self.importador
        # Once the file has an error nothing is written: the workers need not prepare it.
        escribir = importador.escribir and not importador.resultado.errores
        futuro = self.grupo.submit(validar_lote, lote, importador.es_xlsx, escribir)
        self.pendientes.append((futuro, leidas))

    def _recibir(self):
        futuro, leidas = self.pendientes.popleft()
        parcial = futuro.result()
        resultado = self.importador.resultado
        resultado.errores += parcial.errores
        resultado.creados += parcial.creados
        resultado.actualizados += parcial.actualizados
        resultado.sin_cambios += parcial.sin_cambios
        for caso in parcial.validados:
            self._cruzar(caso)
        # In file order, in this process's transaction; nothing once there is an error.
        self.importador._escribir(parcial.pendientes)
        self.importador.progreso(leidas, self.importador._total_estimado())

    def _cruzar(self, caso: CasoValidado):
        """Check a valid case's rows against those of the earlier chunks' valid cases."""
        cruces = []
        for par, inicio, fin, origen, nombre in caso.filas:
            for otro_inicio, otro_fin, numero in self.del_archivo.get(par, ()):
                if otro_inicio < fin and inicio < otro_fin:
                    cruces.append(
                        (origen, mensaje_cruce(nombre, par[1], otro_inicio, otro_fin, numero))
                    )
                    break
        if not cruces:
            for par, inicio, fin, _origen, _nombre in caso.filas:
                self.del_archivo[par].append((inicio, fin, caso.numero))
            return
        resultado = self.importador.resultado
        if caso.actualizado:
            resultado.actualizados -= 1
        else:
            resultado.creados -= 1
        for origen, mensaje in cruces:
            self.importador._error_de_actividad(caso.lugar, origen, "hora_inicio", mensaje)


# A worker's importer (validation only), built at its first chunk: its catalog is read once.
_IMPORTADORES_DEL_TRABAJADOR: dict[bool, Importador] = {}


def preparar_trabajador(es_xlsx: bool) -> Importador:
    """A worker's importer: built (its catalog read) at its first task, then kept."""
    importador = _IMPORTADORES_DEL_TRABAJADOR.get(es_xlsx)
    if importador is None:
        importador = Importador(None, "archivo.xlsx" if es_xlsx else "archivo.csv", None)
        importador.catalogo = Catalogo()
        importador.agenda = Agenda()
        _IMPORTADORES_DEL_TRABAJADOR[es_xlsx] = importador
    return importador


def calentar_trabajador(es_xlsx: bool) -> None:
    """A task that only starts a worker: Django set up, its importer built."""
    preparar_trabajador(es_xlsx)


def validar_lote(lote: list[FilaCaso], es_xlsx: bool, escribir: bool) -> ResultadoDeLote:
    """A worker's task (EnParalelo): validate one chunk whose Documentos are read; with
    ``escribir``, also hand back what saving its valid cases writes (the parent writes)."""
    importador = preparar_trabajador(es_xlsx)
    importador.escribir = escribir
    importador.resultado = Resultado()
    importador.validados, importador.pendientes = [], []
    importador.agenda.del_archivo = defaultdict(list)  # the rows of this chunk's cases only
    importador._lote(lote)
    for escritura, _lugar in importador.pendientes:
        escritura.aligerar()
    r = importador.resultado
    return ResultadoDeLote(
        r.errores,
        r.creados,
        r.actualizados,
        r.sin_cambios,
        importador.validados,
        importador.pendientes,
    )


class Resolutor:
    """Turns the text of one chunk's cells into the pks a form expects.

    Clients are read for the whole chunk in two queries (by code, by normalized name), their
    contacts in one; ejecutores and catalog rows come from the import's :class:`Catalogo`.
    """

    def __init__(self, catalogo: Catalogo, lote: list[FilaCaso]):
        self.catalogo = catalogo
        self.usados = defaultdict(set)  # model → pks the chunk's rows chose
        self._cargar_clientes(lote)
        self.contactos = {}
        self.contactos_por_cliente = defaultdict(lambda: defaultdict(list))
        for contacto in Contacto.objects.filter(cliente_id__in=list(self.clientes)).select_related(
            "cliente"
        ):
            self.contactos[contacto.pk] = contacto
            por_nombre = self.contactos_por_cliente[contacto.cliente_id]
            por_nombre[normalizar(contacto.nombre)].append(contacto)
        for fila in lote:
            if fila.caso is not None and fila.caso.contacto_id:
                self.contactos.setdefault(fila.caso.contacto_id, fila.caso.contacto)

    def _cargar_clientes(self, lote: list[FilaCaso]):
        """The clients the chunk names (by code, by name) and those its cases have."""
        codigos, nombres = set(), set()
        for fila in lote:
            codigo = _texto_seguro(fila.valores.get("Código cliente"))
            nombre = _texto_seguro(fila.valores.get("Cliente"))
            codigos |= {codigo, nombre} - {""}
            if nombre and not codigo:
                # By name only where no code wins over it (an export always has the code:
                # matching names cost a scan of every client's normalized name).
                nombres.add(normalizar(nombre))
        clientes = {c.pk: c for c in Cliente.objects.filter(codigo__in=codigos)}
        if nombres:
            por_nombre = Cliente.objects.alias(n=Normalizado("nombre")).filter(n__in=nombres)
            clientes |= {c.pk: c for c in por_nombre}
        for fila in lote:
            if fila.caso is not None:
                clientes.setdefault(fila.caso.cliente_id, fila.caso.cliente)
        self.clientes = clientes
        self.por_codigo = {c.codigo: c for c in clientes.values()}
        self.por_codigo_n = defaultdict(list)
        self.por_nombre = defaultdict(list)
        for c in clientes.values():
            self.por_codigo_n[normalizar(c.codigo)].append(c)
            self.por_nombre[normalizar(c.nombre)].append(c)

    # --- one case -------------------------------------------------------------------------

    def datos_del_caso(self, fila: FilaCaso) -> tuple[dict, dict]:
        """The CasoForm data of a row (stored values, then the file's), and cell errors.

        Columns are read in the export's order whatever the file's (Contacto after
        Cliente); a cell that cannot be read leaves its field out (the form would only
        repeat the error) and is reported once.
        """
        caso = fila.caso
        base = caso if caso is not None else Caso()
        datos = {
            k: v
            for k, v in model_to_dict(base, fields=CasoForm._meta.fields).items()
            if v is not None
        }
        if datos.get("estimado") is not None:
            datos["estimado"] = formats.localize_input(datos["estimado"])
        datos["version"] = caso.version if caso is not None else ""
        if caso is not None:
            # Fields with a callable default compare with the value the page was drawn with
            # (a hidden "initial-" input); here, the stored one.
            for nombre in CON_INICIAL_OCULTA:
                datos[f"initial-{nombre}"] = datos.get(nombre, "")
        guardados = _sin_vacios(datos)
        errores = {}
        for columna in _columnas_leidas(fila):
            campo = CAMPOS[columna]
            try:
                valor = self._valor(columna, fila, base, datos)
            except (_ErrorDeCelda, hojas.ValidationError) as error:
                errores[self._columna_cliente(fila) if campo == "cliente" else columna] = _mensaje(
                    error
                )
                datos.pop(campo, None)
                continue
            if valor == "" and campo in CON_VALOR_POR_DEFECTO:
                continue  # an empty Estimado, Nivel, Prioridad…: as stored, or the default
            datos[campo] = valor
        if caso is not None and caso.contacto_id and "Contacto" not in fila.valores:
            # Another client in the file, the stored contact not named: it cannot stay.
            if datos.get("cliente") != caso.cliente_id:
                datos.pop("contacto", None)
        # The row says what is stored: like an unchanged stored activity row (FilaForm),
        # it need not be validated again (see Importador._sin_cambios).
        fila.igual = caso is not None and not errores and _sin_vacios(datos) == guardados
        return datos, errores

    @staticmethod
    def _columna_cliente(fila) -> str:
        return (
            "Código cliente" if not hojas.vacia(fila.valores.get("Código cliente")) else "Cliente"
        )

    def _valor(self, columna, fila, caso, datos):
        valor = fila.valores.get(columna)
        campo = CAMPOS[columna]
        if columna == "Cliente":
            return self._valor_cliente(fila, caso)
        if columna == "Contacto":
            return self._contacto(valor, datos.get("cliente"), caso)
        modelo = Ejecutor if columna in EJECUTORES else CATALOGOS.get(columna, (None, None))[1]
        if modelo is not None:
            return self._catalogo(modelo, valor, getattr(caso, f"{campo}_id"))
        return convertir(columna, valor)

    def _valor_cliente(self, fila, caso):
        """Código cliente wins over Cliente (a code, or a name matching one client)."""
        codigo = fila.valores.get("Código cliente")
        nombre = fila.valores.get("Cliente")
        if not hojas.vacia(codigo):
            return self._cliente(codigo, caso, solo_codigo=True).pk
        if not hojas.vacia(nombre):
            return self._cliente(nombre, caso, solo_codigo=False).pk
        return ""  # both empty: the form says it is required

    def _elegir(self, candidatos: list, actual, texto, que: "_Que") -> object:
        unicos = list({c.pk: c for c in candidatos}.values())
        if len(unicos) == 1:
            return unicos[0]
        if not unicos:
            raise _ErrorDeCelda(
                _("No existe %(que)s «%(texto)s».") % {"que": que.ninguno, "texto": _corto(texto)}
            )
        for c in unicos:
            if c.pk == actual:
                return c
        raise _ErrorDeCelda(
            _("«%(texto)s» coincide con %(n)s %(varios)s (%(nombres)s): %(pista)s.")
            % {
                "texto": _corto(texto),
                "n": len(unicos),
                "varios": que.varios,
                "nombres": "; ".join(sorted(_nombrar(c) for c in unicos)[:5]),
                "pista": que.pista,
            }
        )

    def _cliente(self, valor, caso, *, solo_codigo: bool) -> Cliente:
        texto = hojas.a_texto(valor)
        if texto in self.por_codigo:
            cliente = self.por_codigo[texto]
        elif solo_codigo:
            cliente = self._elegir(
                self.por_codigo_n.get(normalizar(texto), []),
                caso.cliente_id,
                texto,
                _Que(
                    _lazy("un cliente con el código"),
                    _lazy("clientes"),
                    _lazy("escriba el código tal como está guardado"),
                ),
            )
        else:
            cliente = self._elegir(
                self.por_codigo_n.get(normalizar(texto), [])
                or self.por_nombre.get(normalizar(texto), []),
                caso.cliente_id,
                texto,
                _Que(
                    _lazy("un cliente con el código o nombre"),
                    _lazy("clientes"),
                    _lazy("escriba el código del cliente (columna Código cliente)"),
                ),
            )
        self.usados[Cliente].add(cliente.pk)
        return cliente

    def _contacto(self, valor, cliente_id, caso):
        if hojas.vacia(valor):
            return ""
        texto = hojas.a_texto(valor)
        if cliente_id is None:
            return ""  # the client's own error is shown
        candidatos = self.contactos_por_cliente[cliente_id].get(normalizar(texto), [])
        cliente = self.clientes.get(cliente_id)
        nombre = cliente.nombre if cliente else ""
        que = _Que(
            format_lazy(_lazy("un contacto de {cliente} llamado"), cliente=nombre),
            format_lazy(_lazy("contactos de {cliente}"), cliente=nombre),
            _lazy("deje Contacto vacío y elíjalo en el editor del caso"),
        )
        return self._elegir(candidatos, caso.contacto_id, texto, que).pk

    def _catalogo(self, modelo, valor, actual):
        if hojas.vacia(valor):
            return ""
        texto = hojas.a_texto(valor)
        obj = self._elegir(
            self.catalogo.nombres[modelo].get(normalizar(texto), []),
            actual,
            texto,
            _que_del_catalogo(modelo),
        )
        self.usados[modelo].add(obj.pk)
        return obj.pk

    # --- its activities --------------------------------------------------------------------

    def datos_de_actividades(self, fila: FilaCaso, datos_caso: dict) -> tuple[list[dict], list]:
        """The formset rows of a case: its stored rows (changed by the file's rows with the
        same date, start and ejecutor), then the file's new rows. Also sets
        ``fila.origen_de_filas``: the file row of each formset row (None: stored only)."""
        guardadas = getattr(fila.caso, "_filas_importacion", []) if fila.caso else []
        datos = [self._datos_guardados(a) for a in guardadas]
        origen = [None] * len(datos)
        indice = {(a.fecha, a.hora_inicio, a.ejecutor_id): i for i, a in enumerate(guardadas)}
        errores = []
        caso = fila.caso
        fila.actividades_iguales = True
        for actividad in fila.actividades:
            valores, errores_fila = self._actividad(actividad, caso)
            errores += [(actividad.fila, c, m) for c, m in errores_fila.items()]
            if errores_fila:
                continue
            ejecutor = valores.get("ejecutor") or (caso.ejecutor_id if caso else None)
            i = indice.get((valores["fecha"], valores["hora_inicio"], ejecutor))
            if i is not None and origen[i] is None:
                antes = dict(datos[i])
                datos[i].update({k: v for k, v in valores.items() if k != "ejecutor" or v})
                origen[i] = actividad.fila
                fila.actividades_iguales &= _sin_vacios(datos[i]) == _sin_vacios(antes)
            else:
                fila.actividades_iguales = False
                if valores.get("facturable") is None:
                    # As the editor's new row: Facturable of the case (as the file leaves it).
                    valores["facturable"] = bool(datos_caso.get("facturable"))
                datos.append(valores)
                origen.append(actividad.fila)
        fila.origen_de_filas = origen
        return datos, errores

    @staticmethod
    def _datos_guardados(a: Actividad) -> dict:
        return {
            "id": a.pk,
            "fecha": a.fecha,
            "hora_inicio": a.hora_inicio,
            "hora_fin": a.hora_fin,
            "descripcion": a.descripcion,
            "ejecutor": a.ejecutor_id,
            "facturable": a.facturable,
            "articulo": a.articulo_id or "",
        }

    def _actividad(self, actividad: FilaActividad, caso) -> tuple[dict, dict]:
        valores, errores = {}, {}
        convertir = {
            "Fecha": ("fecha", hojas.a_fecha),
            "H/Inicio": ("hora_inicio", hojas.a_hora),
            "H/Fin": ("hora_fin", hojas.a_hora),
            "Actividad": ("descripcion", hojas.a_texto),
            "Fact.": ("facturable", lambda v: None if hojas.vacia(v) else hojas.a_booleano(v)),
        }
        for columna, valor in actividad.valores.items():
            try:
                if columna in convertir:
                    campo, funcion = convertir[columna]
                    valores[campo] = funcion(valor)
                elif columna == "Ejecutor":
                    valores["ejecutor"] = self._catalogo(Ejecutor, valor, None) or None
                elif columna == "Artículo":
                    valores["articulo"] = self._catalogo(Articulo, valor, None)
            except _ErrorDeCelda as error:
                errores[columna] = error.mensaje
            except hojas.ValidationError as error:
                errores[columna] = " ".join(error.messages)
        for columna, campo in (("Fecha", "fecha"), ("H/Inicio", "hora_inicio")):
            if columna not in errores and valores.get(campo) is None:
                errores[columna] = (
                    _("Indique la fecha.") if campo == "fecha" else _("Indique la hora.")
                )
        return valores, errores

    # --- what the forms accept -------------------------------------------------------------

    def activos(self) -> dict:
        """The pks among those this chunk chose that ACTIVOS' conditions accept: one query
        per lookup table."""
        resultado = {}
        for modelo in CasoForm.ACTIVOS.values():
            if modelo in resultado:
                continue
            pks = self.usados[modelo]
            resultado[modelo] = (
                set(modelo.objects.filter(modelo.ACTIVOS, pk__in=pks).values_list("pk", flat=True))
                if pks
                else set()
            )
        return resultado

    def elegibles(self, caso: Caso, activos: dict) -> dict:
        opciones = {}
        for campo, modelo in CasoForm.ACTIVOS.items():
            por_pk = self.clientes if modelo is Cliente else self.catalogo.por_pk[modelo]
            opciones[campo] = Elegibles(por_pk, activos[modelo], getattr(caso, f"{campo}_id"))
        opciones["contacto"] = Elegibles(self.contactos, None)
        return opciones


@dataclass(frozen=True)
class _Que:
    """How the errors of a lookup column name what it looks for."""

    ninguno: str  # No existe <un cliente con el código> «X».
    varios: str  # «X» coincide con 2 <clientes> (…): <pista>.
    pista: str


@functools.cache
def _que_del_catalogo(modelo) -> _Que:
    if modelo is Ejecutor:
        return _Que(
            _lazy("un ejecutor con el nombre o correo"),
            _lazy("ejecutores"),
            _lazy("escriba su correo"),
        )
    ninguno, varios = {
        Articulo: (_lazy("un artículo con el nombre o código"), _lazy("artículos")),
        Clase: (_lazy("una clase con el nombre o código"), _lazy("clases")),
        Grupo: (_lazy("un grupo con el nombre o código"), _lazy("grupos")),
        Departamento: (_lazy("un departamento con el nombre o código"), _lazy("departamentos")),
    }[modelo]
    return _Que(ninguno, varios, _lazy("escriba el código"))


def _nombrar(obj) -> str:
    """A row as a person tells it from its namesakes: its name and its code or e-mail."""
    clave = getattr(obj, "codigo", "") or getattr(obj, "email", "")
    return f"{obj.nombre} ({clave})" if clave else str(obj)


class _ErrorDeCelda(Exception):
    def __init__(self, mensaje):
        super().__init__(mensaje)
        self.mensaje = mensaje


# Fields that cannot be empty and have a fixed default: an empty cell keeps the value.
CON_VALOR_POR_DEFECTO = {
    f.name
    for f in Caso._meta.fields
    if f.name in CasoForm.base_fields
    and f.has_default()
    and not callable(f.default)
    and CasoForm.base_fields[f.name].required
}
CON_INICIAL_OCULTA = [n for n, f in CasoForm.base_fields.items() if f.show_hidden_initial]


def convertir(columna: str, valor):
    """A Casos cell that is not a lookup, as the form's data (errors: ValidationError)."""
    if columna in OPCIONES:
        return "" if hojas.vacia(valor) else hojas.a_opcion(valor, OPCIONES[columna])
    if columna in BOOLEANOS:
        return hojas.a_booleano(valor)
    if columna in FECHAS:
        return hojas.a_fecha(valor) or ""
    if columna in ENTEROS:
        entero = hojas.a_entero(valor)
        return "" if entero is None else entero
    if columna == "Estimado":
        numero = hojas.a_decimal(valor)
        return "" if numero is None else formats.localize_input(_centesimos(numero))
    return hojas.a_texto(valor)


def _columnas_leidas(fila: FilaCaso) -> list[str]:
    """The file's Casos columns that set a field of the form, in the export's order. A file
    with only Código cliente sets the client too (through the Cliente column's reading)."""
    presentes = set(fila.valores)
    if "Código cliente" in presentes:
        presentes.add("Cliente")
    return [c for c in COLUMNAS_CASOS if c in presentes and c in CAMPOS and c != "Versión"]


def _entero_o_error(valor) -> tuple[int | str | None, str]:
    """hojas.a_entero without raising: the value and "", or None and the cell's error (NUL
    characters, a formula, an oversized text)."""
    try:
        return hojas.a_entero(valor), ""
    except hojas.ValidationError as error:
        return None, _mensaje(error)


def _mensaje(error) -> str:
    if isinstance(error, _ErrorDeCelda):
        return error.mensaje
    return " ".join(error.messages)


def _corto(texto: str, largo: int = 80) -> str:
    return texto if len(texto) <= largo else texto[: largo - 1] + "…"


def _centesimos(numero: Decimal) -> Decimal:
    """12.5 as the stored 12.50 (so that an unchanged Estimado compares equal); a number
    with more decimals is left for the form to refuse."""
    try:
        redondo = numero.quantize(Decimal("0.01"))
    except InvalidOperation:
        return numero
    return redondo if redondo == numero else numero


def _sin_vacios(datos: dict) -> dict:
    """Form data without empty values: a missing key and "" say the same."""
    return {k: v for k, v in datos.items() if v not in ("", None)}


def _campos_compartidos(form_class) -> CamposDeLaFila:
    """One copy of a form's fields for every form of an import (see Catalogo).

    Their labels and help texts are turned into text once: each form reads them for every
    field (Django's BoundField), and a lazy translation costs a lookup each time.
    """
    campos = CamposDeLaFila(copy.deepcopy(form_class.base_fields))
    for campo in campos.values():
        campo.help_text = str(campo.help_text or "")
        if campo.label is not None:
            campo.label = str(campo.label)
    return campos


def _texto_seguro(valor) -> str:
    try:
        return hojas.a_texto(valor)
    except hojas.ValidationError:
        return ""
