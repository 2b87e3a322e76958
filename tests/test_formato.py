"""The one formatter (efactory/formato.py): dates dd/mm/aaaa, times HH:MM, date-times in local
time, Spanish decimal commas, Sí/No, choice labels and related names, in Python and as
template filters."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.models import Actividad, Caso, Ejecutor
from efactory import formato
from tests.factories import CasoFactory

D = datetime.date
T = datetime.time
UTC = ZoneInfo("UTC")


@pytest.fixture(autouse=True)
def caracas(settings):
    settings.TIME_ZONE = "America/Caracas"


def test_dates_read_dd_mm_aaaa():
    assert formato.fecha(D(2026, 3, 9)) == "09/03/2026"
    assert formato.fecha(None) == ""


def test_a_moment_reads_in_local_time():
    # 01:30 UTC on 11 March is 21:30 on 10 March in Caracas.
    momento = datetime.datetime(2026, 3, 11, 1, 30, 15, tzinfo=UTC)

    assert formato.fecha_hora(momento) == "10/03/2026 21:30"
    assert formato.fecha_hora(momento, "segundos") == "10/03/2026 21:30:15"
    assert formato.fecha(momento) == "10/03/2026"
    assert formato.fecha_hora(None) == ""


def test_times_read_hh_mm():
    assert formato.hora(T(9, 5)) == "09:05"
    assert formato.hora(None) == ""


@pytest.mark.parametrize(
    ("valor", "decimales", "texto"),
    [
        (Decimal("2.5"), 2, "2,50"),
        (Decimal("2.345"), 2, "2,35"),  # rounded half up, not cut
        (Decimal("1234.5"), 2, "1234,50"),
        (2.5, 1, "2,5"),
        (Decimal("40"), None, "40"),
        (None, 2, ""),
    ],
)
def test_decimals_read_with_a_comma(valor, decimales, texto):
    assert formato.decimal_local(valor, decimales) == texto


def test_booleans_read_si_or_no():
    assert (formato.si_no(True), formato.si_no(False)) == ("Sí", "No")


@pytest.mark.parametrize(
    ("valor", "texto"),
    [
        (None, "—"),
        ("", "—"),
        (True, "Sí"),
        (False, "No"),
        (0, "0"),
        (D(2026, 3, 9), "09/03/2026"),
        (T(14, 0), "14:00"),
        (datetime.datetime(2026, 3, 9, 18, 0, tzinfo=UTC), "09/03/2026 14:00"),
        (Decimal("12.75"), "12,75"),
        ("texto", "texto"),
    ],
)
def test_any_value_reads_by_its_type(valor, texto):
    assert formato.texto(valor) == texto


def test_a_model_field_reads_its_choice_label_its_related_name_or_its_decimals():
    campo = Caso._meta.get_field

    assert formato.valor_de_campo(campo("etapa"), "en_progreso") == "En progreso"
    assert formato.valor_de_campo(campo("etapa"), "") == "—"
    nombres = {(Ejecutor, 7): "Ana Pérez"}
    assert formato.valor_de_campo(campo("ejecutor"), 7, nombres) == "Ana Pérez"
    assert formato.valor_de_campo(campo("ejecutor"), 8, nombres) == "#8"  # deleted since
    assert formato.valor_de_campo(campo("ejecutor"), Ejecutor(nombre="Luis")) == "Luis"
    assert formato.valor_de_campo(campo("estimado"), Decimal("40")) == "40,00"
    assert formato.valor_de_campo(campo("interno"), False) == "No"
    assert formato.valor_de_campo(Actividad._meta.get_field("hora_fin"), T(11, 0)) == "11:00"


def test_templates_use_the_same_formatter():
    plantilla = Template(
        "{% load formato %}{{ d|fecha }} {{ t|hora }} {{ m|fecha_hora }} "
        "{{ m|fecha_hora:'segundos' }} {{ n|decimal }} {{ n|decimal:1 }} {{ b|si_no }} "
        "[{{ nada|fecha|default:'—' }}]"
    )
    contexto = Context(
        {
            "d": D(2026, 3, 9),
            "t": T(8, 0),
            "m": datetime.datetime(2026, 3, 11, 1, 30, 15, tzinfo=UTC),
            "n": Decimal("2.5"),
            "b": True,
            "nada": None,
        }
    )

    assert plantilla.render(contexto) == (
        "09/03/2026 08:00 10/03/2026 21:30 10/03/2026 21:30:15 2,50 2,5 Sí [—]"
    )


def test_a_too_long_message_groups_the_thousands_of_its_numbers():
    """ "Admite como máximo 10.000 caracteres (tiene 10.200)", not 10000: efactory/textos.py."""
    from django import forms

    from efactory.textos import DEMASIADO_LARGO

    campo = forms.CharField(max_length=10_000, error_messages={"max_length": DEMASIADO_LARGO})
    with translation.override("es"):
        with pytest.raises(forms.ValidationError) as error:
            campo.clean("x" * 10_200)
        assert error.value.messages == [
            "Admite como máximo 10.000 caracteres (tiene 10.200): acorte el texto."
        ]
    with translation.override("en"):
        with pytest.raises(forms.ValidationError) as error:
            campo.clean("x" * 10_200)
        assert "10,000" in error.value.messages[0] and "10,200" in error.value.messages[0]
    # Small numbers read as before.
    corto = forms.CharField(max_length=200, error_messages={"max_length": DEMASIADO_LARGO})
    with translation.override("es"), pytest.raises(forms.ValidationError) as error:
        corto.clean("x" * 201)
    assert error.value.messages == [
        "Admite como máximo 200 caracteres (tiene 201): acorte el texto."
    ]


def test_an_english_browser_still_reads_and_types_dates_dd_mm_aaaa(cliente_soporte):
    """A browser asking for English (no English catalog yet) got m/d/Y dates, "p.m."
    times with the seconds after them, and a date typed dd/mm/aaaa refused."""
    momento = datetime.datetime(2026, 3, 11, 1, 30, 15, tzinfo=UTC)
    with translation.override("en"):
        assert formato.fecha(D(2026, 3, 24)) == "24/03/2026"
        assert formato.fecha_hora(momento, "segundos") == "10/03/2026 21:30:15"
        assert formato.hora(T(21, 30)) == "21:30"
    caso = CasoFactory(fecha_inicio=D(2026, 3, 24))
    otro = CasoFactory(fecha_inicio=D(2026, 3, 25))
    ingles = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}

    html = cliente_soporte.get(f"/casos/{caso.pk}/", **ingles).content.decode()
    assert "24/03/2026" in html
    assert "03/24/2026" not in html
    filtro = "fecha_inicio_after=24/03/2026&fecha_inicio_before=24/03/2026"
    filtrada = cliente_soporte.get(f"/casos/?{filtro}", **ingles).content.decode()
    assert caso.documento in filtrada
    assert otro.documento not in filtrada


@pytest.mark.parametrize("idioma", ["es", "en"])
@settings(max_examples=300, deadline=None)
@given(
    momento=st.datetimes(
        min_value=datetime.datetime(1, 1, 2), max_value=datetime.datetime(9999, 12, 30)
    )
)
def test_dates_and_times_read_as_djangos_own_formatter_writes_them(idioma, momento):
    """fecha(), hora() and fecha_hora() skip Django's formatter for number-only formats."""
    from django.utils import formats

    with translation.override(idioma):
        assert formato.fecha(momento.date()) == formats.date_format(
            momento.date(), "SHORT_DATE_FORMAT"
        )
        assert formato.hora(momento.time()) == formats.time_format(momento.time(), "TIME_FORMAT")
        assert formato.fecha_hora(momento) == formats.date_format(momento, "SHORT_DATETIME_FORMAT")
        assert formato.fecha_hora(momento, "segundos") == formats.date_format(
            momento, formats.get_format("SHORT_DATETIME_FORMAT") + ":s"
        )


def test_a_format_with_names_still_goes_through_djangos_formatter():
    with translation.override("es"):
        assert formato._formatear(D(2026, 3, 9), "YEAR_MONTH_FORMAT") == "marzo de 2026"


@settings(max_examples=300, deadline=None)
@given(texto=st.text(), largo=st.integers(min_value=1, max_value=40))
def test_recortar_is_truncators_chars(texto, largo):
    from django.utils.text import Truncator

    assert formato.recortar(texto, largo) == Truncator(texto).chars(largo)


@pytest.mark.parametrize("idioma", ["es", "en"])
@settings(max_examples=300, deadline=None)
@given(
    valor=st.one_of(
        st.integers(),
        st.decimals(allow_nan=False, allow_infinity=False),
        st.decimals(min_value=-10_000, max_value=10_000, places=2),
        st.booleans(),
        st.floats(allow_nan=False),
        st.sampled_from([Decimal("1E+300"), Decimal("-0.00"), Decimal("1.5E-250"), 10**30]),
    )
)
def test_numero_is_djangos_localize(idioma, valor):
    from django.utils import formats

    with translation.override(idioma):
        assert formato.numero(valor) == str(formats.localize(valor))
