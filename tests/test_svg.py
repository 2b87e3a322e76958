"""efactory/svg.py: bar charts as inline SVG that the Content-Security-Policy allows."""

import xml.etree.ElementTree as ET

import pytest

from efactory import svg

NS = {"s": "http://www.w3.org/2000/svg"}


@pytest.mark.parametrize(
    "maximo, tope, marcas",
    [
        (0, 1.0, [0.0, 1.0]),
        (7, 8, [0, 2, 4, 6, 8]),
        (95, 100, [0, 25, 50, 75, 100]),
        (2_927, 3_000, [0, 1_000, 2_000, 3_000]),
        (0.4, 0.4, [0, 0.1, 0.2, 0.3, 0.4]),
    ],
)
def test_escala_con_numeros_redondos(maximo, tope, marcas):
    calculado, lineas = svg.escala(maximo)
    assert calculado == pytest.approx(tope)
    assert lineas == pytest.approx(marcas)
    assert max(lineas) >= maximo


SERIES = [svg.Serie("Nuevos", "serie-1"), svg.Serie("Completados <b>", "serie-2")]


def leer(dibujo) -> ET.Element:
    return ET.fromstring(str(dibujo))


def test_barras_verticales_apiladas_con_enlaces_y_titulos():
    barras = [
        svg.Barra("2026-01", [3, 1], url="/casos/?a=1&b=2"),
        svg.Barra("<script>x</script>", [0, 2], url="/casos/?a=2"),
    ]
    dibujo = svg.barras_verticales("g1", "Título", "Descripción", SERIES, barras)
    raiz = leer(dibujo)

    assert raiz.get("role") is None  # see efactory/svg.py: _marco()
    assert raiz.get("aria-labelledby") == "g1-t"
    assert raiz.get("aria-describedby") == "g1-d"
    assert raiz.find("s:title", NS).text == "Título"
    assert raiz.find("s:desc", NS).text == "Descripción"
    enlaces = raiz.findall("s:a", NS)
    assert [a.get("href") for a in enlaces] == ["/casos/?a=1&b=2", "/casos/?a=2"]
    rects = enlaces[0].findall("s:rect", NS)
    assert [r.find("s:title", NS).text for r in rects] == [
        "2026-01 · Nuevos: 3",
        "2026-01 · Completados <b>: 1",
    ]
    # Stacked: the second segment sits on the first, heights in proportion 3 : 1.
    alto_1, alto_2 = (float(r.get("height")) for r in rects)
    assert alto_1 == pytest.approx(3 * alto_2)
    assert float(rects[1].get("y")) + alto_2 == pytest.approx(float(rects[0].get("y")))
    texto = str(dibujo)
    assert "<script>" not in texto and "&lt;script&gt;" in texto
    assert "style=" not in texto


def test_barras_lado_a_lado_con_linea_y_enlace_por_serie():
    barras = [svg.Barra("2026-01", [4, 2], urls=["/n", "/c"]), svg.Barra("2026-02", [1, 1])]
    dibujo = svg.barras_verticales(
        "g2",
        "T",
        "D",
        SERIES,
        barras,
        apiladas=False,
        linea=svg.Serie("Pendientes", "serie-3"),
        valores_linea=[10, 12],
    )
    raiz = leer(dibujo)
    assert [a.get("href") for a in raiz.findall("s:a", NS)] == ["/n", "/c"]
    linea = raiz.find("s:polyline", NS)
    assert len(linea.get("points").split()) == 2
    # The axis reaches the line's top value.
    marcas = [int(t.text) for t in raiz.findall("s:text", NS) if t.text.isdigit()]
    assert max(marcas) >= 12


def test_barras_horizontales_una_por_nombre_con_total():
    barras = [svg.Barra("Ana", [5, 5], urls=["/a1", "/a2"]), svg.Barra("Beto", [2, 0])]
    raiz = leer(svg.barras_horizontales("g3", "T", "D", SERIES, barras))
    textos = [t.text for t in raiz.findall("s:text", NS)]
    assert "Ana" in textos and "Beto" in textos
    assert "10" in textos and "2" in textos  # each bar's total at its end
    anchos = [float(r.get("width")) for r in raiz.iter("{http://www.w3.org/2000/svg}rect")]
    assert max(anchos) > 0


def test_leyenda_larga_en_varias_filas():
    muchas = [svg.Serie(f"Etapa número {i}", f"serie-{i}") for i in range(1, 10)]
    raiz = leer(svg.barras_horizontales("g4", "T", "D", muchas, [svg.Barra("A", [1] * 9)]))
    ys = {r.get("y") for r in raiz.findall("s:rect", NS) if r.get("width") == "12"}
    assert len(ys) > 1
    for r in raiz.findall("s:rect", NS):
        if r.get("width") == "12":
            assert float(r.get("x")) + 12 <= 760


def test_una_barra_fuera_de_escala_se_corta_y_dice_su_total():
    barras = [svg.Barra("Ana", [5, 5]), svg.Barra("Otros", [500, 400])]
    raiz = leer(svg.barras_horizontales("g5", "T", "D", SERIES, barras, fuera={"Otros"}))
    textos = [t.text for t in raiz.findall("s:text", NS)]
    assert "» 900" in textos and "10" in textos
    # The scale is Ana's: her bar reaches the top of the axis; Otros stops at the edge.
    assert max(int(t) for t in textos if t.isdigit()) == 10
    for rect in raiz.iter("{http://www.w3.org/2000/svg}rect"):
        assert float(rect.get("x")) + float(rect.get("width")) <= 760 - 56 + 0.1
