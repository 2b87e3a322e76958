"""The import's validation in worker processes (cases/importacion.py:EnParalelo,
efactory/paralelo.py): the same answer as the importer's own run, on PostgreSQL.

The workers read the database through connections of their own, so these tests commit their
data (transaction=True). Chunks of two cases make a small file span many chunks; the rows
that overlap across chunks are the part a worker cannot see.
"""

import datetime
import io

import pytest
from django.db import connection, transaction

from cases import importacion
from cases.importacion import Importador
from cases.models import Actividad, Caso, Secuencia
from tests.cases.test_importacion import libro, textos
from tests.factories import (
    ActividadFactory,
    CasoFactory,
    ClienteFactory,
    DepartamentoFactory,
    EjecutorFactory,
    GrupoFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="workers need a database they can share"
    ),
]

COLUMNAS = ["Documento", "Asunto", "Código cliente", "Inicio", "Avance (%)"]


@pytest.fixture
def en_lotes_de_dos(monkeypatch):
    monkeypatch.setattr(importacion, "LOTE", 2)
    monkeypatch.setattr(importacion, "MIN_CASOS_EN_PARALELO", 1)


@pytest.fixture
def recibidos(monkeypatch):
    """How many chunks the workers answered (0: the file was validated in series)."""
    contados = []
    original = importacion.EnParalelo._recibir

    def contar(self):
        contados.append(1)
        return original(self)

    monkeypatch.setattr(importacion.EnParalelo, "_recibir", contar)
    return contados


def validar(contenido, settings, procesos):
    settings.IMPORTACION_PROCESOS = procesos
    return Importador(io.BytesIO(contenido), "casos.xlsx", None).validar()


def casos_de_jose(cuantos: int):
    """José Pérez and ``cuantos`` of his cases of client ACME, from 1 March 2026."""
    jose = EjecutorFactory(nombre="José Pérez")
    acme = ClienteFactory(codigo="ACME")
    marzo = datetime.date(2026, 3, 1)
    casos = [
        CasoFactory(cliente=acme, ejecutor=jose, fecha_inicio=marzo, asunto=f"Caso {n}")
        for n in range(cuantos)
    ]
    return jose, casos


def resumen(resultado):
    return textos(resultado), resultado.creados, resultado.actualizados, resultado.sin_cambios


def test_workers_give_the_same_errors_and_counts_as_one_process(
    en_lotes_de_dos, recibidos, settings
):
    jose, casos = casos_de_jose(9)
    # A stored row of another case: the workers read it from the database.
    ActividadFactory(
        caso=casos[8],
        fecha=datetime.date(2026, 3, 20),
        hora_inicio=datetime.time(8, 0),
        hora_fin=datetime.time(9, 0),
        ejecutor=jose,
    )
    a, b, c, x, d, e, f, g, _ = casos

    def fila(caso, dia, inicio, fin):
        return [caso.numero, f"{dia:02d}/03/2026", inicio, fin, "Visita", "José Pérez", "", ""]

    contenido = libro(
        [
            [None, "Nuevo 1", "ACME", "02/03/2026", 10],
            [e.numero, "Avance imposible", "ACME", "01/03/2026", 150],
            [e.numero, "Otra vez", "ACME", "01/03/2026", 20],
            [None, "Nuevo 2", "ACME", "02/03/2026", 30],
        ],
        [
            fila(a, 10, "09:00", "11:00"),
            fila(b, 10, "10:00", "10:30"),  # A, in its own chunk
            fila(c, 10, "10:30", "12:00"),  # A, in an earlier chunk: found across chunks
            fila(x, 11, "09:00", "10:00"),
            fila(d, 10, "11:30", "12:30"),  # C's time, but C was refused: valid
            fila(f, 20, "08:30", "09:30"),  # the stored row of another case
            fila(g, 10, "12:30", "13:00"),  # touches D's end: valid
            fila(g, 12, "09:00", "08:00"),  # ends before it starts
        ],
        columnas=COLUMNAS,
    )

    en_serie = validar(contenido, settings, procesos=1)
    assert recibidos == []
    en_paralelo = validar(contenido, settings, procesos=2)
    assert len(recibidos) >= 4, "the chunks should have been validated by the workers"

    assert resumen(en_paralelo) == resumen(en_serie)
    errores, creados, actualizados, sin_cambios = resumen(en_serie)
    assert (creados, actualizados, sin_cambios) == (2, 3, 0)  # the new ones; A, X and D
    assert {tuple(texto.split(" · ")[:2]) for texto in errores} == {
        ("Casos", "Fila 3"),
        ("Casos", "Fila 4"),
        *(("Actividades", f"Fila {n}") for n in (3, 4, 7, 9)),
    }
    assert f"de 09:00 a 11:00 en el caso {a.documento}" in errores_de(errores, "Actividades", 3)
    assert f"de 09:00 a 11:00 en el caso {a.documento}" in errores_de(errores, "Actividades", 4)
    assert f"de 08:00 a 09:00 en el caso {casos[8].documento}" in errores_de(
        errores, "Actividades", 7
    )
    assert "Avance (%)" in errores_de(errores, "Casos", 3)
    assert "ya está en la fila 3" in errores_de(errores, "Casos", 4)
    assert errores_de(errores, "Actividades", 9)


