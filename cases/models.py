"""Models of Servicio y Soporte → Casos.

Field meanings come from the original product's help page (shared/seed); they are the
``help_text`` of each field, shown as a hint beside it in the editor.
"""

import datetime
import operator
from decimal import Decimal
from functools import reduce

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, connections, models, transaction
from django.db.models import (
    Case,
    Count,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, Concat, Greatest, RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from customers.models import Cliente
from efactory import formato
from efactory.busqueda import COLACION, EnSubconsulta, Normalizado, terminos
from efactory.estatus import ConActivo, ConEstatus, campo_estatus, estatus_valido
from efactory.horas import minutos_a_horas
from efactory.masivo import HistorialMasivo
from efactory.preparadas import Preparada

NUMERO_DIGITOS = 8
# The choices aplicar_derivados() follows (by attname), and "not loaded" for them.
ELEGIDOS = ("cliente_id", "ejecutor_id")
DESCONOCIDO = object()
# Longest texts accepted (characters): a case's comments, an activity's description.
MAX_COMENTARIO = 10_000
MAX_DESCRIPCION = 2_000


class Catalogo(ConActivo, models.Model):
    """A lookup table row: a unique code, a name and an active flag."""

    codigo = models.CharField(_("código"), max_length=20, unique=True)
    nombre = models.CharField(_("nombre"), max_length=120, db_index=True, db_collation=COLACION)
    activo = models.BooleanField(_("activo"), default=True)

    class Meta:
        abstract = True
        ordering = ["nombre"]

    def __str__(self):
        return self.nombre


class Articulo(Catalogo):
    class Meta(Catalogo.Meta):
        verbose_name = _("artículo")
        verbose_name_plural = _("artículos")


class Clase(Catalogo):
    class Meta(Catalogo.Meta):
        verbose_name = _("clase")
        verbose_name_plural = _("clases")


class Grupo(Catalogo):
    class Meta(Catalogo.Meta):
        verbose_name = _("grupo")
        verbose_name_plural = _("grupos")


class Departamento(Catalogo):
    class Meta(Catalogo.Meta):
        verbose_name = _("departamento")
        verbose_name_plural = _("departamentos")


class Ejecutor(ConEstatus, models.Model):
    usuario = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ejecutor",
        verbose_name=_("usuario"),
    )
    nombre = models.CharField(_("nombre"), max_length=150, db_index=True, db_collation=COLACION)
    email = models.EmailField(_("correo electrónico"), blank=True)
    departamento = models.ForeignKey(
        Departamento,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("departamento"),
    )
    grupo = models.ForeignKey(
        Grupo, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("grupo")
    )
    estatus = campo_estatus()

    class Meta:
        verbose_name = _("ejecutor")
        verbose_name_plural = _("ejecutores")
        ordering = ["nombre"]
        constraints = [
            estatus_valido("ejecutor_estatus_valido"),
        ]

    def __str__(self):
        return self.nombre


class Secuencia(models.Model):
    """A named counter; hands out document numbers that are never reused."""

    nombre = models.CharField(max_length=40, unique=True)
    valor = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("secuencia")
        verbose_name_plural = _("secuencias")

    def __str__(self):
        return f"{self.nombre}: {self.valor}"

    @classmethod
    def reservar(cls, nombre: str, cantidad: int = 1) -> int:
        """Reserve ``cantidad`` consecutive numbers and return the first one.

        The UPDATE takes the row lock before reading, so concurrent transactions queue up
        instead of reading the same value; the counter only grows, so numbers of deleted
        rows are never handed out again. Called inside the caller's transaction, the lock
        is held until that transaction ends (and a rollback gives the numbers back unused).
        """
        with transaction.atomic():
            cls.objects.get_or_create(nombre=nombre)
            cls.objects.filter(nombre=nombre).update(valor=F("valor") + cantidad)
            ultimo = cls.objects.values_list("valor", flat=True).get(nombre=nombre)
        return ultimo - cantidad + 1


class Prioridad(models.TextChoices):
    ALTA = "alta", _("Alta")
    MEDIA = "media", _("Media")
    BAJA = "baja", _("Baja")


class Etapa(models.TextChoices):
    EN_BLANCO = "", _("En blanco")
    NO_INICIADA = "no_iniciada", _("No iniciada")
    EN_PROGRESO = "en_progreso", _("En progreso")
    COMPLETADA = "completada", _("Completada")
    PENDIENTE_DATOS = "pendiente_datos", _("Pendiente por datos")
    RETRASADA = "retrasada", _("Retrasada")
    PLANEADA = "planeada", _("Planeada")
    OTROS_1 = "otros_1", _("Otros 1")
    OTROS_2 = "otros_2", _("Otros 2")
    OTROS_3 = "otros_3", _("Otros 3")


class Origen(models.TextChoices):
    EN_BLANCO = "", _("En blanco")
    INTERNO = "interno", _("Interno")
    IDEA = "idea", _("Idea")
    REDES_SOCIALES = "redes_sociales", _("Redes sociales")
    REUNION = "reunion", _("Reunión")
    CORREO = "correo", _("Correo")
    LLAMADA = "llamada", _("Llamada")
    FAX = "fax", _("Fax")


class Complejidad(models.TextChoices):
    EN_BLANCO = "", _("En blanco")
    ALTA = "alta", _("Alta")
    MEDIA = "media", _("Media")
    BAJA = "baja", _("Baja")


def fecha_corta(fecha: datetime.date) -> str:
    """dd/mm/aaaa, through the one formatter (efactory.formato)."""
    return formato.fecha(fecha)


