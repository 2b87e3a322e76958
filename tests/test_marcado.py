"""efactory/marcado.py gives exactly Django's format_html() and format_html_join(), faster."""

import datetime
from decimal import Decimal

import django.utils.html as django_html
from django.utils.functional import lazy
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st

from efactory import marcado


class ConHtml:
    """An object that draws itself (as a form's BoundField does)."""

    def __init__(self, texto):
        self.texto = texto

    def __html__(self):
        return f"<b>{self.texto}</b>"

    def __str__(self):
        return "<no usar>"


def seguro_perezoso(texto):
    return lazy(lambda: django_html.format_html("<i>{}</i>", texto), SafeString)()


valores = st.one_of(
    st.text(),
    st.text(alphabet="<>&\"'/= abcñ\x00\n"),
    st.integers(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.none(),
    st.booleans(),
    st.dates(),
    st.text().map(lambda t: django_html.format_html("<span>{}</span>", t)),
    st.text().map(ConHtml),
    st.text().map(seguro_perezoso),
    st.sampled_from([gettext_lazy("Todos"), gettext_lazy("Sí"), gettext_lazy("Buscar")]),
)
plantillas = st.sampled_from(
    ['<td class="x">{}</td>{}', '<option value="{}"{}>{}</option>', "{}{}{}{}", "{} — {}"]
)


def ancho(plantilla: str) -> int:
    return plantilla.count("{}")


@settings(max_examples=400, deadline=None)
@given(plantilla=plantillas, datos=st.lists(valores, min_size=4, max_size=4))
def test_format_html_is_djangos_for_any_value(plantilla, datos):
    args = datos[: ancho(plantilla)]

    nuestro = marcado.format_html(plantilla, *args)

    assert nuestro == django_html.format_html(plantilla, *args)
    assert isinstance(nuestro, SafeString)


@settings(max_examples=200, deadline=None)
@given(
    sep=st.one_of(st.just(""), st.just("\n"), st.text(alphabet="<&> ,", max_size=3)),
    filas=st.lists(st.lists(valores, min_size=3, max_size=3), max_size=6),
)
def test_format_html_join_is_djangos_for_any_rows(sep, filas):
    plantilla = '<li data-a="{}">{}{}</li>'

    nuestro = marcado.format_html_join(sep, plantilla, filas)

    assert nuestro == django_html.format_html_join(sep, plantilla, filas)
    assert isinstance(nuestro, SafeString)


@settings(max_examples=200, deadline=None)
@given(a=valores, b=valores, c=valores)
def test_named_values_and_rows_of_named_values_are_djangos_too(a, b, c):
    plantilla = '<input name="{nombre}" value="{valor}">{}'

    assert marcado.format_html(plantilla, c, nombre=a, valor=b) == django_html.format_html(
        plantilla, c, nombre=a, valor=b
    )
    filas = [{"nombre": a, "valor": b}, {"nombre": c, "valor": a}]
    assert marcado.format_html_join("", '<b title="{nombre}">{valor}</b>', filas) == (
        django_html.format_html_join("", '<b title="{nombre}">{valor}</b>', filas)
    )


def test_the_usual_troublemakers_are_escaped():
    hostil = "<script>alert('x')</script> & \"q\""

    assert marcado.format_html("<a title='{}'>{}</a>", hostil, hostil) == (
        "<a title='&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;q&quot;'>"
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;q&quot;</a>"
    )
    assert marcado.format_html("{}", Decimal("2.50")) == "2.50"
    assert marcado.format_html("{}", datetime.date(2026, 3, 9)) == "2026-03-09"
