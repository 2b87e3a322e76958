"""Dependencies run one way: efactory's shared bases ← customers ← cases.

Built from the project's real import graph (grimp, the library behind import-linter), imports
inside functions included: a lazy import is still a dependency.
"""

import grimp
import pytest

PAQUETES = ("cases", "customers", "efactory")
# The project's own modules that sit above the apps (they wire them together).
PROYECTO = ("efactory.urls", "efactory.settings", "efactory.wsgi")
# What customers builds on; a page that shows both apps (customers.views) may import cases.
CUSTOMERS_SIN_CASES = [
    "customers.models",
    "customers.forms",
    "customers.filters",
    "customers.formsets",
    "customers.services",
]


@pytest.fixture(scope="module")
def grafo():
    return grimp.build_graph(*PAQUETES, cache_dir=None)


def importados(grafo, modulo: str) -> set[str]:
    return grafo.find_modules_directly_imported_by(modulo)


def ciclos(grafo) -> list[list[str]]:
    """The groups of modules that import each other, directly or not (Tarjan's algorithm)."""
    indice, bajo, pila, en_pila, grupos = {}, {}, [], set(), []

    def visitar(modulo):
        indice[modulo] = bajo[modulo] = len(indice)
        pila.append(modulo)
        en_pila.add(modulo)
        for otro in importados(grafo, modulo):
            if otro not in indice:
                visitar(otro)
                bajo[modulo] = min(bajo[modulo], bajo[otro])
            elif otro in en_pila:
                bajo[modulo] = min(bajo[modulo], indice[otro])
        if bajo[modulo] == indice[modulo]:
            grupo = []
            while True:
                otro = pila.pop()
                en_pila.discard(otro)
                grupo.append(otro)
                if otro == modulo:
                    break
            if len(grupo) > 1:
                grupos.append(sorted(grupo))

    for modulo in sorted(grafo.modules):
        if modulo not in indice:
            visitar(modulo)
    return grupos


def test_no_modules_import_each_other(grafo):
    assert ciclos(grafo) == []


def test_the_cycle_finder_sees_a_cycle():
    grafo = grimp.ImportGraph()
    for modulo in ("a", "b", "c"):
        grafo.add_module(modulo)
    grafo.add_import(importer="a", imported="b")
    grafo.add_import(importer="b", imported="a")
    grafo.add_import(importer="b", imported="c")

    assert ciclos(grafo) == [["a", "b"]]


@pytest.mark.parametrize("modulo", CUSTOMERS_SIN_CASES)
def test_customers_never_imports_cases(grafo, modulo):
    assert modulo in grafo.modules
    assert not {m for m in importados(grafo, modulo) if m.split(".")[0] == "cases"}


def test_the_shared_bases_import_neither_app(grafo):
    compartidos = [
        m
        for m in grafo.modules
        if m.startswith("efactory.") and not m.startswith(PROYECTO) and ".migrations" not in m
    ]
    assert "efactory.filtros" in compartidos
    for modulo in compartidos:
        apps = {m for m in importados(grafo, modulo) if m.split(".")[0] in ("cases", "customers")}
        assert not apps, f"{modulo} importa {sorted(apps)}"
