"""The case editor's conflict panel: the case's words and rows for efactory.versiones."""

from django.utils.translation import gettext_lazy as _

from efactory import versiones

from .models import Actividad, Caso

TEXTOS = versiones.TextosDeConflicto(
    titulo=_("Otra persona guardó este caso mientras usted lo editaba"),
    filas=_("Actividades:"),
    fila_eliminada=_(
        "%(fila)s: otra persona eliminó esta actividad mientras usted la tenía en pantalla; "
        "sigue en su pantalla como renglón nuevo: elimínela si no debe volver."
    ),
    fila_difiere=_("%(fila)s: difiere en %(campos)s."),
    fila_agregada=_("%(fila)s: la agregó otra persona; ya aparece entre sus actividades."),
)


def historiales(caso: Caso) -> list:
    """The history records that say who saved the case last: its own and its rows'."""
    return [caso.history.all(), Actividad.history.filter(caso_id=caso.pk)]


def describir(form, formset, actual: Caso) -> versiones.Conflicto:
    """Fields and activities where the user's page differs from the case stored now."""
    return versiones.describir(
        form,
        formset,
        actual,
        filas=actual.actividades.select_related("ejecutor"),
        historiales=historiales(actual),
        textos=TEXTOS,
    )