def orden_prioridad():
    """0 alta, 1 media, 2 baja: prioridad in order of urgency (also an index expression)."""
    return Case(
        When(prioridad=Prioridad.ALTA, then=Value(0)),
        When(prioridad=Prioridad.MEDIA, then=Value(1)),
        default=Value(2),
        output_field=models.IntegerField(),
    )


def orden_etapa():
    """Etapas in their workflow order (the order of the choices), not alphabetically."""
    return Case(
        *[When(etapa=valor, then=Value(i)) for i, valor in enumerate(Etapa.values)],
        default=Value(len(Etapa.values)),
        output_field=models.IntegerField(),
    )


class CasoQuerySet(models.QuerySet):
    def abiertos(self):
        """Cases that still need work: every etapa but completada."""
        return self.exclude(etapa=Etapa.COMPLETADA)

    def vencidos(self, hoy: datetime.date | None = None):
        """Overdue cases: still open and their F/Cierre is before today."""
        return self.abiertos().filter(fecha_cierre__lt=hoy or timezone.localdate())

    def buscar(self, consulta: str):
        """Free text over numero, asunto, comentario and the client's nombre and codigo.

        Accent- and case-insensitive; every word must appear, in the case's own text
        (``busqueda``: asunto and comentario, lower case and without accents, computed by
        the database on every write) or in its client's nombre or codigo, read from the
        client's row: a rename is found at once and no write path keeps a copy. On
        PostgreSQL each word is a BitmapOr of the trigram index on ``busqueda`` and the
        case's cliente index over the clients that the clients' own trigram indexes find.
        """
        palabras = terminos(consulta)
        if not palabras:
            return self
        condicion = Q()
        for palabra in palabras:
            condicion &= Q(busqueda__contains=palabra) | EnSubconsulta(
                F("cliente_id"), clientes_con(palabra)
            )
        # isdecimal(), not isdigit(): "፩" is a digit to Python but int() refuses it.
        numeros = [int(p) for p in palabras if p.isdecimal() and len(p) <= 18]
        if len(palabras) == 1 and numeros:
            condicion |= Q(numero=numeros[0])
        return self.filter(condicion)

    def para_lista(self):
        """What a list of cases shows: the related names, without one query per row."""
        return self.select_related("cliente", "ejecutor")

    def con_orden_prioridad(self):
        """Annotate ``prioridad_orden``: 0 alta, 1 media, 2 baja (sorts by urgency)."""
        return self.annotate(prioridad_orden=orden_prioridad())

    def proximos(self, *, agrupar: str = "ejecutor", limite: int = 5, grupos=None, ordenar=True):
        """Open cases, at most ``limite`` per group, in the order they should be executed.

        Order inside a group: nivel (highest first), prioridad (alta first), fecha_inicio,
        numero. One query. Filter the queryset before calling this: filters choose which
        cases compete for the places. ``ordenar=False`` leaves them unsorted (to count them).

        ``grupos`` (the keys of the groups wanted; None for the cases without one) lets
        PostgreSQL read each group's first ``limite`` cases straight from the open cases'
        index in work order (``caso_proximos_*_idx``): one ``LIMIT`` per group, which costs
        the same with 50 or 50,000 open cases per group. Otherwise (SQLite, or no
        ``grupos``) a window function numbers every open case of each group.
        """
        orden = [
            F("nivel").desc(),
            F("prioridad_orden").asc(),
            F("fecha_inicio").asc(),
            F("numero").asc(),
        ]
        campo = "cliente_id" if agrupar == "cliente" else "ejecutor_id"
        abiertos = self.abiertos().alias(prioridad_orden=orden_prioridad())

        def del_grupo(clave):
            return Q(**({campo: clave} if clave is not None else {f"{campo}__isnull": True}))

        if grupos is not None and not grupos:
            return self.none()
        if grupos and connections[self.db].vendor == "postgresql":
            from django.contrib.postgres.expressions import ArraySubquery

            def primeros(condicion):
                return abiertos.filter(condicion).order_by(*orden).values("pk")[:limite]

            # For each group's row, ARRAY(its first cases: one index range, LIMIT) unnested:
            # a correlated subquery, planned once and run once per group.
            tabla = self.model._meta.get_field(campo.removesuffix("_id")).related_model
            por_grupo = (
                tabla._default_manager.filter(pk__in=[c for c in grupos if c is not None])
                .annotate(
                    caso=Func(
                        ArraySubquery(primeros(Q(**{campo: OuterRef("pk")}))),
                        function="unnest",
                        output_field=models.BigIntegerField(),
                    )
                )
                .values("caso")
            )
            elegidos = Q(pk__in=por_grupo)
            if None in grupos:
                elegidos |= Q(pk__in=primeros(del_grupo(None)))
        else:
            if grupos:
                abiertos = abiertos.filter(reduce(operator.or_, map(del_grupo, grupos)))
            elegidos = (
                abiertos.annotate(
                    puesto=Window(RowNumber(), partition_by=[F(campo)], order_by=orden)
                )
                .filter(puesto__lte=limite)
                .values("pk")
            )
            elegidos = Q(pk__in=elegidos)
        # The window numbers narrow rows (keys only) inside a subquery; only the chosen cases
        # are then read whole. Numbering whole rows (with their joins) spilled a sort of every
        # open case to disk at a million cases.
        elegidos = self.model.objects.filter(elegidos)
        if not ordenar:  # to count them
            return elegidos.order_by()
        return elegidos.con_orden_prioridad().order_by(F(campo).asc(nulls_last=True), *orden)

    def completo(self):
        """Cases with everything their page shows: the nine related rows, in the same query."""
        return self.select_related(*self.model.RELACIONES)

    def con_horas(self):
        """Annotate ``minutos_total`` and ``minutos_facturables`` of each case's activities,
        read as hours through :attr:`Caso.horas_total` and :attr:`Caso.horas_facturables`.

        Correlated subqueries on the activity index: the database sums the activities of the
        rows it returns only, so a LIMIT (a client's latest cases) or a streamed export pays
        per row returned, never a GROUP BY over every activity of the filtered cases. A page
        of cases already loaded gets them from :meth:`ActividadQuerySet.horas_de` instead.
        """
        por_caso = Actividad.objects.filter(caso=OuterRef("pk")).minutos_por_caso()
        return self.annotate(
            **{
                nombre: Coalesce(Subquery(por_caso.values(nombre), output_field=IntegerField()), 0)
                for nombre in sumas_de_minutos()
            }
        )

    def con_dias(self, hoy: datetime.date | None = None):
        """Annotate ``dias_ejecucion``: :meth:`Caso.dias_en_ejecucion` computed by the database
        (an integer), to sort or export by it."""
        return self.annotate(dias_ejecucion=dias_en_ejecucion_sql(hoy))

    def resumen(self) -> dict:
        """How many cases there are and the hours of all their activities, in one query."""
        sumas = self.aggregate(
            num_casos=Count("pk", distinct=True), **sumas_de_minutos("actividades__")
        )
        return {
            "num_casos": sumas["num_casos"],
            **horas_de(sumas["minutos_total"], sumas["minutos_facturables"]),
        }


