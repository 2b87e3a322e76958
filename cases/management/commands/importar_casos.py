"""``python manage.py importar_casos ARCHIVO [--validar] [--usuario NOMBRE]``.

The import of /casos/importar/ for files of any size (no 10 MB / 20,000-row limit): the
same reading, the same rules, the same errors (cases/importacion.py), with a progress bar.
With ``--validar`` it validates the whole file and writes nothing. Otherwise it imports in
one pass: Importador.importar() validates every row and writes as it goes, all in one
transaction that any error rolls back (the page shows a preview first; here a second pass
would only double the time); then it keeps an Importacion record (the cases are listed at
/casos/?importacion=<id>) and prints what it did. The numbers of the new cases (the rows
without Documento, counted once the file is read, without validating) are reserved before
the transaction, so that people creating cases meanwhile do not wait for it. Exit status 1
when the file has errors (nothing is written).
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from tqdm import tqdm

from cases.importacion import Importador
from cases.models import Importacion
from cases.tareas import anotar
from efactory import hojas

MAX_ERRORES_EN_PANTALLA = 200


class Command(BaseCommand):
    help = "Valida e importa casos y actividades desde un archivo XLSX o CSV."

    def add_arguments(self, parser):
        parser.add_argument("archivo", help="Archivo .xlsx (hojas Casos y Actividades) o .csv")
        parser.add_argument(
            "--validar", action="store_true", help="Solo validar: no se guarda nada."
        )
        parser.add_argument(
            "--usuario",
            help="Usuario que figura como autor en el Historial y propietario de los casos "
            "nuevos (por omisión, el primer superusuario).",
        )
        parser.add_argument(
            "--sin-progreso", action="store_true", help="No mostrar la barra de progreso."
        )

    def handle(self, *args, **options):
        translation.activate("es")
        ruta = Path(options["archivo"])
        if not ruta.is_file():
            raise CommandError(f"No existe el archivo {ruta}.")
        usuario = self._usuario(options["usuario"])
        if options["validar"]:
            resultado = self._pasada(ruta, usuario, options, "Validando", escribir=False)
            self._informe(resultado, ruta)
            self._sin_errores(resultado)
            self.stdout.write(self.style.SUCCESS("Validación sin errores (no se guardó nada)."))
            return
        registradas = []

        def registrar(resultado):
            # The record commits with the import's writes, in its transaction.
            importacion = Importacion(
                usuario=usuario,
                nombre=ruta.name[:255],
                archivo=b"",  # the file stays where it is; the record says what was done
                estado=Importacion.Estado.IMPORTADA,
                importado_en=timezone.now(),
            )
            anotar(importacion, resultado)  # the counts, as the page's run records them
            importacion.save()
            importacion.casos.add(*resultado.casos)
            registradas.append(importacion)

        resultado = self._pasada(
            ruta,
            usuario,
            options,
            "Importando",
            escribir=True,
            al_terminar=registrar,
        )
        self._informe(resultado, ruta)
        self._sin_errores(resultado)
        (importacion,) = registradas
        self.stdout.write(
            self.style.SUCCESS(
                f"Importación {importacion.pk}: {resultado.creados} casos creados, "
                f"{resultado.actualizados} actualizados, {resultado.sin_cambios} sin cambios "
                f"en {resultado.segundos:.1f} s. Véalos en /casos/?importacion={importacion.pk}"
            )
        )

    @staticmethod
    def _sin_errores(resultado):
        if resultado.errores:
            raise CommandError(
                f"El archivo tiene {len(resultado.errores)} errores: no se guardó nada."
            )

    def _usuario(self, nombre):
        modelo = get_user_model()
        if nombre:
            try:
                return modelo.objects.get(username=nombre)
            except modelo.DoesNotExist as error:
                raise CommandError(f"No existe el usuario «{nombre}».") from error
        usuario = modelo.objects.filter(is_superuser=True).order_by("pk").first()
        if usuario is None:
            raise CommandError("Indique --usuario: no hay ningún superusuario.")
        return usuario

    def _pasada(self, ruta, usuario, options, titulo, *, escribir, al_terminar=None):
        barra = tqdm(
            desc=titulo,
            unit=" casos",
            disable=options["sin_progreso"],
            file=self.stderr._out,
        )

        def progreso(hechas, total):
            if total and barra.total != total:
                barra.total = total
            barra.update(hechas - barra.n)

        with ruta.open("rb") as archivo:
            importador = Importador(archivo, ruta.name, usuario, max_filas=None, progreso=progreso)
            resultado = (
                importador.importar(contar_nuevos=True, al_terminar=al_terminar)
                if escribir
                else importador.validar()
            )
        barra.close()
        return resultado

    def _informe(self, resultado, ruta):
        con_hoja = hojas.extension(ruta.name) == ".xlsx"
        for error in resultado.errores[:MAX_ERRORES_EN_PANTALLA]:
            self.stderr.write(error.texto(con_hoja))
        if len(resultado.errores) > MAX_ERRORES_EN_PANTALLA:
            resto = len(resultado.errores) - MAX_ERRORES_EN_PANTALLA
            self.stderr.write(f"… y {resto} errores más.")
        self.stdout.write(
            f"{resultado.filas_casos} filas de casos y {resultado.filas_actividades} de "
            f"actividades: {resultado.creados} casos nuevos, {resultado.actualizados} "
            f"actualizados, {resultado.sin_cambios} sin cambios ({resultado.segundos:.1f} s)."
        )
