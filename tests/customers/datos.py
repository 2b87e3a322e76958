"""POST bodies of the client editor, as a browser sends them."""

from tests.formularios import cuerpo_formset

PREFIJO = "contactos"


def datos_cliente(**cambios) -> dict:
    """A valid new client, as the editor's form sends it."""
    datos = {
        "codigo": "FN001",
        "nombre": "Ferretería Ñandú, C.A.",
        "tipo": "empresa",
        "estatus": "activo",
        "rif": "J-12345678-9",
        "email": "compras@nandu.com.ve",
        "telefono": "0212-555-1234",
        "direccion": "Av. Principal, Caracas",
        "interno": False,
    }
    datos.update(cambios)
    return datos


def datos_de(cliente, **cambios) -> dict:
    """The editor's client fields for a stored client, as the page sends them back."""
    datos = {
        "codigo": cliente.codigo,
        "nombre": cliente.nombre,
        "tipo": cliente.tipo,
        "estatus": cliente.estatus,
        "rif": cliente.rif,
        "email": cliente.email,
        "telefono": cliente.telefono,
        "direccion": cliente.direccion,
        "interno": cliente.interno,
        "version": cliente.version,
    }
    datos.update(cambios)
    return datos


def fila_de(contacto, **cambios) -> dict:
    """A stored contact's row, as the page sends it back."""
    fila = {
        "id": contacto.pk,
        "nombre": contacto.nombre,
        "cargo": contacto.cargo,
        "email": contacto.email,
        "telefono": contacto.telefono,
        "activo": contacto.activo,
    }
    fila.update(cambios)
    return fila


def datos_post(cliente: dict, filas: list[dict], vacias: int = 0) -> dict:
    """The client fields (no prefix) plus the Contactos formset.

    Rows with an ``id`` are stored contacts and come first (Django counts them in
    INITIAL_FORMS). ``DELETE=True`` marks a row for deletion. ``vacias`` untouched extra rows
    follow, as the page renders them (their Activo box checked). Booleans are sent as "on"
    when true and left out when false, like a browser does; ``None`` is left out.
    """
    filas = [*filas, *({"activo": True} for _ in range(vacias))]
    return cuerpo_formset(cliente, PREFIJO, filas, max_num=500)