class Caso(models.Model):
    # --- Generales ---
    numero = models.PositiveBigIntegerField(
        _("documento"),
        unique=True,
        editable=False,
        help_text=_("Número del documento, asignado al crear el caso; nunca se reutiliza."),
    )
    asunto = models.CharField(
        _("asunto"),
        max_length=200,
        help_text=_(
            "Texto descriptivo del caso, claro y conciso sobre las actividades a realizar."
        ),
    )
    prioridad = models.CharField(
        _("prioridad"),
        max_length=5,
        choices=Prioridad.choices,
        default=Prioridad.MEDIA,
        help_text=_("Prioridad del caso: alta, media o baja."),
    )
    cliente = models.ForeignKey(
        "customers.Cliente",
        on_delete=models.PROTECT,
        db_index=False,  # see caso_cliente_numero_idx
        related_name="casos",
        verbose_name=_("cliente"),
        help_text=_("El cliente que requiere la ejecución del caso."),
    )
    coordinador = models.ForeignKey(
        Ejecutor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="casos_coordinados",
        verbose_name=_("coord."),
        help_text=_("El coordinador o supervisor del ejecutor del caso."),
    )
    fecha_inicio = models.DateField(
        _("F/Inicio"),
        default=timezone.localdate,
        help_text=_("Fecha de inicio planteada para la ejecución del caso."),
    )
    fecha_cierre = models.DateField(
        _("F/Cierre"),
        null=True,
        blank=True,
        help_text=_("Fecha de culminación planteada para la ejecución del caso."),
    )
    etapa = models.CharField(
        _("etapa"),
        max_length=20,
        choices=Etapa.choices,
        default=Etapa.EN_BLANCO,
        blank=True,
        help_text=_(
            "Fase en la que se encuentra la ejecución del caso; varía con el transcurso del tiempo."
        ),
    )
    avance = models.PositiveSmallIntegerField(
        _("avance"),
        default=0,
        validators=[
            MinValueValidator(0, _("El avance debe estar entre 0 y 100 %%.")),
            MaxValueValidator(100, _("El avance debe estar entre 0 y 100 %%.")),
        ],
        help_text=_("Porcentaje de avance del caso (0 a 100); varía con el transcurso del tiempo."),
    )
    articulo = models.ForeignKey(
        Articulo,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="casos",
        verbose_name=_("artículo"),
        help_text=_(
            "Clasificador de la naturaleza de las actividades del caso, "
            "según las actividades propias de la empresa."
        ),
    )
    clase = models.ForeignKey(
        Clase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="casos",
        verbose_name=_("clase"),
        help_text=_(
            "Como el artículo, categoriza los casos, pero en un orden superior de agrupación."
        ),
    )
    interno = models.BooleanField(
        _("caso interno"),
        default=False,
        help_text=_(
            "Marque si la ejecución del caso está asociada mayormente a un cliente interno."
        ),
    )
    grupo = models.ForeignKey(
        Grupo,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="casos",
        verbose_name=_("grupo"),
        help_text=_("Grupo al que pertenece el ejecutor, cuando aplica."),
    )
    contacto = models.ForeignKey(
        "customers.Contacto",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="casos",
        verbose_name=_("contacto"),
        help_text=_("Persona de contacto del cliente para este caso."),
    )
    ejecutor = models.ForeignKey(
        Ejecutor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # see caso_ejecutor_numero_idx
        related_name="casos",
        verbose_name=_("ejecutor"),
        help_text=_("La persona responsable de la ejecución del caso."),
    )
    departamento = models.ForeignKey(
        Departamento,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="casos",
        verbose_name=_("depto."),
        help_text=_("Departamento del ejecutor, cuando aplica."),
    )
    origen = models.CharField(
        _("origen"),
        max_length=20,
        choices=Origen.choices,
        default=Origen.EN_BLANCO,
        blank=True,
        help_text=_("Vía por la que se recibió el requerimiento."),
    )
    comentario = models.TextField(
        _("comentario"),
        blank=True,
        max_length=MAX_COMENTARIO,
        help_text=_("Observaciones generales referentes al caso."),
    )
    # --- Otros ---
    estimado = models.DecimalField(
        _("estimado"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"), _("El estimado no puede ser negativo."))],
        help_text=_("Tiempo en horas en el que se estima que el caso puede completarse."),
    )
    complejidad = models.CharField(
        _("complejidad"),
        max_length=5,
        choices=Complejidad.choices,
        default=Complejidad.EN_BLANCO,
        blank=True,
        help_text=_("Cuán compleja puede ser la ejecución: alta, media o baja."),
    )
    nivel = models.IntegerField(
        _("nivel"),
        default=0,
        validators=[
            MinValueValidator(-9999, _("El nivel debe estar entre -9999 y 9999.")),
            MaxValueValidator(9999, _("El nivel debe estar entre -9999 y 9999.")),
        ],
        help_text=_("Peso del caso: a mayor nivel, antes aparece en Próximos Casos a Ejecutar."),
    )
    facturable = models.BooleanField(
        _("facturable"),
        default=False,
        help_text=_("Marque si el caso completo es facturable."),
    )
    propietario = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="casos_propios",
        verbose_name=_("propietario"),
        help_text=_("El usuario que creó el caso."),
    )
    revisor = models.ForeignKey(
        Ejecutor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="casos_revisados",
        verbose_name=_("revisor"),
        help_text=_("Persona a quien se asigna la revisión del caso."),
    )
    comentario_solucion = models.TextField(
        _("comentario de la solución"),
        blank=True,
        max_length=MAX_COMENTARIO,
        help_text=_("Comentario asociado a la solución del caso."),
    )
    # Computed by the database on every write (save, bulk_create, bulk_update, update), so it
    # is never stale; the search adds the client's nombre and codigo from the client's row.
    # Stored already normalised: the trigram index is on the column itself, and checking a
    # candidate row is a plain LIKE, not f_unaccent() of its text once per word.
    busqueda = models.GeneratedField(
        expression=Normalizado(
            Concat("asunto", Value(" "), "comentario", output_field=models.TextField())
        ),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name=_("texto de búsqueda"),
        help_text=_("Asunto y comentario en minúsculas y sin acentos, para la búsqueda libre."),
    )
    completado_en = models.DateTimeField(
        _("completado en"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Cuándo pasó el caso a la etapa Completada; se borra si se reabre."),
    )
    creado_en = models.DateTimeField(_("creado en"), auto_now_add=True)
    actualizado_en = models.DateTimeField(_("actualizado en"), auto_now=True)
    version = models.PositiveIntegerField(_("versión"), default=1, editable=False)

    # The nine lookups a whole case shows (its page, the conflict panel) and the admin finds
    # with autocomplete: one list, so a new relation is added in one place.
    RELACIONES = (
        "cliente",
        "contacto",
        "coordinador",
        "ejecutor",
        "revisor",
        "articulo",
        "clase",
        "grupo",
        "departamento",
    )
    # The Otros section, in its order (the editor's form, the admin's fieldset).
    CAMPOS_OTROS = (
        "estimado",
        "complejidad",
        "nivel",
        "facturable",
        "revisor",
        "comentario_solucion",
    )

    objects = CasoQuerySet.as_manager()
    history = HistoricalRecords(
        excluded_fields=["busqueda", "actualizado_en"],
        verbose_name=_("historial de caso"),
        history_manager=HistorialMasivo,
        # The history is read by case (id) and date: an index per lookup column, as
        # simple-history makes by default, only cost each write (eleven of them a record).
        no_db_index=["numero", "propietario", *RELACIONES],
    )

    class Meta:
        verbose_name = _("caso")
        verbose_name_plural = _("casos")
        ordering = ["-numero"]
        permissions = [
            ("exportar_caso", _("Puede exportar casos")),
            ("importar_caso", _("Puede importar casos")),
            ("editar_lote_caso", _("Puede modificar casos en lote (seguimiento)")),
        ]
        # The list sorts by (key, numero) in one direction and filters then sorts by numero:
        # each of these serves one sort key or one filter without sorting the table.
        indexes = [
            models.Index(fields=["fecha_inicio", "numero"], name="caso_fecha_inicio_idx"),
            models.Index(fields=["fecha_cierre"], name="caso_fecha_cierre_idx"),
            models.Index(fields=["prioridad", "numero"], name="caso_prioridad_idx"),
            models.Index(fields=["etapa", "numero"], name="caso_etapa_idx"),
            models.Index(fields=["origen"], name="caso_origen_idx"),
            models.Index(fields=["complejidad"], name="caso_complejidad_idx"),
            models.Index(fields=["nivel", "numero"], name="caso_nivel_idx"),
            models.Index(fields=["avance", "numero"], name="caso_avance_idx"),
            models.Index(fields=["cliente", "numero"], name="caso_cliente_numero_idx"),
            models.Index(fields=["ejecutor", "numero"], name="caso_ejecutor_numero_idx"),
            models.Index(orden_prioridad(), "numero", name="caso_orden_prioridad_idx"),
            models.Index(orden_etapa(), "numero", name="caso_orden_etapa_idx"),
            # Próximos: each group's open cases in work order (CasoQuerySet.proximos).
            *[
                models.Index(
                    campo,
                    F("nivel").desc(),
                    orden_prioridad(),
                    "fecha_inicio",
                    "numero",
                    condition=~Q(etapa=Etapa.COMPLETADA),
                    name=f"caso_proximos_{campo}_idx",
                )
                for campo in ("ejecutor", "cliente")
            ],
            # The charts: cases completed per period.
            models.Index(fields=["completado_en"], name="caso_completado_idx"),
            # Inicio: the team's open cases in work order, and the overdue ones (open, by
            # F/Cierre), everyone's and each ejecutor's.
            models.Index(
                F("nivel").desc(),
                orden_prioridad(),
                "fecha_inicio",
                "numero",
                condition=~Q(etapa=Etapa.COMPLETADA),
                name="caso_proximos_idx",
            ),
            *[
                models.Index(
                    *campos,
                    "fecha_cierre",
                    "numero",
                    condition=~Q(etapa=Etapa.COMPLETADA) & Q(fecha_cierre__isnull=False),
                    name=nombre,
                )
                for campos, nombre in (
                    ((), "caso_vencidos_idx"),
                    (("ejecutor",), "caso_vencidos_ejecutor_idx"),
                )
            ],
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(avance__gte=0) & Q(avance__lte=100), name="caso_avance_0_100"
            ),
            models.CheckConstraint(
                condition=Q(fecha_cierre__isnull=True) | Q(fecha_cierre__gte=F("fecha_inicio")),
                name="caso_cierre_no_antes_de_inicio",
            ),
            models.CheckConstraint(condition=Q(estimado__gte=0), name="caso_estimado_no_negativo"),
            models.CheckConstraint(
                condition=Q(prioridad__in=Prioridad.values), name="caso_prioridad_valida"
            ),
            models.CheckConstraint(condition=Q(etapa__in=Etapa.values), name="caso_etapa_valida"),
            models.CheckConstraint(
                condition=Q(origen__in=Origen.values), name="caso_origen_valido"
            ),
            models.CheckConstraint(
                condition=Q(complejidad__in=Complejidad.values), name="caso_complejidad_valida"
            ),
        ]

    def __str__(self):
        return f"{self.documento} · {self.asunto}"

    def save(self, *args, **kwargs):
        if not self.numero:
            self.numero = Secuencia.reservar("caso")
        otro_cliente = not self._state.adding and self._eligio("cliente_id")
        super().save(*args, **kwargs)
        if otro_cliente:
            self.seguir_cliente()
        self._recordar_elegidos()

    def get_absolute_url(self):
        return reverse("cases:caso_detail", args=[self.pk])

    def seguir_cliente(self):
        """The activities carry their case's client (Actividad.cliente): follow a new one."""
        self.actividades.exclude(cliente_id=self.cliente_id).update(cliente_id=self.cliente_id)

    @classmethod
    def from_db(cls, db, field_names, values):
        caso = super().from_db(db, field_names, values)
        caso._recordar_elegidos()
        return caso

    def _recordar_elegidos(self):
        """Remember the cliente and ejecutor as stored: aplicar_derivados() acts on a change."""
        self._elegidos = {a: self.__dict__[a] for a in ELEGIDOS if a in self.__dict__}

    def _eligio(self, attname: str) -> bool:
        """Whether this write chooses ``attname`` (a new case, or another value than stored)."""
        if self._state.adding:
            return True
        guardado = getattr(self, "_elegidos", {}).get(attname, DESCONOCIDO)
        return guardado != getattr(self, attname)

    def aplicar_derivados(self, ahora: datetime.datetime | None = None) -> set[str]:
        """Set the fields that follow from others; return the names of those it changed.

        The one place of these rules: every write path (the editor, quick add, the bulk
        follow-up, the Django admin) calls it just before saving.

        * Etapa ``completada``: avance becomes 100 and ``completado_en`` records the moment
          (``ahora``, by default now) unless it is already set. Any other etapa clears
          ``completado_en``: the case was reopened.
        * An ejecutor chosen in this write (on a new case, or another one than stored) fills
          an empty Grupo and Depto. from that ejecutor.
        * A cliente chosen in this write that is ``interno`` ticks Caso interno.

        Only a *chosen* ejecutor or cliente fills anything, so a later deliberate edit
        (clearing Grupo, unticking Caso interno) is kept as long as they stay the same.
        """
        cambiados = set()
        if self.etapa == Etapa.COMPLETADA:
            if self.avance != 100:
                self.avance = 100
                cambiados.add("avance")
            if self.completado_en is None:
                self.completado_en = ahora or timezone.now()
                cambiados.add("completado_en")
        elif self.completado_en is not None:
            self.completado_en = None
            cambiados.add("completado_en")
        if self.ejecutor_id and self._eligio("ejecutor_id"):
            for campo in ("grupo", "departamento"):
                valor = getattr(self.ejecutor, f"{campo}_id")
                if getattr(self, f"{campo}_id") is None and valor is not None:
                    setattr(self, f"{campo}_id", valor)
                    cambiados.add(campo)
        if self.cliente_id and not self.interno and self._eligio("cliente_id"):
            if self.cliente.interno:
                self.interno = True
                cambiados.add("interno")
        return cambiados

    def validate_constraints(self, exclude=None):
        """Skip the per-constraint database round trips of full_clean().

        Every CHECK constraint of Caso is also a field validator, a choices check or a rule
        of clean(), which report the same errors in Python; the database still enforces the
        constraints on write.
        """

    @property
    def documento(self) -> str:
        """The document number as people read it: zero-padded."""
        return str(self.numero).zfill(NUMERO_DIGITOS) if self.numero else "—"

    def clean(self):
        """Rules about one case: its dates in order, its contact belongs to its client."""
        errors = {}
        if self.fecha_inicio and self.fecha_cierre and self.fecha_cierre < self.fecha_inicio:
            errors["fecha_cierre"] = _(
                "La fecha de cierre debe ser igual o posterior a la fecha de inicio (%(inicio)s)."
            ) % {"inicio": fecha_corta(self.fecha_inicio)}
        if self.contacto_id and self.cliente_id and self.contacto.cliente_id != self.cliente_id:
            errors["contacto"] = _("El contacto seleccionado no pertenece al cliente del caso.")
        if errors:
            raise ValidationError(errors)

    def dias_en_ejecucion(self, hoy: datetime.date | None = None) -> int:
        """Días en ejecución: days from fecha_inicio to today, or to fecha_cierre once
        completada; 0 before the start.

        The rule for one case in memory; :func:`dias_en_ejecucion_sql` is the same rule for
        the database (tests hold the two equal at every boundary).
        """
        hoy = hoy or timezone.localdate()
        fin = self.fecha_cierre if self.etapa == Etapa.COMPLETADA and self.fecha_cierre else hoy
        return max((fin - self.fecha_inicio).days, 0)

    @property
    def dias(self) -> int:
        return self.dias_en_ejecucion()

    def esta_vencido(self, hoy: datetime.date | None = None) -> bool:
        """Open and past its F/Cierre (the rule of :meth:`CasoQuerySet.vencidos`)."""
        hoy = hoy or timezone.localdate()
        return (
            self.etapa != Etapa.COMPLETADA and bool(self.fecha_cierre) and self.fecha_cierre < hoy
        )

    @property
    def vencido(self) -> bool:
        return self.esta_vencido()

    def totales(self) -> dict:
        """Total and billable hours of its activities (``horas``, ``horas_facturables``).

        From the minutes :meth:`CasoQuerySet.con_horas` or :meth:`ActividadQuerySet.horas_de`
        loaded with the case; otherwise one aggregate query.
        """
        if "minutos_total" in self.__dict__:
            return horas_de(self.minutos_total, self.minutos_facturables)
        sumas = self.actividades.aggregate(**sumas_de_minutos())
        return horas_de(sumas["minutos_total"], sumas["minutos_facturables"])

    @property
    def horas_total(self) -> Decimal:
        return self.totales()["horas"]

    def frente_al_estimado(self, horas: Decimal) -> dict | None:
        return frente_al_estimado(self.estimado, horas)

    @property
    def horas_facturables(self) -> Decimal:
        return self.totales()["horas_facturables"]