def errores_de(errores: list[str], hoja: str, fila: int) -> str:
    (texto,) = [t for t in errores if t.startswith(f"{hoja} · Fila {fila} · ")]
    return texto


def test_a_file_without_errors_is_counted_alike(en_lotes_de_dos, recibidos, settings):
    ClienteFactory(codigo="ACME")
    contenido = libro(
        [[None, f"Caso {n}", "ACME", "02/03/2026", n * 10] for n in range(7)], columnas=COLUMNAS
    )

    en_serie = validar(contenido, settings, procesos=1)
    en_paralelo = validar(contenido, settings, procesos=2)

    assert recibidos
    assert resumen(en_paralelo) == resumen(en_serie) == ([], 7, 0, 0)


def importar(contenido, settings, procesos, usuario):
    settings.IMPORTACION_PROCESOS = procesos
    return Importador(io.BytesIO(contenido), "casos.xlsx", usuario).importar()


def test_an_import_validated_by_workers_writes_everything_in_one_go(
    en_lotes_de_dos, recibidos, settings
):
    usuario = UserFactory(username="importador")
    jose, casos = casos_de_jose(5)
    antes = Secuencia.objects.get(nombre="caso").valor
    filas = [[c.numero, f"{c.asunto} (importado)", "ACME", "01/03/2026", 50] for c in casos[:4]]
    filas += [[None, f"Nuevo {n}", "ACME", "02/03/2026", 10] for n in range(3)]
    actividades = [
        [c.numero, f"{10 + n:02d}/03/2026", "09:00", "11:00", "Visita", "José Pérez", "", ""]
        for n, c in enumerate(casos)
    ]

    resultado = importar(libro(filas, actividades, columnas=COLUMNAS), settings, 2, usuario)

    assert recibidos, "the chunks should have been validated by the workers"
    assert (textos(resultado), resultado.creados, resultado.actualizados) == ([], 3, 5)
    assert len(resultado.casos) == 8
    for caso in casos[:4]:
        caso.refresh_from_db()
        assert caso.asunto.endswith("(importado)") and caso.avance == 50
        assert caso.history.first().history_change_reason == "Importación"
    nuevos = Caso.objects.filter(asunto__startswith="Nuevo").order_by("numero")
    assert [c.asunto for c in nuevos] == ["Nuevo 0", "Nuevo 1", "Nuevo 2"]
    assert [c.numero for c in nuevos] == [antes + 1, antes + 2, antes + 3]
    assert all(c.propietario == usuario for c in nuevos)
    assert Actividad.objects.filter(ejecutor=jose, descripcion="Visita").count() == 5
    assert casos[4].actividades.get().hora_fin == datetime.time(11, 0)


def test_the_cases_workers_validate_are_written_with_their_derived_fields(
    en_lotes_de_dos, recibidos, settings
):
    # The worker applies them (Escritura.de_formularios) and sends the case without the
    # related objects it read them from (Escritura.aligerar): what is written is the same.
    usuario = UserFactory(username="importador")
    redes, sistemas = GrupoFactory(nombre="Redes"), DepartamentoFactory(nombre="Sistemas")
    EjecutorFactory(nombre="Ana Gil", grupo=redes, departamento=sistemas)
    ClienteFactory(codigo="ACME")
    ClienteFactory(codigo="CASA", interno=True)
    casos = [CasoFactory(ejecutor=None, fecha_inicio=datetime.date(2026, 3, 1)) for _n in range(3)]
    columnas = [*COLUMNAS, "Ejecutor", "Etapa"]
    filas = [
        [casos[0].numero, "Asignado", "ACME", "01/03/2026", 20, "Ana Gil", "En progreso"],
        [casos[1].numero, "Terminado", "ACME", "01/03/2026", 40, "", "Completada"],
        [casos[2].numero, "De la casa", "CASA", "01/03/2026", 0, "", "En progreso"],
    ]

    resultado = importar(libro(filas, columnas=columnas), settings, 2, usuario)

    assert (textos(resultado), resultado.actualizados) == ([], 3)
    assert recibidos
    asignado, terminado, de_la_casa = (Caso.objects.get(pk=c.pk) for c in casos)
    assert (asignado.grupo, asignado.departamento) == (redes, sistemas)
    assert terminado.avance == 100 and terminado.completado_en is not None
    assert de_la_casa.interno and de_la_casa.cliente.codigo == "CASA"
    assert not asignado.interno and terminado.grupo is None
    assert asignado.history.first().grupo_id == redes.pk  # the history records them too


