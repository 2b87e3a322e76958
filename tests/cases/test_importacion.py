"""The import's validation and writes (cases/importacion.py), on both databases."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from cases.exports import COLUMNAS_ACTIVIDADES, COLUMNAS_CASOS, xlsx_archivo
from cases.importacion import Importador
from cases.models import Caso, Complejidad, Etapa, Origen, Prioridad
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
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def usuario():
    return UserFactory(username="importador")


@pytest.fixture
def migracion():
    """A completed case with every field set and two activities."""
    cliente = ClienteFactory(nombre="Ferretería Ñandú", codigo="FER-ÑU")
    caso = CasoFactory(
        asunto="Migración de servidores",
        prioridad=Prioridad.ALTA,
        cliente=cliente,
        contacto=ContactoFactory(cliente=cliente, nombre="María Gómez"),
        coordinador=EjecutorFactory(nombre="Carla Coordinadora"),
        ejecutor=EjecutorFactory(nombre="José Pérez", email="jose@example.com"),
        revisor=EjecutorFactory(nombre="Rubén Revisor"),
        fecha_inicio=datetime.date(2026, 3, 1),
        fecha_cierre=datetime.date(2026, 3, 15),
        etapa=Etapa.COMPLETADA,
        avance=100,
        articulo=ArticuloFactory(nombre="Soporte en sitio"),
        clase=ClaseFactory(nombre="Infraestructura"),
        grupo=GrupoFactory(nombre="Redes"),
        departamento=DepartamentoFactory(nombre="Sistemas"),
        origen=Origen.CORREO,
        interno=True,
        comentario='Línea uno, con "comillas"\nLínea dos',
        estimado=Decimal("12.50"),
        complejidad=Complejidad.MEDIA,
        nivel=2,
        facturable=True,
        comentario_solucion="=Se migró; todo bien",
        completado_en=timezone.make_aware(datetime.datetime(2026, 3, 15, 17, 45)),
    )
    ActividadFactory(
        caso=caso,
        fecha=datetime.date(2026, 3, 2),
        hora_inicio=datetime.time(9, 0),
        hora_fin=datetime.time(10, 30),
        descripcion="Respaldo de la base",
        ejecutor=caso.ejecutor,
        articulo=caso.articulo,
        facturable=True,
    )
    ActividadFactory(
        caso=caso,
        fecha=datetime.date(2026, 3, 3),
        hora_inicio=datetime.time(11, 0),
        hora_fin=datetime.time(11, 30),
        descripcion='=HIPERVINCULO("x")',
        ejecutor=caso.ejecutor,
        facturable=False,
    )
    caso.refresh_from_db()
    return caso


def exportado(queryset=None) -> bytes:
    """The XLSX the list's export writes, as bytes."""
    archivo = xlsx_archivo(queryset if queryset is not None else Caso.objects.order_by("numero"))
    return archivo.read()


def validar(contenido: bytes, nombre="casos.xlsx", usuario=None):
    return Importador(io.BytesIO(contenido), nombre, usuario).validar()


def importar(contenido: bytes, nombre="casos.xlsx", usuario=None, **kwargs):
    return Importador(io.BytesIO(contenido), nombre, usuario).importar(**kwargs)


def editar(contenido: bytes, cambiar) -> bytes:
    """Open the XLSX with openpyxl, let ``cambiar(libro)`` edit it, save it again (as a
    spreadsheet program rewrites a file: its own styles and metadata)."""
    libro = openpyxl.load_workbook(io.BytesIO(contenido))
    cambiar(libro)
    salida = io.BytesIO()
    libro.save(salida)
    return salida.getvalue()


def libro(casos: list[list], actividades: list[list] | None = None, columnas=None) -> bytes:
    """A new XLSX with these rows (under the export's headers, or ``columnas``)."""
    wb = openpyxl.Workbook()
    hoja = wb.active
    hoja.title = "Casos"
    hoja.append(columnas or COLUMNAS_CASOS[:26])
    for fila in casos:
        hoja.append(fila)
    if actividades is not None:
        otra = wb.create_sheet("Actividades")
        otra.append(COLUMNAS_ACTIVIDADES)
        for fila in actividades:
            otra.append(fila)
    salida = io.BytesIO()
    wb.save(salida)
    return salida.getvalue()


def textos(resultado) -> list[str]:
    return [e.texto() for e in resultado.errores]


# --- the round trip ----------------------------------------------------------------------


