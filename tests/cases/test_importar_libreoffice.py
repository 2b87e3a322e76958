"""The round trip through a real spreadsheet program: LibreOffice Calc opens the exported XLSX
and saves it again (its own styles, metadata and cell types), and the import reads it back."""

import io
import os
import shutil
import subprocess

import openpyxl
import pytest

from cases.models import Caso
from tests.cases.test_importacion import (
    exportado,
    importar,
    migracion,  # noqa: F401 (the fixture, used below)
    textos,
    validar,
)
from tests.factories import ActividadFactory, CasoFactory, EjecutorFactory

pytestmark = pytest.mark.django_db


def guardar_con_libreoffice(contenido: bytes, tmp_path) -> bytes:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice Calc is needed: apt-get install libreoffice-calc-nogui"
    entrada = tmp_path / "casos.xlsx"
    entrada.write_bytes(contenido)
    salida = tmp_path / "salida"
    subprocess.run(
        [
            soffice,
            "--headless",
            "--calc",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(salida),
            str(entrada),
        ],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},  # its profile, not the user's
    )
    return (salida / "casos.xlsx").read_bytes()


@pytest.mark.usefixtures("migracion")
def test_a_file_saved_again_by_libreoffice_changes_nothing_then_one_asunto(tmp_path):
    ejecutor = EjecutorFactory(nombre="Ana Pérez")
    otro = CasoFactory(asunto="Impresora", ejecutor=ejecutor, estimado=2.5)
    ActividadFactory(caso=otro, ejecutor=ejecutor, descripcion="Revisión")
    guardado = guardar_con_libreoffice(exportado(), tmp_path)
    assert b"LibreOffice" in guardado or guardado != exportado()  # really rewritten

    resultado = validar(guardado)
    assert textos(resultado) == []
    assert (resultado.creados, resultado.actualizados, resultado.sin_cambios) == (0, 0, 2)

    libro = openpyxl.load_workbook(io.BytesIO(guardado))
    for fila in libro["Casos"].iter_rows(min_row=2):
        if fila[1].value == "Impresora":
            fila[1].value = "Impresora del segundo piso"
    editado = io.BytesIO()
    libro.save(editado)
    resultado = importar(guardar_con_libreoffice(editado.getvalue(), tmp_path))
    assert textos(resultado) == []
    assert (resultado.creados, resultado.actualizados) == (0, 1)
    assert Caso.objects.get(pk=otro.pk).asunto == "Impresora del segundo piso"
