"""Building POST bodies as a browser sends them: a main form plus one inline formset, or a
page's form read back from its HTML."""

from html.parser import HTMLParser


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


class _Formulario(HTMLParser):
    """The successful controls of the first <form> whose class list has ``clase``, in order:
    what a browser with JavaScript on submits (<noscript> and <template> contents are not
    controls of the page)."""

    def __init__(self, clase: str):
        super().__init__(convert_charrefs=True)
        self.clase = clase
        self.dentro = False
        self.terminado = False
        self.ocultos = 0  # depth inside <noscript>/<template>
        self.pares: list[tuple[str, str]] = []
        self.textarea = self.select = None
        self.opcion = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.dentro and not self.terminado:
            self.dentro = self.clase in (a.get("class") or "").split()
            return
        if not self.dentro:
            return
        if tag in ("noscript", "template"):
            self.ocultos += 1
        if self.ocultos or "name" not in a and tag != "option":
            return
        if tag == "input":
            tipo = a.get("type", "text")
            if tipo in ("checkbox", "radio") and "checked" not in a:
                return
            if tipo in ("submit", "button", "file"):
                return
            valor = a.get("value")
            self.pares.append(
                (a["name"], valor if valor is not None else "on" * (tipo == "checkbox"))
            )
        elif tag == "textarea":
            self.textarea = [a["name"], ""]
        elif tag == "select":
            self.select = {"name": a["name"], "primera": None, "elegida": None}
        elif tag == "option" and self.select is not None:
            self.opcion = a.get("value")
            if self.select["primera"] is None:
                self.select["primera"] = self.opcion
            if "selected" in a:
                self.select["elegida"] = self.opcion

    def handle_endtag(self, tag):
        if not self.dentro:
            return
        if tag == "form":
            self.dentro, self.terminado = False, True
        elif tag in ("noscript", "template"):
            self.ocultos -= 1
        elif tag == "textarea" and self.textarea:
            nombre, texto = self.textarea
            # A newline right after <textarea> is not part of the value.
            self.pares.append((nombre, texto[1:] if texto.startswith("\n") else texto))
            self.textarea = None
        elif tag == "select" and self.select:
            s = self.select
            elegida = s["elegida"] if s["elegida"] is not None else s["primera"]
            if elegida is not None:
                self.pares.append((s["name"], elegida))
            self.select = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data


def cuerpo_de_la_pagina(html: str, clase: str) -> dict:
    """The POST body a browser sends for the page's form of class ``clase``, untouched."""
    lector = _Formulario(clase)
    lector.feed(html)
    return dict(lector.pares)