def test_an_exported_file_imported_unchanged_changes_nothing(migracion, usuario):
    CasoFactory(asunto="Otro", cliente=migracion.cliente, ejecutor=None)
    contenido = exportado()

    resultado = validar(contenido)

    assert textos(resultado) == []
    assert (resultado.creados, resultado.actualizados, resultado.sin_cambios) == (0, 0, 2)
    assert (resultado.filas_casos, resultado.filas_actividades) == (2, 2)
    version = Caso.objects.get(pk=migracion.pk).version
    resultado = importar(contenido, usuario=usuario)
    assert (resultado.creados, resultado.actualizados) == (0, 0)
    assert Caso.objects.get(pk=migracion.pk).version == version
    assert migracion.history.count() == 1


def test_changing_one_asunto_updates_that_case_only(migracion, usuario):
    otro = CasoFactory(asunto="Otro", cliente=migracion.cliente, ejecutor=None)

    def cambiar(wb):
        hoja = wb["Casos"]
        for fila in hoja.iter_rows(min_row=2):
            if fila[1].value == "Migración de servidores":
                fila[1].value = "Migración de servidores (fase 2)"

    contenido = editar(exportado(), cambiar)

    resultado = validar(contenido)
    assert textos(resultado) == []
    assert (resultado.creados, resultado.actualizados, resultado.sin_cambios) == (0, 1, 1)
    resultado = importar(contenido, usuario=usuario)
    assert textos(resultado) == []
    migracion.refresh_from_db()
    assert migracion.asunto == "Migración de servidores (fase 2)"
    assert resultado.casos == [migracion.pk]
    registro = migracion.history.first()
    assert registro.history_change_reason == "Importación"
    assert registro.history_user == usuario
    assert Caso.objects.get(pk=otro.pk).history.count() == 1
    # Every other value stayed as it was.
    assert migracion.estimado == Decimal("12.50")
    assert migracion.comentario_solucion == "=Se migró; todo bien"
    assert migracion.actividades.count() == 2


def test_a_file_rewritten_as_a_spreadsheet_program_does_is_still_unchanged(migracion):
    """Dates as serial numbers, whole numbers as floats, empty text as missing cells."""

    def reescribir(wb):
        for hoja in wb.worksheets:
            encabezado = [c.value for c in hoja[1]]
            for fila in hoja.iter_rows(min_row=2):
                for celda, nombre in zip(fila, encabezado, strict=False):
                    valor = celda.value
                    if isinstance(valor, datetime.datetime) and nombre != "Completado":
                        celda.value = (valor - datetime.datetime(1899, 12, 30)).days
                        celda.number_format = "General"
                    elif isinstance(valor, datetime.time):
                        celda.value = (valor.hour * 60 + valor.minute) / 1440
                    elif isinstance(valor, int) and not isinstance(valor, bool):
                        celda.value = float(valor)
                    elif valor == "":
                        celda.value = None
                    celda.font = openpyxl.styles.Font(name="Liberation Sans", size=10)
        wb.properties.creator = "LibreOffice"

    resultado = validar(editar(exportado(), reescribir))

    assert textos(resultado) == []
    assert (resultado.creados, resultado.actualizados, resultado.sin_cambios) == (0, 0, 1)


# --- new cases and activities -----------------------------------------------------------


def test_rows_without_documento_create_cases_numbered_on_import(usuario):
    cliente = ClienteFactory(codigo="ACME", nombre="Acme, C.A.")
    ejecutora = EjecutorFactory(nombre="Lucía Núñez", email="lucia@example.com")
    anterior = CasoFactory(cliente=cliente)
    contenido = libro(
        [
            [
                None,
                "Instalar impresora",
                "Alta",
                "",
                "ACME",
                "",
                "",
                "lucia@example.com",
                "02/03/2026",
                "2026-03-20",
                "En progreso",
                30.0,
            ],
            [
                None,
                "Revisar red",
                "baja",
                "acme, c.a.",
                None,
                None,
                None,
                "LUCIA NUÑEZ",
                datetime.datetime(2026, 3, 5),
                None,
                "",
                None,
            ],
        ]
    )

    resultado = validar(contenido)
    assert textos(resultado) == []
    assert resultado.creados == 2
    assert Caso.objects.count() == 1

    resultado = importar(contenido, usuario=usuario, nuevos=2)
    assert textos(resultado) == []
    nuevos = list(Caso.objects.exclude(pk=anterior.pk).order_by("numero"))
    assert [c.asunto for c in nuevos] == ["Instalar impresora", "Revisar red"]
    assert [c.numero for c in nuevos] == [anterior.numero + 1, anterior.numero + 2]
    assert nuevos[0].prioridad == Prioridad.ALTA and nuevos[1].prioridad == Prioridad.BAJA
    assert nuevos[0].ejecutor == ejecutora and nuevos[1].ejecutor == ejecutora
    assert nuevos[0].fecha_cierre == datetime.date(2026, 3, 20)
    assert nuevos[0].avance == 30 and nuevos[0].etapa == Etapa.EN_PROGRESO
    assert nuevos[1].fecha_inicio == datetime.date(2026, 3, 5)
    assert all(c.propietario == usuario for c in nuevos)
    assert nuevos[0].history.first().history_change_reason == "Importación"
    # The search finds them (its column is filled on save).
    assert list(Caso.objects.buscar("impresora")) == [nuevos[0]]


