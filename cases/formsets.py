"""The Actividades inline formset and its cross-row rules."""

import datetime
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from efactory import formato
from efactory.claves import es_pk
from efactory.formsets import BaseFilasFormSet, ConteosDelServidor, FilasDadas

from .forms import ActividadForm, CompartidaModelChoiceField, OpcionesCompartidas
from .models import NUMERO_DIGITOS, Actividad, Articulo, Caso, Ejecutor, fecha_corta

MAX_ACTIVIDADES = 2000
DEL_CASO = object()  # sentinel: "use the value of the case instance"


class BaseActividadFormSet(BaseFilasFormSet):
    """Activities of one case.

    ``fecha_inicio``/``fecha_cierre``/``ejecutor`` are the case values *submitted in the same
    request* (the view passes them after validating the case form), so the date window is
    checked against what the user is saving, not against what is stored.
    """

    mensaje_alterado = _lazy("Los renglones de actividades llegaron alterados; recargue la página.")
    mensaje_fila_ajena = _lazy("Esta actividad ya no existe o es de otro caso; recargue la página.")

    def __init__(
        self,
        *args,
        fecha_inicio=DEL_CASO,
        fecha_cierre=DEL_CASO,
        ejecutor_caso=DEL_CASO,
        ejecutores_del_caso=(),
        articulos_del_caso=(),
        filas=None,
        catalogo=None,
        agenda=None,
        **kwargs,
    ):
        # The import validates thousands of cases: it hands over each case's stored rows
        # (``filas``), the ejecutores and artículos (``catalogo``) and the other cases'
        # rows (``agenda``), each loaded once for many cases, instead of a query per case.
        if filas is not None:
            self._queryset = filas
            kwargs["queryset"] = FilasDadas()
        if catalogo is not None:
            # One copy of the row fields for the whole import (efactory/formsets.py).
            self._campos_de_la_fila = catalogo.campos_de_fila
        self._catalogo = catalogo
        self._agenda = agenda
        super().__init__(*args, **kwargs)
        self._fecha_inicio = fecha_inicio
        self._fecha_cierre = fecha_cierre
        self._ejecutor_caso = ejecutor_caso
        self._compartir_opciones(set(ejecutores_del_caso), set(articulos_del_caso))

    @cached_property
    def management_form(self):
        if self._catalogo is None or not self.is_bound:
            return super().management_form
        # The import wrote the counts itself (Importador._datos_formset).
        p = self.prefix
        return ConteosDelServidor(
            int(self.data[f"{p}-TOTAL_FORMS"]), int(self.data[f"{p}-INITIAL_FORMS"]), self.max_num
        )

    # Without explicit values (the Django admin's inline), read them from the case the formset
    # is built on when validating: the admin fills that instance with the submitted data
    # after building the formset.
    @property
    def fecha_inicio(self):
        return self.instance.fecha_inicio if self._fecha_inicio is DEL_CASO else self._fecha_inicio

    @property
    def fecha_cierre(self):
        return self.instance.fecha_cierre if self._fecha_cierre is DEL_CASO else self._fecha_cierre

    @property
    def ejecutor_caso(self):
        return self.instance.ejecutor if self._ejecutor_caso is DEL_CASO else self._ejecutor_caso

    modelo_padre = Caso
    form_fila = ActividadForm
    max_filas = MAX_ACTIVIDADES
    # Rows come in chronological order (the model's); related names without a query per row.
    relacionadas = ("ejecutor", "articulo")

    def _compartir_opciones(self, ejecutores_del_caso, articulos_del_caso):
        """Evaluate the ejecutor and articulo choices once for every row.

        ``ejecutores_del_caso`` and ``articulos_del_caso`` are ids the case form shows
        (its coordinador, ejecutor, revisor, articulo): loaded in the same query, kept in
        ``self.ejecutores`` and ``self.articulos`` for it (CasoForm.usar_opciones), but
        offered to the rows only when active.
        """
        # Rows already saved may point to an executor or article deactivated since: keep
        # those too. Their ids come from the rows this formset loads anyway (no join over
        # every activity of the database).
        filas = self.get_queryset() if self.instance.pk else []
        usados_ej = {fila.ejecutor_id for fila in filas}
        usados_art = {fila.articulo_id for fila in filas} - {None}
        if self._catalogo is not None:
            # The import: no page to draw, the options of these stored rows from the catalog.
            self.ejecutores = self.articulos = []
            self.opciones_ejecutor, self.opciones_articulo = self._catalogo.opciones(
                usados_ej, usados_art
            )
        else:
            # Only the rows the page shows or the submission names, never the whole tables:
            # the editor costs the same with 40 ejecutores or 400 (issue 11).
            self.ejecutores = list(
                Ejecutor.objects.filter(
                    pk__in=usados_ej | ejecutores_del_caso | self._enviados("ejecutor")
                ).order_by("nombre")
            )
            self.articulos = list(
                Articulo.objects.filter(
                    pk__in=usados_art | articulos_del_caso | self._enviados("articulo")
                ).order_by("nombre")
            )
            self.opciones_ejecutor, self.opciones_articulo = opciones_de_filas(
                self.ejecutores, self.articulos, usados_ej, usados_art, respaldo=True
            )
        # The import draws no page: no template row for JavaScript to copy.
        plantilla = [] if self._catalogo is not None else [self.empty_form]
        for form in [*self.forms, *plantilla]:
            self._preparar(form)

    def _enviados(self, campo: str) -> set:
        """The keys the submission names in the rows' ``campo`` (``actividades-3-ejecutor``)."""
        if not self.is_bound:
            return set()
        inicio, fin = f"{self.prefix}-", f"-{campo}"
        return {
            int(valor)
            for clave, valor in self.data.items()
            if clave.startswith(inicio) and clave.endswith(fin) and es_pk(valor)
        }

    def _preparar(self, form):
        for name, opciones in (
            ("ejecutor", self.opciones_ejecutor),
            ("articulo", self.opciones_articulo),
        ):
            field = form.fields.get(name)
            if isinstance(field, CompartidaModelChoiceField):
                field.compartir(opciones)

    @property
    def empty_form(self):
        form = super().empty_form
        if hasattr(self, "opciones_ejecutor"):
            self._preparar(form)
        return form

    def filas_vivas(self):
        """Forms that will be saved: valid, changed or existing, not marked for deletion."""
        for form in self.forms:
            if not hasattr(form, "cleaned_data"):
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            if form.instance.pk is None and not form.has_changed():
                continue
            yield form

    def clean(self):
        """Rules across rows: date window of the case, an executor, no overlapping hours."""
        super().clean()
        if self.instance.pk and set(self._filas_por_pk()) - {
            form.instance.pk for form in self.initial_forms
        }:
            # A stored row missing from the submission would escape the date and overlap
            # rules below, and be kept as it is: a page always sends every stored row.
            raise ValidationError(self.mensaje_alterado, code="missing_management_form")
        # Rows with field errors still get the checks their clean fields allow, so every
        # wrong row is marked in one round trip.
        filas = list(self.filas_vivas())
        for form in filas:
            self._asignar_ejecutor(form)
            self._validar_ventana(form)
        self._validar_solapes(filas)
        self._validar_otros_casos(filas)

    def _asignar_ejecutor(self, form):
        if form.cleaned_data.get("ejecutor") or "ejecutor" in form.errors:
            return
        if self.ejecutor_caso is not None:
            form.cleaned_data["ejecutor"] = self.ejecutor_caso
            form.instance.ejecutor = self.ejecutor_caso
        else:
            form.add_error("ejecutor", _("Indique el ejecutor de la actividad."))

    def _validar_ventana(self, form):
        fecha = form.cleaned_data.get("fecha")
        if not fecha or "fecha" in form.errors:
            return
        inicio, cierre = self.fecha_inicio, self.fecha_cierre
        if inicio and cierre and not (inicio <= fecha <= cierre):
            form.add_error(
                "fecha",
                _("La fecha debe estar entre el %(inicio)s (F/Inicio) y el %(cierre)s (F/Cierre).")
                % {"inicio": fecha_corta(inicio), "cierre": fecha_corta(cierre)},
            )
        elif inicio and fecha < inicio:
            form.add_error(
                "fecha",
                _("La fecha no puede ser anterior al %(inicio)s (F/Inicio del caso).")
                % {"inicio": fecha_corta(inicio)},
            )
        elif cierre and fecha > cierre:
            form.add_error(
                "fecha",
                _("La fecha no puede ser posterior al %(cierre)s (F/Cierre del caso).")
                % {"cierre": fecha_corta(cierre)},
            )

    def _validar_solapes(self, filas):
        """Two rows of one executor on one day must not overlap (touching ends is fine)."""
        por_dia = defaultdict(list)
        for form in filas:
            data = form.cleaned_data
            if form.errors or not all(
                data.get(k) for k in ("fecha", "hora_inicio", "hora_fin", "ejecutor")
            ):
                continue
            if data["hora_fin"] <= data["hora_inicio"]:
                continue
            por_dia[(data["ejecutor"].pk, data["fecha"])].append(form)
        for forms_dia in por_dia.values():
            forms_dia.sort(
                key=lambda f: (f.cleaned_data["hora_inicio"], f.cleaned_data["hora_fin"])
            )
            # The hours of the row that ends last so far, kept as values: add_error() below
            # removes hora_inicio from the cleaned_data of the row it marks.
            inicio_anterior: datetime.time | None = None
            fin_anterior: datetime.time | None = None
            for form in forms_dia:
                data = form.cleaned_data
                inicio, fin = data["hora_inicio"], data["hora_fin"]
                if fin_anterior is not None and inicio < fin_anterior:
                    form.add_error(
                        "hora_inicio",
                        _(
                            "Se solapa con otra actividad de %(ejecutor)s el %(fecha)s "
                            "(%(inicio)s–%(fin)s)."
                        )
                        % {
                            "ejecutor": data["ejecutor"].nombre,
                            "fecha": fecha_corta(data["fecha"]),
                            "inicio": formato.hora(inicio_anterior),
                            "fin": formato.hora(fin_anterior),
                        },
                    )
                if fin_anterior is None or fin > fin_anterior:
                    inicio_anterior, fin_anterior = inicio, fin

    def _validar_otros_casos(self, filas):
        """An ejecutor cannot be in two places at once: no overlap with rows of other cases.

        One query reads the other cases' rows of the executors and days being saved (index
        actividad_ejecutor_fecha_idx); the database refuses what slips past it in a race
        (constraint or triggers actividad_sin_solapes, see migration 0009).
        """
        # Only new and changed rows: an unchanged stored row is as the database took it, and
        # the database lets no row overlap another (saving one row of 500 read the other
        # cases' rows of all 500 days).
        candidatas = [
            form
            for form in filas
            if not form.errors
            and (form.instance.pk is None or form.has_changed())
            and all(
                form.cleaned_data.get(k) for k in ("fecha", "hora_inicio", "hora_fin", "ejecutor")
            )
            and form.cleaned_data["hora_inicio"] < form.cleaned_data["hora_fin"]
        ]
        if not candidatas:
            return
        ejecutores = {form.cleaned_data["ejecutor"].pk for form in candidatas}
        fechas = {form.cleaned_data["fecha"] for form in candidatas}
        if self._agenda is not None:
            por_dia = self._agenda.otras_filas(self.instance, ejecutores, fechas)
        else:
            por_dia = otras_filas(self.instance.pk, ejecutores, fechas)
        for form in candidatas:
            data = form.cleaned_data
            for inicio, fin, numero in por_dia.get((data["ejecutor"].pk, data["fecha"]), ()):
                if inicio < data["hora_fin"] and data["hora_inicio"] < fin:
                    form.add_error(
                        "hora_inicio",
                        mensaje_cruce(data["ejecutor"].nombre, data["fecha"], inicio, fin, numero),
                    )
                    break