class DiasEntre(models.Func):
    """Whole days from the second date to the first, as an integer, on both databases."""

    arg_joiner = " - "
    template = "(%(expressions)s)"  # PostgreSQL: date - date is a number of days
    output_field = models.IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


def frente_al_estimado(estimado: Decimal | None, horas: Decimal) -> dict | None:
    """A case's hours against its Estimado (the seed's Otros section: "para efectuar
    estimaciones de ejecución"): ``diferencia`` = horas − estimado (positive: over the
    estimate), ``excedido`` when over it. None when there is no estimate."""
    if not estimado:
        return None
    diferencia = horas - estimado
    return {"estimado": estimado, "diferencia": diferencia, "excedido": diferencia > 0}


def dias_en_ejecucion_sql(hoy: datetime.date | None = None):
    """:meth:`Caso.dias_en_ejecucion` as a database expression (an integer): the days to
    today, or to fecha_cierre once completada; 0 before the start."""
    hasta = Case(
        When(etapa=Etapa.COMPLETADA, fecha_cierre__isnull=False, then=F("fecha_cierre")),
        default=Value(hoy or timezone.localdate()),
        output_field=models.DateField(),
    )
    return Greatest(DiasEntre(hasta, F("fecha_inicio")), Value(0))


def sumas_de_minutos(prefijo: str = "") -> dict:
    """A case's hours as aggregates: total and billable minutes of activities.

    ``prefijo`` reaches the activities from another model (``"actividades__"`` from Caso).
    The one definition behind :meth:`CasoQuerySet.con_horas`, :meth:`CasoQuerySet.resumen`
    and :class:`ActividadQuerySet`; :func:`totales_de` adds up rows already in memory.
    """
    return {
        "minutos_total": Sum(f"{prefijo}minutos", default=0),
        "minutos_facturables": Sum(
            f"{prefijo}minutos", filter=Q(**{f"{prefijo}facturable": True}), default=0
        ),
    }


