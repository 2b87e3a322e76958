"""Writes that touch several models."""

import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from efactory import versiones
from efactory.masivo import GestorMasivo

from .forms import CasoForm
from .models import Actividad, Caso, EnvioFormulario


class EnvioRepetido(Exception):
    """The page's one-time token was already used: this submission was saved before."""

    def __init__(self, caso_id: int | None):
        super().__init__(caso_id)
        self.caso_id = caso_id


class ActividadSolapada(Exception):
    """The database refused a row that overlaps another of the same ejecutor (a race the
    form's check could not see: both saves validated before either was written)."""


def token_envio(valor) -> uuid.UUID | None:
    """The one-time token a page posted, or None when missing or junk (then no dedupe)."""
    try:
        return uuid.UUID(str(valor))
    except (TypeError, ValueError, AttributeError):
        return None


def caso_de_envio(token: uuid.UUID | None) -> int | None:
    """The id of the case a token already saved, or None when it is unused."""
    if token is None:
        return None
    return (
        EnvioFormulario.objects.filter(token=token, caso__isnull=False)
        .values_list("caso_id", flat=True)
        .first()
    )


def comprobar_solapes() -> None:
    """Check the deferred overlap constraint now (PostgreSQL), inside the transaction.

    It is deferred so that a save may swap two rows of one case; checked here, a refusal
    raises IntegrityError where the caller can still answer, not at COMMIT.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS actividad_sin_solapes IMMEDIATE")


# The first key of the advisory locks that serialize saves writing one ejecutor's rows.
CLAVE_SOLAPES = 7411


def bloquear_ejecutores(ejecutores) -> None:
    """Wait for other saves writing rows of these ejecutores (PostgreSQL), in this transaction.

    Two saves that write overlapping rows of one ejecutor at the same moment would each wait,
    in the deferred overlap check, for the other's uncommitted row: a deadlock, and
    PostgreSQL may abort both (each backend's detector can find the cycle at once). With a
    transaction advisory lock per ejecutor, taken in key order before anything is written,
    the second save waits for the first to commit and its check then sees the committed row:
    it is refused with ActividadSolapada, the first is saved.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for pk in sorted({pk % 2_147_483_647 for pk in ejecutores}):
            cursor.execute("SELECT pg_advisory_xact_lock(%s::int4, %s::int4)", [CLAVE_SOLAPES, pk])


def ejecutores_escritos(formset) -> set[int]:
    """The ejecutores of the rows a valid Actividades formset writes (new or changed)."""
    ejecutores = set()
    for fila in formset.forms:
        datos = getattr(fila, "cleaned_data", None) or {}
        ejecutor = datos.get("ejecutor")
        if ejecutor is not None and not datos.get("DELETE") and fila.has_changed():
            ejecutores.add(ejecutor.pk)
    return ejecutores


@contextmanager
def _escritura(envio: uuid.UUID | None):
    """One transaction for a save; database refusals become domain errors.

    The deferred overlap constraint is checked before the block ends (comprobar_solapes).
    """
    try:
        with transaction.atomic():
            yield
            comprobar_solapes()
    except IntegrityError as error:
        texto = str(error).lower()
        if "actividad_sin_solapes" in texto:
            raise ActividadSolapada from error
        if envio is not None and "envioformulario" in texto:
            raise EnvioRepetido(caso_de_envio(envio)) from error
        raise


def _tomar_envio(envio: uuid.UUID | None, caso_id: int) -> None:
    """Record the token as used by ``caso_id`` (its unique index refuses a second use)."""
    if envio is not None:
        EnvioFormulario.objects.create(token=envio, caso_id=caso_id)


def guardar_caso(
    *, form, formset, usuario, version: int | None = None, envio: uuid.UUID | None = None
) -> Caso:
    """Save a valid case form and its Actividades formset in one transaction.

    Both must already be valid. A new case gets ``usuario`` as propietario and its document
    number inside the same transaction, so a failure leaves no case, no rows, no number used.

    An existing case is saved only if its stored ``version`` is still ``version`` (the one
    the user's page was loaded with; None is stale): :func:`efactory.versiones.tomar_version`,
    whose conditional UPDATE takes the row lock, so it holds across processes. Otherwise
    nothing is written and :class:`~efactory.versiones.ConflictoDeVersion` is raised.

    ``envio`` is the page's one-time token: a second save with it raises EnvioRepetido
    (for an edit it is taken before the version check, so a double click is not a
    conflict with oneself). A row that overlaps a row written meanwhile by another save
    raises ActividadSolapada. On any error the form's instances are left unsaved.
    """
    caso = form.instance
    nuevo = caso.pk is None
    try:
        with _escritura(envio):
            bloquear_ejecutores(ejecutores_escritos(formset))
            caso = form.save(commit=False)
            caso.aplicar_derivados()
            if nuevo:
                caso.propietario = usuario
            else:
                _tomar_envio(envio, caso.pk)
                caso.version = versiones.tomar_version(Caso, caso.pk, version)
            caso.save()
            if nuevo:
                _tomar_envio(envio, caso.pk)
            form.save_m2m()
            formset.instance = caso
            formset.save()
    except Exception:
        if nuevo:
            # The rolled-back INSERT left an id and a number on the instance.
            caso.pk = caso.numero = None
            caso._state.adding = True
        raise
    return caso


def crear_caso_rapido(*, form, usuario, envio: uuid.UUID | None = None) -> Caso:
    """Save the quick-add form as a new case, once per page (see guardar_caso)."""
    caso = form.save(commit=False)
    caso.aplicar_derivados()
    caso.propietario = usuario
    try:
        with _escritura(envio):
            caso.save()
            _tomar_envio(envio, caso.pk)
    except Exception:
        caso.pk = caso.numero = None
        caso._state.adding = True
        raise
    return caso


def seguimiento_en_lote(*, casos, cambios: dict, usuario) -> int:
    """Apply ``cambios`` (field → value) to ``casos`` in one transaction; return how many changed.

    Rows are locked first (SELECT … FOR UPDATE on PostgreSQL) so a concurrent edit cannot
    interleave; only cases whose values really change are written, and each written case
    gets a new ``version`` (:func:`efactory.versiones.subir_version`: there is no page
    version to check) and ``actualizado_en`` and its derived fields
    (:meth:`Caso.aplicar_derivados`: completing, reopening, a new ejecutor's grupo).
    """
    if not cambios:
        return 0
    ids = [caso.pk for caso in casos]
    with transaction.atomic():
        bloqueados = list(Caso.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        ahora = timezone.now()
        cambiados = []
        derivados = set()
        # Compare raw column values (ejecutor_id, …): no query per case.
        nuevos = {
            Caso._meta.get_field(campo).attname: getattr(valor, "pk", valor)
            for campo, valor in cambios.items()
        }
        for caso in bloqueados:
            if all(getattr(caso, attname) == valor for attname, valor in nuevos.items()):
                continue
            for campo, valor in cambios.items():
                # The object, not its id: aplicar_derivados reads the new ejecutor's grupo.
                setattr(caso, campo, valor)
            derivados |= caso.aplicar_derivados(ahora=ahora)
            caso.actualizado_en = ahora
            cambiados.append(caso)
        # Before the history rows are made: they record the new versions.
        versiones.subir_version(Caso, cambiados)
        # One UPDATE per batch plus one INSERT of history rows: the Historial of each case
        # records the change and who made it.
        bulk_update_with_history(
            cambiados,
            Caso,
            [*cambios, *sorted(derivados), "actualizado_en"],
            batch_size=500,
            default_user=usuario,
            default_change_reason=_("Seguimiento de casos"),
        )
    return len(cambiados)


@dataclass
class Escritura:
    """What saving one validated case of an import writes: the case and its new or changed
    activity rows as their forms left them, the case's derived fields applied
    (Caso.aplicar_derivados, as every write path does just before saving), the fields that
    changed and the version it was validated against. Plain model instances, so that a
    worker process that validated the case can hand it to the one that writes
    (cases/importacion.py:EnParalelo), after :meth:`aligerar`."""

    caso: Caso
    campos: set[str]  # the changed fields (CasoForm's and the derived ones), and no others
    version: int | None
    filas: list[Actividad]

    @classmethod
    def de_formularios(cls, form, formset, version) -> "Escritura":
        """From a valid CasoForm and its valid activity formset."""
        filas = [
            fila_form.save(commit=False)
            for fila_form in formset.filas_vivas()
            if fila_form.instance.pk is None or fila_form.has_changed()
        ]
        campos = {n for n in form.changed_data if n in CasoForm._meta.fields}
        caso = form.save(commit=False)
        # Here, where the forms' client and ejecutor objects are at hand.
        campos |= caso.aplicar_derivados()
        return cls(caso, campos, version, filas)

    def aligerar(self) -> None:
        """Drop the related objects the forms left cached on the case and its rows (its
        client, contact, ejecutores, artículos…): the write needs only their ids, and
        pickling them was three quarters of what a worker sent back for each chunk (and of
        the writing process's time to read it)."""
        self.caso.__dict__.pop("_filas_importacion", None)
        self.caso._state.fields_cache = {}
        for fila in self.filas:
            fila._state.fields_cache = {}


def guardar_importados(escrituras: list[Escritura], *, usuario, motivo: str) -> list[Caso]:
    """Write a chunk of validated cases and their activity rows in bulk (the import).

    ``version`` of each :class:`Escritura` is the one the stored case was validated
    against; its derived fields are applied already (Escritura.de_formularios).
    guardar_caso's rules, a chunk at a time instead of a case at a time (a case at a time
    cost 14 queries a case, most of an import's time): new cases get ``usuario`` as
    propietario (their numbers are already on them, reserved by the caller); the stored
    ones are locked and their versions compared, all at once (a stale one raises
    ConflictoDeVersion with ``caso`` on it), then bumped; a case given another client takes
    its activities along (Caso.seguir_cliente); activity rows are prepared as
    Actividad.save() prepares them; every row gets its history record with ``motivo`` and
    ``usuario``. Inside the caller's transaction, in a savepoint: on any error nothing of
    the chunk is left. Overlaps are checked before it returns (ActividadSolapada).
    """
    try:
        with transaction.atomic():
            casos = _guardar_casos(escrituras, usuario, motivo)
            _guardar_filas(escrituras, usuario, motivo)
            comprobar_solapes()
    except IntegrityError as error:
        if "actividad_sin_solapes" in str(error).lower():
            raise ActividadSolapada from error
        raise
    return casos


def _guardar_casos(escrituras: list[Escritura], usuario, motivo) -> list[Caso]:
    ahora = timezone.now()
    nuevos, guardados, version_de, campos_de = [], [], {}, {}
    for escritura in escrituras:
        caso = escritura.caso
        caso.actualizado_en = ahora  # bulk_update() does not apply auto_now
        if caso.pk is None:
            caso.propietario = usuario
            nuevos.append(caso)
        else:
            guardados.append(caso)
            version_de[caso.pk] = escritura.version
            # Only what changed (fewer columns to write and index), and the next version.
            campos_de[caso.pk] = (
                *sorted(escritura.campos),
                "actualizado_en",
                "version",
            )
    if guardados:
        guardadas = _comprobar_versiones(guardados, version_de)
        for caso in guardados:
            # The rows are locked until the transaction ends: the next version goes in the
            # same UPDATE as the fields (a separate bump, as subir_version() does, wrote each
            # row and its thirty-odd index entries twice).
            caso.version = guardadas[caso.pk] + 1
        otro_cliente = [caso for caso in guardados if caso._eligio("cliente_id")]
        por_campos = defaultdict(list)
        for caso in guardados:
            por_campos[campos_de[caso.pk]].append(caso)
        for campos, casos in por_campos.items():
            bulk_update_with_history(
                casos,
                Caso,
                list(campos),
                batch_size=500,
                default_user=usuario,
                default_change_reason=motivo,
                manager=GestorMasivo(Caso),
            )
        for caso in otro_cliente:
            caso.seguir_cliente()
        for caso in guardados:
            caso._recordar_elegidos()
    if nuevos:
        bulk_create_with_history(
            nuevos, Caso, batch_size=500, default_user=usuario, default_change_reason=motivo
        )
    return [escritura.caso for escritura in escrituras]


def _comprobar_versiones(guardados: list[Caso], version_de: dict) -> dict:
    """Lock the stored cases and compare their versions with those validated (the policy
    of efactory/versiones.py); a stale one raises ConflictoDeVersion with ``caso`` on it.
    Returns the stored versions by pk."""
    actuales = dict(
        Caso.objects.select_for_update()
        .filter(pk__in=list(version_de))
        .values_list("pk", "version")
    )
    for caso in guardados:
        if versiones.desactualizada(actuales.get(caso.pk), version_de[caso.pk]):
            conflicto = versiones.ConflictoDeVersion(actuales.get(caso.pk))
            conflicto.caso = caso
            raise conflicto
    return actuales


def _guardar_filas(escrituras: list[Escritura], usuario, motivo) -> None:
    nuevas, cambiadas = [], []
    for escritura in escrituras:
        for fila in escritura.filas:
            fila.caso = escritura.caso
            fila.preparar()
            (nuevas if fila.pk is None else cambiadas).append(fila)
    if nuevas:
        bulk_create_with_history(
            nuevas, Actividad, batch_size=1000, default_user=usuario, default_change_reason=motivo
        )
    if cambiadas:
        bulk_update_with_history(
            cambiadas,
            Actividad,
            [*Actividad.CAMPOS, "minutos", "cliente"],
            batch_size=1000,
            default_user=usuario,
            default_change_reason=motivo,
            manager=GestorMasivo(Actividad),
        )