def test_activity_rows_are_added_to_their_case_and_change_matching_rows(migracion, usuario):
    doc = migracion.documento
    contenido = libro(
        [],
        [
            # the stored row of 02/03 09:00, with another description: changed
            [doc, "02/03/2026", "09:00", "10:30", "Respaldo completo", "José Pérez", "Sí", ""],
            # a new row, ejecutor and Fact. from the case
            [doc, "04/03/2026", "14:00", "15:15", "Pruebas", "", "", ""],
        ],
    )

    resultado = validar(contenido)
    assert textos(resultado) == []
    assert (resultado.creados, resultado.actualizados, resultado.sin_cambios) == (0, 1, 0)

    importar(contenido, usuario=usuario)
    filas = list(migracion.actividades.order_by("fecha", "hora_inicio"))
    assert [(a.fecha.day, a.descripcion) for a in filas] == [
        (2, "Respaldo completo"),
        (3, '=HIPERVINCULO("x")'),
        (4, "Pruebas"),
    ]
    assert filas[2].ejecutor == migracion.ejecutor and filas[2].facturable is True
    assert filas[2].minutos == 75
    assert filas[2].cliente_id == migracion.cliente_id
    assert filas[2].history.first().history_change_reason == "Importación"


def test_a_case_saved_by_someone_else_during_the_import_rolls_it_all_back(migracion, usuario):
    """The import locks and compares the versions it validated against when it writes: a
    save that slipped in between (here, right before the write) makes the whole file fail,
    nothing written."""
    from cases import services

    otro = CasoFactory(asunto="Otro", cliente=migracion.cliente, ejecutor=None)

    def cambiar(wb):
        for fila in wb["Casos"].iter_rows(min_row=2):
            fila[1].value = f"{fila[1].value} (2)"

    contenido = editar(exportado(), cambiar)
    original = services._comprobar_versiones

    def con_otro_guardado(guardados, version_de):
        Caso.objects.filter(pk=migracion.pk).update(version=99)
        return original(guardados, version_de)

    services._comprobar_versiones = con_otro_guardado
    try:
        resultado = importar(contenido, usuario=usuario)
    finally:
        services._comprobar_versiones = original

    assert resultado.casos == []
    assert any("Otra persona guardó el caso" in t for t in textos(resultado))
    assert Caso.objects.get(pk=otro.pk).asunto == "Otro"
    migracion.refresh_from_db()
    assert migracion.asunto == "Migración de servidores"


def test_another_client_in_the_file_takes_the_activities_along(migracion, usuario):
    nuevo = ClienteFactory(codigo="NUEVO", nombre="Cliente Nuevo")

    def cambiar(wb):
        hoja = wb["Casos"]
        hoja["D2"].value = "Cliente Nuevo"
        hoja["E2"].value = "NUEVO"
        hoja["F2"].value = None  # the old client's contact cannot stay

    resultado = importar(editar(exportado(), cambiar), usuario=usuario)

    assert textos(resultado) == []
    migracion.refresh_from_db()
    assert migracion.cliente == nuevo and migracion.contacto is None
    assert set(migracion.actividades.values_list("cliente_id", flat=True)) == {nuevo.pk}
    assert migracion.version == 2
    registro = migracion.history.first()
    assert (registro.history_change_reason, registro.history_user) == ("Importación", usuario)


def test_numbers_stay_unique_when_cases_are_created_during_the_import(usuario):
    """The new cases' numbers are reserved before the import's transaction: a case created
    by someone else meanwhile gets the next free number, never one of the import's."""
    from cases import importacion as modulo

    cliente = ClienteFactory(codigo="ACME")
    contenido = libro(
        [[None, f"Nuevo {n}", "Alta", "", "ACME", "", "", "", "02/03/2026"] for n in range(3)]
    )
    original = modulo.Importador._escribir_lote
    creados_durante = []

    def con_otro_alta(self):
        creados_durante.append(CasoFactory(asunto="Alta rápida de otra persona", cliente=cliente))
        return original(self)

    modulo.Importador._escribir_lote = con_otro_alta
    try:
        resultado = importar(contenido, usuario=usuario, nuevos=3)
    finally:
        modulo.Importador._escribir_lote = original

    assert textos(resultado) == []
    numeros = list(Caso.objects.values_list("numero", flat=True))
    assert len(numeros) == len(set(numeros)) == 4
    importados = Caso.objects.filter(pk__in=resultado.casos).values_list("numero", flat=True)
    assert max(importados) < creados_durante[0].numero