def test_an_overlap_across_chunks_stops_an_import_by_workers(en_lotes_de_dos, recibidos, settings):
    usuario = UserFactory(username="importador")
    jose = EjecutorFactory(nombre="José Pérez")
    marzo = datetime.date(2026, 3, 1)
    casos = [CasoFactory(ejecutor=jose, fecha_inicio=marzo) for _n in range(4)]
    antes = (Caso.history.count(), Actividad.objects.count())
    contenido = libro(
        [],
        [
            [casos[0].numero, "10/03/2026", "09:00", "11:00", "Visita", "José Pérez", "", ""],
            [casos[1].numero, "11/03/2026", "09:00", "11:00", "Visita", "José Pérez", "", ""],
            [casos[2].numero, "12/03/2026", "09:00", "11:00", "Visita", "José Pérez", "", ""],
            [casos[3].numero, "10/03/2026", "10:00", "12:00", "Llamada", "José Pérez", "", ""],
        ],
        columnas=COLUMNAS,
    )

    resultado = importar(contenido, settings, 2, usuario)

    assert recibidos
    (error,) = textos(resultado)
    assert error.startswith("Actividades · Fila 5 · H/Inicio: José Pérez ya tiene una actividad")
    assert f"de 09:00 a 11:00 en el caso {casos[0].documento}" in error
    assert resultado.casos == []
    assert (Caso.history.count(), Actividad.objects.count()) == antes


@pytest.mark.django_db
def test_inside_a_transaction_the_import_validates_in_one_process(
    en_lotes_de_dos, recibidos, settings
):
    """The workers could not see rows this transaction has not committed."""
    ClienteFactory(codigo="ACME")
    contenido = libro(
        [[None, f"Caso {n}", "ACME", "02/03/2026", 0] for n in range(5)], columnas=COLUMNAS
    )
    with transaction.atomic():
        resultado = validar(contenido, settings, procesos=2)
    assert recibidos == []
    assert (textos(resultado), resultado.creados) == ([], 5)


@pytest.fixture
def anticipados(monkeypatch):
    """Workers started before the file is read, whatever its size: the pools started."""
    monkeypatch.setattr(importacion, "MIN_BYTES_EN_PARALELO", 0)
    grupos = []
    original = importacion.Importador._grupo_anticipado

    def anotar(self):
        grupos.append(original(self))
        return grupos[-1]

    monkeypatch.setattr(importacion.Importador, "_grupo_anticipado", anotar)
    return grupos


def cerrado(grupo) -> bool:
    """Whether a pool was shut down: it takes no more work."""
    try:
        grupo.submit(int).cancel()
    except RuntimeError:
        return True
    return False


def test_workers_started_while_the_file_is_read_validate_it(
    en_lotes_de_dos, anticipados, recibidos, settings
):
    ClienteFactory(codigo="ACME")
    contenido = libro(
        [[None, f"Caso {n}", "ACME", "02/03/2026", n * 10] for n in range(7)]
        + [[None, "Avance imposible", "ACME", "02/03/2026", 150]],
        columnas=COLUMNAS,
    )

    en_serie = validar(contenido, settings, procesos=1)
    assert anticipados == [None], "one process: no worker to start"
    en_paralelo = validar(contenido, settings, procesos=2)

    assert anticipados[1] is not None and recibidos, "the early workers validated the chunks"
    assert cerrado(anticipados[1])
    assert resumen(en_paralelo) == resumen(en_serie)
    (error,), creados = textos(en_serie), en_serie.creados
    assert error.startswith("Casos · Fila 9 · Avance (%)") and creados == 7


def test_early_workers_a_small_file_does_not_need_are_stopped(anticipados, recibidos, settings):
    """The size of a file is a guess of its rows: too few cases, and it is validated here."""
    ClienteFactory(codigo="ACME")
    contenido = libro(
        [[None, f"Caso {n}", "ACME", "02/03/2026", 0] for n in range(3)], columnas=COLUMNAS
    )

    resultado = validar(contenido, settings, procesos=2)

    assert anticipados[0] is not None and recibidos == []
    assert cerrado(anticipados[0])
    assert (textos(resultado), resultado.creados) == ([], 3)


def test_early_workers_are_stopped_when_the_file_cannot_be_read(anticipados, settings):
    settings.IMPORTACION_PROCESOS = 2
    resultado = Importador(io.BytesIO(b"PK\x03\x04 roto"), "casos.xlsx", None).validar()

    assert anticipados[0] is not None and cerrado(anticipados[0])
    (error,) = textos(resultado)
    assert "no es un libro de Excel (.xlsx) válido" in error
