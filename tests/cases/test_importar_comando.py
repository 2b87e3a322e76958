"""``manage.py importar_casos``: the same rules and errors as the page, any size."""

import pytest
from django.core.management import CommandError, call_command

from cases.importacion import Importador
from cases.models import Caso, Importacion, Secuencia
from tests.cases.test_importacion import editar, exportado, libro
from tests.factories import CasoFactory, ClienteFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def jefe():
    return UserFactory(username="jefe", is_superuser=True, is_staff=True)


def escribir(tmp_path, contenido: bytes, nombre="casos.xlsx"):
    ruta = tmp_path / nombre
    ruta.write_bytes(contenido)
    return str(ruta)


def test_validar_writes_nothing_and_import_writes_everything(tmp_path, jefe, capsys):
    ClienteFactory(codigo="ACME")
    ruta = escribir(
        tmp_path,
        libro([[None, "Nuevo", "Alta", "", "ACME", "", "", "", "02/03/2026"]]),
    )

    call_command("importar_casos", ruta, "--validar", "--sin-progreso")
    assert Caso.objects.count() == 0
    assert "1 casos nuevos" in capsys.readouterr().out

    call_command("importar_casos", ruta, "--sin-progreso")
    caso = Caso.objects.get()
    assert caso.asunto == "Nuevo" and caso.propietario == jefe
    importacion = Importacion.objects.get()
    assert importacion.creados == 1 and list(importacion.casos.all()) == [caso]
    assert f"/casos/?importacion={importacion.pk}" in capsys.readouterr().out


def test_errors_are_printed_and_nothing_is_written(tmp_path, jefe, capsys):
    caso = CasoFactory(asunto="Antes", avance=10)

    def cambiar(wb):
        wb["Casos"]["B2"].value = "Después"
        wb["Casos"]["L2"].value = 150  # Avance (%)

    ruta = escribir(tmp_path, editar(exportado(), cambiar))

    with pytest.raises(CommandError, match="1 errores: no se guardó nada"):
        call_command("importar_casos", ruta, "--sin-progreso")
    assert "Casos · Fila 2 · Avance (%)" in capsys.readouterr().err
    caso.refresh_from_db()
    assert caso.asunto == "Antes"
    assert Importacion.objects.count() == 0


def test_a_missing_file_or_user_is_a_clear_error(tmp_path, jefe):
    with pytest.raises(CommandError, match="No existe el archivo"):
        call_command("importar_casos", str(tmp_path / "no.xlsx"))
    ruta = escribir(tmp_path, libro([]))
    with pytest.raises(CommandError, match="No existe el usuario «nadie»"):
        call_command("importar_casos", ruta, "--usuario", "nadie")


def test_the_import_is_one_pass_with_the_new_cases_numbers_reserved_first(
    tmp_path, jefe, capsys, monkeypatch
):
    """Importing validates every row as it writes (and rolls back on any error): no second
    pass. The new cases' numbers are reserved before its transaction, counted without
    validating: people creating cases meanwhile do not wait for the import."""
    ClienteFactory(codigo="ACME")
    guardado = CasoFactory(asunto="Antes")
    filas = [[None, f"Nuevo {n}", "Alta", "", "ACME", "", "", "", "02/03/2026"] for n in range(3)]

    def agregar(wb):
        for fila in filas:
            wb["Casos"].append(fila)

    ruta = escribir(tmp_path, editar(exportado(), agregar))
    with open(ruta, "rb") as archivo:
        assert Importador(archivo, "casos.xlsx", None).casos_nuevos() == 3
    antes = Secuencia.objects.get(nombre="caso").valor

    def sin_validar(self):
        raise AssertionError("the command should not validate before importing")

    monkeypatch.setattr(Importador, "validar", sin_validar)
    call_command("importar_casos", ruta, "--sin-progreso")

    nuevos = Caso.objects.exclude(pk=guardado.pk).order_by("numero")
    assert [c.numero for c in nuevos] == [antes + 1, antes + 2, antes + 3]
    importacion = Importacion.objects.get()
    assert (importacion.creados, importacion.sin_cambios) == (3, 1)
    assert importacion.casos.count() == 3
    assert "3 casos creados, 0 actualizados, 1 sin cambios" in capsys.readouterr().out


@pytest.mark.parametrize("codificacion", ["utf-8-sig", "cp1252"])
def test_a_csv_with_new_cases_is_read_whole_after_counting_them(
    tmp_path, jefe, capsys, codificacion
):
    """The command counts the new rows on a second reader of the CSV (Hoja.releer), which
    must leave the import's own reader where it was: every row, accents included (the file
    is bigger than the readers' buffers)."""
    ClienteFactory(codigo="ACME")
    antes = Secuencia.objects.get(nombre="caso").valor
    lineas = ["Documento;Asunto;Código cliente;Inicio"]
    lineas += [f";Revisión {n} del módem;ACME;02/03/2026" for n in range(400)]
    ruta = escribir(
        tmp_path, "\r\n".join(lineas).encode(codificacion), nombre=f"casos-{codificacion}.csv"
    )

    call_command("importar_casos", ruta, "--sin-progreso")

    nuevos = list(Caso.objects.order_by("numero").values_list("numero", "asunto"))
    assert nuevos == [(antes + 1 + n, f"Revisión {n} del módem") for n in range(400)]
    assert "400 casos creados, 0 actualizados" in capsys.readouterr().out