def horas_de(minutos_total: int | None, minutos_facturables: int | None) -> dict:
    """Total and billable minutes as the hours pages show (``horas``, ``horas_facturables``)."""
    return {
        "horas": minutos_a_horas(minutos_total),
        "horas_facturables": minutos_a_horas(minutos_facturables),
    }


def totales_de(actividades) -> dict:
    """Total and billable hours of activity rows already loaded (the editor's rows): what
    :func:`sumas_de_minutos` adds up in SQL, without a query."""
    total = facturable = 0
    for actividad in actividades:
        total += actividad.minutos
        if actividad.facturable:
            facturable += actividad.minutos
    return horas_de(total, facturable)


def clientes_con(palabra: str):
    """The pks of the clients whose nombre or codigo contains ``palabra`` (normalised).

    Compared as ``f_unaccent(lower(col))``, the expression of the clients' trigram indexes.
    """
    return (
        Cliente.objects.alias(nombre_n=Normalizado("nombre"), codigo_n=Normalizado("codigo"))
        .filter(Q(nombre_n__contains=palabra) | Q(codigo_n__contains=palabra))
        .order_by()
        .values("pk")
    )


def minutos_entre(inicio: datetime.time, fin: datetime.time) -> int:
    return (fin.hour * 60 + fin.minute) - (inicio.hour * 60 + inicio.minute)