def opciones_de_filas(ejecutores, articulos, usados_ej: set, usados_art: set, respaldo=False):
    """The ejecutor and artículo choices of a case's rows: the active ones, plus those its
    stored rows already use (an inactive ejecutor stays valid on the rows that have it).

    ``respaldo``: ``ejecutores`` and ``articulos`` may not hold every row a submission
    names; one outside them is looked up under the same rule when asked for.
    """
    activo_ej = Ejecutor.ACTIVOS | Q(pk__in=usados_ej)
    activo_art = Articulo.ACTIVOS | Q(pk__in=usados_art)
    return (
        OpcionesCompartidas(
            (e for e in ejecutores if e.esta_activo() or e.pk in usados_ej),
            respaldo=(lambda pk: Ejecutor.objects.filter(activo_ej, pk=pk).first())
            if respaldo
            else None,
        ),
        OpcionesCompartidas(
            (a for a in articulos if a.esta_activo() or a.pk in usados_art),
            respaldo=(lambda pk: Articulo.objects.filter(activo_art, pk=pk).first())
            if respaldo
            else None,
        ),
    )


def otras_filas(caso_id, ejecutores, fechas, sin_casos=()) -> dict:
    """Rows of other cases than ``caso_id`` (and ``sin_casos``) of these ejecutores on these
    days, as {(ejecutor_id, fecha): [(hora_inicio, hora_fin, numero), …]} by start time."""
    otras = Actividad.objects.filter(ejecutor_id__in=ejecutores, fecha__in=fechas)
    excluidos = {caso_id, *sin_casos} - {None}
    if excluidos:
        otras = otras.exclude(caso_id__in=excluidos)
    por_dia = defaultdict(list)
    for fila in otras.values_list(
        "ejecutor_id", "fecha", "hora_inicio", "hora_fin", "caso__numero"
    ).order_by("hora_inicio"):
        por_dia[(fila[0], fila[1])].append(fila[2:])
    return por_dia


def mensaje_cruce(ejecutor: str, fecha, inicio, fin, numero) -> str:
    """The error of a row whose ejecutor (by name) is busy in another case at that time."""
    return _(
        "%(ejecutor)s ya tiene una actividad el %(fecha)s de %(inicio)s a %(fin)s en el "
        "caso %(documento)s: una persona no puede estar en dos lugares a la vez."
    ) % {
        "ejecutor": ejecutor,
        "fecha": fecha_corta(fecha),
        "inicio": formato.hora(inicio),
        "fin": formato.hora(fin),
        "documento": str(numero).zfill(NUMERO_DIGITOS),
    }


def actividad_formset_class(extra: int = 1):
    """The Actividades formset with ``extra`` empty rows (for pages without JavaScript)."""
    return BaseActividadFormSet.clase(extra)
