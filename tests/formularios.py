"""Building POST bodies as a browser sends them: a main form plus one inline formset."""


def valor_post(valor):
    """A browser sends a ticked box as "on" and leaves out unticked boxes and empty values."""
    return "on" if valor is True else str(valor)


def cuerpo_formset(principal: dict, prefijo: str, filas: list[dict], max_num: int) -> dict:
    """The form's fields (no prefix) and the formset ``prefijo`` with ``filas``.

    Rows with an ``id`` are stored rows and must come first (Django counts them in
    INITIAL_FORMS). ``None`` and ``False`` values are left out, like a browser does.
    """
    datos = {c: valor_post(v) for c, v in principal.items() if v is not None and v is not False}
    iniciales = sum(1 for fila in filas if fila.get("id"))
    assert all(fila.get("id") for fila in filas[:iniciales]), "stored rows go first"
    datos[f"{prefijo}-TOTAL_FORMS"] = str(len(filas))
    datos[f"{prefijo}-INITIAL_FORMS"] = str(iniciales)
    datos[f"{prefijo}-MIN_NUM_FORMS"] = "0"
    datos[f"{prefijo}-MAX_NUM_FORMS"] = str(max_num)
    for i, fila in enumerate(filas):
        for campo, valor in fila.items():
            if valor is not None and valor is not False:
                datos[f"{prefijo}-{i}-{campo}"] = valor_post(valor)
    return datos