class ActividadQuerySet(models.QuerySet):
    def minutos_por_caso(self):
        """Total and billable minutes of these activities per case: ``values("caso")`` rows
        with ``minutos_total`` and ``minutos_facturables``, in one grouped query."""
        return self.order_by().values("caso").annotate(**sumas_de_minutos())

    def horas_de(self, casos) -> list:
        """Give each of ``casos`` (one page, already loaded) its total and billable hours.

        One grouped query over the activities of those cases only: annotating the filtered
        queryset instead would make the database sum the activities of every matching case
        (a million of them) to show one page. Returns the cases as a list.
        """
        casos = list(casos)
        por_caso = {}
        if casos:
            pks = [caso.pk for caso in casos]
            if self.query.has_filters():
                filas = _minutos_de_casos(pks, self).values_list(*COLUMNAS_MINUTOS)
            else:
                # Every list page asks: its SQL is compiled once per page size.
                filas = MINUTOS_DE_CASOS.filas(pks, using=self.db)
            por_caso = {pk: (total, facturables) for pk, total, facturables in filas}
        for caso in casos:
            caso.minutos_total, caso.minutos_facturables = por_caso.get(caso.pk, (0, 0))
        return casos


COLUMNAS_MINUTOS = ("caso", "minutos_total", "minutos_facturables")


