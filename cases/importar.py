"""The pages of /casos/importar/: upload, preview, import, errors file and template.

The uploaded file is kept in its :class:`~cases.models.Importacion` record, so that
*Importar* (a second request, which any instance of the app may serve) validates and writes
exactly the file that was previewed.
"""

import csv
import io
import tempfile
from collections import defaultdict

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import FormView, TemplateView
from django_htmx.http import HttpResponseClientRefresh

from efactory import hojas
from efactory.xlsx import LibroXlsx

from . import tareas
from .exports import (
    ANCHO_POR_DEFECTO,
    ANCHOS,
    COLUMNAS_ACTIVIDADES,
    COLUMNAS_CASOS,
    COLUMNAS_SOLO_LECTURA,
    FORMATOS_XLSX,
)
from .importacion import HOJA_ACTIVIDADES, HOJA_CASOS, MAX_BYTES_WEB, Error, Importador
from .models import Importacion

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORES_POR_PAGINA = 200
RECIENTES = 10


class ImportarForm(forms.Form):
    archivo = forms.FileField(
        label=_lazy("Archivo"),
        help_text=_lazy(
            "Libro de Excel (.xlsx, hojas Casos y Actividades) o CSV, como los que exporta la "
            "lista; hasta 10 MB y 20.000 filas."
        ),
        error_messages={
            "required": _lazy("Elija el archivo que desea importar."),
            "empty": _lazy("El archivo está vacío."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_archivo(self):
        archivo = self.cleaned_data["archivo"]
        if not hojas.extension(archivo.name):
            raise forms.ValidationError(
                _("«%(nombre)s» no es .xlsx ni .csv: exporte desde Excel a uno de ellos.")
                % {"nombre": archivo.name}
            )
        if archivo.size > MAX_BYTES_WEB:
            raise forms.ValidationError(
                _(
                    "El archivo pesa %(mb)s MB; se admiten hasta 10 MB. Divídalo, o use "
                    "«python manage.py importar_casos»."
                )
                % {"mb": number_format(archivo.size / 1024 / 1024, 1)}
            )
        return archivo


def errores_de(importacion: Importacion) -> list[Error]:
    return [Error(*e) for e in importacion.errores]


class ImportarView(PermissionRequiredMixin, FormView):
    """GET: the upload form and the last imports; POST: validate the file (nothing is
    written) and show its preview."""

    permission_required = "cases.importar_caso"
    template_name = "cases/importar.html"
    form_class = ImportarForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["recientes"] = (
            Importacion.objects.filter(usuario=self.request.user)
            .defer("archivo", "errores")
            .order_by("-creado_en", "-pk")[:RECIENTES]
        )
        return context

    def form_valid(self, form):
        """Refuse at once, next to the field, a file that cannot be used at all (its kind,
        sheets, headers, size); validate the rows afterwards (cases/tareas.py) while the
        preview page shows the progress."""
        archivo = form.cleaned_data["archivo"]
        contenido = archivo.read()
        errores = Importador(io.BytesIO(contenido), archivo.name, self.request.user).revisar()
        if errores:
            for error in errores:
                form.add_error("archivo", error.texto(con_hoja=bool(error.hoja)))
            return self.form_invalid(form)
        with transaction.atomic():
            importacion = Importacion.objects.create(
                usuario=self.request.user,
                nombre=archivo.name[:255],
                archivo=contenido,
                estado=Importacion.Estado.VALIDANDO,
                latido=timezone.now(),
            )
            tareas.lanzar(importacion, tareas.VALIDAR)
        return HttpResponseRedirect(importacion.get_absolute_url())


class ImportacionMixin(PermissionRequiredMixin):
    permission_required = "cases.importar_caso"

    def get_importacion(self, con_archivo: bool = False) -> Importacion:
        # Every import is the team's record: whoever may import sees them all.
        importaciones = Importacion.objects.all()
        if not con_archivo:
            importaciones = importaciones.defer("archivo")
        return get_object_or_404(importaciones, pk=self.kwargs["pk"])


class ImportacionView(ImportacionMixin, TemplateView):
    """The preview of a validated file (counts, every error, *Importar*) and, once
    imported, what was created and updated with a link to those cases."""

    template_name = "cases/importacion.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        importacion = self.get_importacion()
        errores = errores_de(importacion)
        en_curso = importacion.estado in Importacion.EN_CURSO and not importacion.interrumpida
        con_hoja = hojas.extension(importacion.nombre) == ".xlsx"
        pagina = Paginator(errores, ERRORES_POR_PAGINA).get_page(self.request.GET.get("page"))
        context.update(
            importacion=importacion,
            en_curso=en_curso,
            # While validating, the counts are not known yet.
            validando=en_curso and importacion.estado == Importacion.Estado.VALIDANDO,
            errores=[e.texto(con_hoja) for e in pagina.object_list],
            page_obj=pagina,
            total_errores=len(errores),
            lista=reverse("cases:caso_list") + f"?importacion={importacion.pk}",
        )
        return context

    def post(self, request, *args, **kwargs):
        """``accion=importar`` (*Importar*): validate the kept file again and write it, all
        or nothing; ``accion=validar``: validate it again (after an interruption, or once
        the data it clashed with was corrected in the app). Both run in the background."""
        accion = request.POST.get("accion", tareas.IMPORTAR)
        with transaction.atomic():
            # The record's lock makes a double click wait, then find the run started.
            pk = self.get_importacion().pk
            importacion = Importacion.objects.defer("archivo").select_for_update().get(pk=pk)
            problema = self._no_se_puede(importacion, accion)
            if problema:
                messages.info(request, problema)
                return HttpResponseRedirect(importacion.get_absolute_url())
            importacion.estado = (
                Importacion.Estado.IMPORTANDO
                if accion == tareas.IMPORTAR
                else Importacion.Estado.VALIDANDO
            )
            importacion.procesadas, importacion.latido = 0, timezone.now()
            importacion.importado_por = request.user
            importacion.save(update_fields=["estado", "procesadas", "latido", "importado_por"])
            tareas.lanzar(importacion, accion)
        return HttpResponseRedirect(importacion.get_absolute_url())

    @staticmethod
    def _no_se_puede(importacion: Importacion, accion: str) -> str | None:
        """Why ``accion`` cannot start now, or None."""
        if importacion.estado == Importacion.Estado.IMPORTADA:
            return _("Este archivo ya se importó.")
        if importacion.estado in Importacion.EN_CURSO and not importacion.interrumpida:
            return _("El archivo ya se está procesando.")
        if accion == tareas.IMPORTAR and importacion.estado != Importacion.Estado.VALIDADA:
            return _("Solo se importa un archivo validado sin errores.")
        if accion not in (tareas.IMPORTAR, tareas.VALIDAR):
            return _("Acción desconocida.")
        return None


class ProgresoView(ImportacionMixin, TemplateView):
    """The progress block of a running validation or import (polled by the page); once it
    is over, htmx is told to reload the page, which then shows the outcome."""

    template_name = "cases/_importacion_progreso.html"

    def get(self, request, *args, **kwargs):
        importacion = self.get_importacion()
        if importacion.estado not in Importacion.EN_CURSO or importacion.interrumpida:
            return HttpResponseClientRefresh()
        return self.render_to_response({"importacion": importacion})


class ErroresView(ImportacionMixin, TemplateView):
    """The uploaded file back, in its own format, with an ``Errores`` column on each row."""

    def get(self, request, *args, **kwargs):
        importacion = self.get_importacion(con_archivo=True)
        por_fila = defaultdict(list)
        for e in errores_de(importacion):
            por_fila[(e.hoja or HOJA_CASOS, e.fila)].append(
                f"{e.columna}: {e.mensaje}" if e.columna else e.mensaje
            )
        libro = hojas.leer(
            io.BytesIO(bytes(importacion.archivo)),
            importacion.nombre,
            (HOJA_CASOS, HOJA_ACTIVIDADES),
        )
        base = importacion.nombre.rsplit(".", 1)[0][:80]
        if hojas.extension(importacion.nombre) == ".csv":
            return _csv_con_errores(libro[HOJA_CASOS], por_fila, f"{base}-errores.csv")
        archivo = tempfile.TemporaryFile()
        xlsx = LibroXlsx(archivo, FORMATOS_XLSX)
        for hoja in libro.values():
            encabezado = [*hoja.encabezado, _("Errores")]
            anchos = [ANCHOS.get(c, ANCHO_POR_DEFECTO) for c in hoja.encabezado] + [80]
            xlsx.hoja(hoja.nombre, encabezado, _con_errores(hoja, por_fila), anchos)
        xlsx.cerrar()
        archivo.seek(0)
        return FileResponse(
            archivo, as_attachment=True, filename=f"{base}-errores.xlsx", content_type=XLSX
        )


def _con_errores(hoja: hojas.Hoja, por_fila: dict):
    ancho = len(hoja.encabezado)
    for numero, celdas in hoja.filas:
        celdas = [*celdas[:ancho], *[None] * (ancho - len(celdas))]
        yield [*celdas, "; ".join(por_fila.get((hoja.nombre, numero), []))]


def _csv_con_errores(hoja: hojas.Hoja, por_fila: dict, nombre: str) -> HttpResponse:
    salida = io.StringIO()
    salida.write("\ufeff")
    escritor = csv.writer(salida)
    escritor.writerow([*hoja.encabezado, _("Errores")])
    escritor.writerows(_con_errores(hoja, por_fila))
    respuesta = HttpResponse(salida.getvalue(), content_type="text/csv; charset=utf-8")
    respuesta["Content-Disposition"] = f'attachment; filename="{nombre}"'
    return respuesta


# --- the template ----------------------------------------------------------------------------

LISTAS = {
    "Prioridad": "Prioridad",
    "Etapa": "Etapa",
    "Origen": "Origen",
    "Complejidad": "Complejidad",
    "Caso interno": "SiNo",
    "Facturable": "SiNo",
    "Fact.": "SiNo",
}


class PlantillaView(PermissionRequiredMixin, TemplateView):
    """``?formato=xlsx`` (default) or ``csv``: an empty file with the import's headers; the
    XLSX with dropdowns for the choice columns and an example row in neither."""

    permission_required = "cases.importar_caso"

    def get(self, request, *args, **kwargs):
        columnas = [c for c in COLUMNAS_CASOS if c not in COLUMNAS_SOLO_LECTURA]
        if request.GET.get("formato") == "csv":
            respuesta = HttpResponse(
                "\ufeff" + ",".join(columnas) + "\r\n", content_type="text/csv; charset=utf-8"
            )
            respuesta["Content-Disposition"] = 'attachment; filename="plantilla-casos.csv"'
            return respuesta
        return FileResponse(
            io.BytesIO(plantilla_xlsx(columnas)),
            as_attachment=True,
            filename="plantilla-casos.xlsx",
            content_type=XLSX,
        )


def plantilla_xlsx(columnas: list[str]) -> bytes:
    """The empty workbook (small: openpyxl, which writes data validations)."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from .models import Complejidad, Etapa, Origen, Prioridad

    opciones = {
        "Prioridad": [str(e) for _v, e in Prioridad.choices],
        "Etapa": [str(e) for v, e in Etapa.choices if v],
        "Origen": [str(e) for v, e in Origen.choices if v],
        "Complejidad": [str(e) for v, e in Complejidad.choices if v],
        "SiNo": ["Sí", "No"],
    }
    libro = openpyxl.Workbook()
    listas = libro.create_sheet("Listas")
    listas.sheet_state = "hidden"
    rangos = {}
    for n, (nombre, valores) in enumerate(opciones.items(), start=1):
        letra = get_column_letter(n)
        listas.cell(1, n, nombre)
        for i, valor in enumerate(valores, start=2):
            listas.cell(i, n, valor)
        rangos[nombre] = f"Listas!${letra}$2:${letra}${len(valores) + 1}"
    for hoja, encabezado in (
        (libro.active, columnas),
        (libro.create_sheet(HOJA_ACTIVIDADES, 1), COLUMNAS_ACTIVIDADES),
    ):
        if hoja is libro.active:
            hoja.title = HOJA_CASOS
        hoja.append(encabezado)
        hoja.freeze_panes = "A2"
        for n, columna in enumerate(encabezado, start=1):
            letra = get_column_letter(n)
            hoja.cell(1, n).font = Font(bold=True)
            hoja.column_dimensions[letra].width = ANCHOS.get(columna, ANCHO_POR_DEFECTO) + 2
            if columna in LISTAS:
                validacion = DataValidation(
                    type="list", formula1=f"={rangos[LISTAS[columna]]}", allow_blank=True
                )
                validacion.error = _("Elija un valor de la lista.")
                hoja.add_data_validation(validacion)
                validacion.add(f"{letra}2:{letra}20001")
    salida = io.BytesIO()
    libro.save(salida)
    return salida.getvalue()