def test_progress_is_reported_from_the_start_with_the_size_of_the_file(usuario):
    """The page shows "0 de 3" at once, not a bare count while the work starts."""
    ClienteFactory(codigo="ACME")
    contenido = libro(
        [[None, f"Caso {n}", "ACME", "02/03/2026"] for n in range(3)],
        columnas=["Documento", "Asunto", "Código cliente", "Inicio"],
    )
    llamadas = []
    Importador(
        io.BytesIO(contenido), "casos.xlsx", usuario, progreso=lambda h, t: llamadas.append((h, t))
    ).validar()
    assert llamadas[0] == (0, 3)
    assert llamadas[-1] == (3, 3)


def test_the_import_builds_no_management_form_and_no_row_query_per_case(
    migracion, usuario, monkeypatch
):
    """The import writes each case's row counts and hands over the rows it loaded for the
    whole chunk: a formset per case needs neither a ManagementForm to validate nor the
    queryset Django builds for its rows (a sixth of the validation time)."""
    from django.forms import formsets

    construidos = []
    original = formsets.ManagementForm.__init__

    def contar(self, *args, **kwargs):
        construidos.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(formsets.ManagementForm, "__init__", contar)
    contenido = editar(exportado(), lambda wb: setattr(wb["Casos"]["B2"], "value", "Otro"))

    resultado = validar(contenido)

    assert (textos(resultado), resultado.actualizados) == ([], 1)
    assert construidos == []


def test_an_inactive_ejecutor_stays_on_the_rows_that_have_it_and_only_there(migracion, usuario):
    """The rows' choices are the active ejecutores plus those the case's stored rows use,
    whatever other cases the file validated before it with the same choices."""
    from efactory.estatus import Estatus

    otro = CasoFactory(
        cliente=migracion.cliente, fecha_inicio=migracion.fecha_inicio, fecha_cierre=None
    )
    ines = EjecutorFactory(nombre="Inés Inactiva")
    ActividadFactory(
        caso=migracion,
        fecha=datetime.date(2026, 3, 4),
        hora_inicio=datetime.time(8, 0),
        hora_fin=datetime.time(9, 0),
        descripcion="Visita",
        ejecutor=ines,
    )
    ines.estatus = Estatus.INACTIVO
    ines.save()
    # Her stored row of the first case, changed; a new row of hers on the other case.
    suya = [migracion.documento, "04/03/2026", "08:00", "09:00", "Visita larga", "Inés Inactiva"]
    ajena = [otro.documento, "05/03/2026", "08:00", "09:00", "Visita", "Inés Inactiva"]
    activa = [otro.documento, "06/03/2026", "08:00", "09:00", "Otra", "José Pérez"]

    for filas in ([suya, ajena], [ajena, activa, suya]):
        resultado = validar(libro([], [[*f, "", ""] for f in filas]))

        errores = textos(resultado)
        assert len(errores) == 1, errores
        fila = filas.index(ajena) + 2
        assert errores[0].startswith(f"Actividades · Fila {fila} · Ejecutor: ")
        assert "ya no existe o no está disponible" in errores[0]


def test_the_rows_choices_are_built_once_however_many_ejecutores_the_cases_use(usuario):
    """Cases that use different active ejecutores share one list of choices: building one
    per case cost a copy of the whole table each time (issue 11: nothing grows with the
    lookup tables)."""
    cliente = ClienteFactory(codigo="ACME")
    ejecutores = EjecutorFactory.create_batch(6)
    casos = [
        CasoFactory(cliente=cliente, fecha_inicio=datetime.date(2026, 3, 1), ejecutor=e)
        for e in ejecutores
    ]
    for n, (caso, ejecutor) in enumerate(zip(casos, ejecutores, strict=True)):
        ActividadFactory(
            caso=caso,
            fecha=datetime.date(2026, 3, 2),
            hora_inicio=datetime.time(9, 0),
            hora_fin=datetime.time(10, 0),
            descripcion=f"Fila {n}",
            ejecutor=ejecutor,
        )
    columna = COLUMNAS_ACTIVIDADES.index("Actividad") + 1

    def editar_filas(wb):
        for (celda,) in wb["Actividades"].iter_rows(min_row=2, min_col=columna, max_col=columna):
            celda.value = f"{celda.value} (editada)"

    contenido = editar(exportado(), editar_filas)
    importador = Importador(io.BytesIO(contenido), "casos.xlsx", usuario)

    resultado = importador.validar()

    assert (textos(resultado), resultado.actualizados) == ([], 6)
    assert len(importador.catalogo._opciones) == 1