def _minutos_de_casos(pks, actividades=None):
    """The activities' total and billable minutes of the cases ``pks``, per case."""
    actividades = Actividad.objects.all() if actividades is None else actividades
    return actividades.filter(caso__in=pks).minutos_por_caso()


# (caso, minutos_total, minutos_facturables) of some cases; the SQL's parameters are the two
# sums' default (0) and the keys.
MINUTOS_DE_CASOS = Preparada(
    lambda pks: _minutos_de_casos(pks).values_list(*COLUMNAS_MINUTOS),
    parametros=lambda pks: [0, 0, *pks],
)


class Actividad(models.Model):
    caso = models.ForeignKey(
        Caso,
        on_delete=models.CASCADE,
        db_index=False,  # see actividad_caso_fecha_idx
        related_name="actividades",
        verbose_name=_("caso"),
    )
    fecha = models.DateField(
        _("fecha"),
        help_text=_("Fecha de la actividad; debe estar entre el inicio y el cierre del caso."),
    )
    hora_inicio = models.TimeField(_("H/Inicio"), help_text=_("Hora de inicio de la actividad."))
    hora_fin = models.TimeField(_("H/Fin"), help_text=_("Hora de culminación de la actividad."))
    descripcion = models.TextField(
        _("actividad"),
        max_length=MAX_DESCRIPCION,
        help_text=_("Descripción específica de la actividad desarrollada."),
    )
    ejecutor = models.ForeignKey(
        Ejecutor,
        on_delete=models.PROTECT,
        db_index=False,  # see actividad_ejecutor_fecha_idx
        related_name="actividades",
        verbose_name=_("ejecutor"),
        help_text=_("Quién ejecutó la actividad; por lo general, el ejecutor del caso."),
    )
    facturable = models.BooleanField(
        _("fact."),
        default=False,
        help_text=_("Marque si las horas de la actividad son facturables."),
    )
    articulo = models.ForeignKey(
        Articulo,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actividades",
        verbose_name=_("artículo"),
        help_text=_("Clasificador de la actividad, con el mismo significado que en el caso."),
    )
    minutos = models.PositiveIntegerField(
        _("minutos"), default=0, editable=False, help_text=_("Duración, calculada de las horas.")
    )
    # The case's client, copied so that the reports group a year of activities by client
    # without joining a million cases (the charts' hours by client: 460 → see README). Set by
    # save() from the case, and by Caso.save() on every activity when the case's client
    # changes; bulk paths (the demo) set it themselves. Not in the history.
    cliente = models.ForeignKey(
        Cliente,
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        db_index=False,  # see actividad_cliente_fecha_idx
        related_name="+",
        verbose_name=_("cliente"),
    )

    # The fields of a row, in the order of the editor's columns (its form, the admin inline).
    CAMPOS = (
        "fecha",
        "hora_inicio",
        "hora_fin",
        "descripcion",
        "ejecutor",
        "facturable",
        "articulo",
    )

    objects = ActividadQuerySet.as_manager()
    history = HistoricalRecords(
        verbose_name=_("historial de actividad"),
        excluded_fields=["cliente"],
        history_manager=HistorialMasivo,
        no_db_index=["ejecutor", "articulo"],  # read by case (caso_id) and date
    )

    class Meta:
        verbose_name = _("actividad")
        verbose_name_plural = _("actividades")
        ordering = ["fecha", "hora_inicio", "pk"]
        indexes = [
            models.Index(fields=["caso", "fecha", "hora_inicio"], name="actividad_caso_fecha_idx"),
            models.Index(fields=["fecha"], name="actividad_fecha_idx"),
            # An ejecutor's day across cases: the overlap rule reads it on every save.
            models.Index(fields=["ejecutor", "fecha"], name="actividad_ejecutor_fecha_idx"),
            # A client's hours by date (the charts' top clients, month by month).
            models.Index(fields=["cliente", "fecha"], name="actividad_cliente_fecha_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(hora_fin__gt=F("hora_inicio")), name="actividad_hora_fin_posterior"
            ),
        ]

    def __str__(self):
        horas = f"{self.hora_inicio:%H:%M}–{self.hora_fin:%H:%M}"
        return f"{fecha_corta(self.fecha)} {horas} {self.descripcion[:40]}"

    def save(self, *args, **kwargs):
        self.preparar()
        super().save(*args, **kwargs)

    def preparar(self):
        """What every write of a row sets (save(), and the import's bulk writes): its
        minutes, and its case's client."""
        self.calcular_minutos()
        if self.caso_id is not None:
            self.cliente_id = self.caso.cliente_id

    @property
    def horas(self) -> Decimal:
        return minutos_a_horas(self.minutos)

    def clean(self):
        if self.hora_inicio and self.hora_fin and self.hora_fin <= self.hora_inicio:
            raise ValidationError(
                {
                    "hora_fin": _(
                        "La hora de fin debe ser posterior a la hora de inicio (%(inicio)s)."
                    )
                    % {"inicio": formato.hora(self.hora_inicio)}
                }
            )

    def validate_constraints(self, exclude=None):
        """Skip full_clean()'s per-constraint check (Django builds a query for it, even when
        it then skips it: 0.5 ms a row, a fifth of an import's validation).

        The one CHECK constraint (hora_fin after hora_inicio) is clean()'s rule, which reports
        the same error in Python; the database still enforces it on write.
        """

    def calcular_minutos(self):
        if self.hora_inicio and self.hora_fin:
            self.minutos = max(minutos_entre(self.hora_inicio, self.hora_fin), 0)


class EnvioFormulario(models.Model):
    """A one-time token of an editor or quick-add page: one submission, one save.

    The page carries a fresh token; the save that uses it inserts this row in the same
    transaction as the case (for an edit, before the version check). A second submission of
    the same page (a double click, a resubmit after Back, a retry on a slow network) finds
    the token taken, by the unique index even when both arrive at once, and is sent to the
    case the first one saved.
    """

    token = models.UUIDField(_("token"), unique=True)
    caso = models.ForeignKey(
        Caso,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("caso"),
    )
    creado_en = models.DateTimeField(_("creado en"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("envío de formulario")
        verbose_name_plural = _("envíos de formulario")

    def __str__(self):
        return str(self.token)


class Importacion(models.Model):
    """One file brought in by /casos/importar/ (or validated there): who, when, what.

    The file itself is kept (``archivo``) so that *Importar*, a second request that any
    instance of the app may serve, validates and writes exactly what was previewed, and so
    that the errors can be downloaded in the file's own format.
    """

    class Estado(models.TextChoices):
        VALIDANDO = "validando", _("Validando")
        CON_ERRORES = "con_errores", _("Con errores")
        VALIDADA = "validada", _("Lista para importar")
        IMPORTANDO = "importando", _("Importando")
        IMPORTADA = "importada", _("Importada")

    EN_CURSO = (Estado.VALIDANDO, Estado.IMPORTANDO)

    usuario = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("usuario"),
    )
    creado_en = models.DateTimeField(_("creada en"), auto_now_add=True, db_index=True)
    importado_en = models.DateTimeField(_("importada en"), null=True, blank=True)
    # Who pressed Importar (or Validar de nuevo): the Historial's author of what it wrote.
    importado_por = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("importada por"),
    )
    nombre = models.CharField(_("archivo"), max_length=255)
    archivo = models.BinaryField(_("contenido"), editable=False)
    estado = models.CharField(_("estado"), max_length=12, choices=Estado.choices)
    filas_casos = models.PositiveIntegerField(_("filas de casos"), default=0)
    filas_actividades = models.PositiveIntegerField(_("filas de actividades"), default=0)
    creados = models.PositiveIntegerField(_("creados"), default=0)
    actualizados = models.PositiveIntegerField(_("actualizados"), default=0)
    sin_cambios = models.PositiveIntegerField(_("sin cambios"), default=0)
    # Every error as [hoja, fila, columna, mensaje] (cases.importacion.Error).
    errores = models.JSONField(_("errores"), default=list, blank=True)
    segundos = models.FloatField(_("segundos"), default=0)
    # While it runs in the background (cases/tareas.py): rows done of the Casos sheet, their
    # total where the file says it, and when it last reported (a run that stops reporting
    # was interrupted: its server restarted).
    procesadas = models.PositiveIntegerField(_("filas procesadas"), default=0)
    total = models.PositiveIntegerField(_("filas en total"), null=True, blank=True)
    latido = models.DateTimeField(_("último avance"), null=True, blank=True)
    casos = models.ManyToManyField(
        Caso, related_name="importaciones", blank=True, verbose_name=_("casos")
    )

    class Meta:
        verbose_name = _("importación")
        verbose_name_plural = _("importaciones")
        ordering = ["-creado_en", "-pk"]

    def __str__(self):
        return f"{self.nombre} ({self.get_estado_display()})"

    def get_absolute_url(self):
        return reverse("cases:importacion", args=[self.pk])

    # A run that has not reported for this long stopped (a chunk of cases takes seconds).
    SIN_LATIDO = datetime.timedelta(minutes=2)
    SIN_LATIDO_SQLITE = datetime.timedelta(minutes=30)

    @property
    def interrumpida(self) -> bool:
        """Validating or importing, but its server stopped reporting: the run was cut (a
        restart). An import's transaction was rolled back with it: nothing was written."""
        if self.estado not in self.EN_CURSO:
            return False
        ultimo = self.latido or self.creado_en
        limite = self.SIN_LATIDO
        if self.estado == self.Estado.IMPORTANDO and connection.vendor == "sqlite":
            limite = self.SIN_LATIDO_SQLITE  # no progress while it writes (cases/tareas.py)
        return ultimo is not None and timezone.now() - ultimo > limite

    @property
    def porcentaje(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.procesadas / self.total))
