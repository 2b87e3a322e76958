"""Primary keys as they arrive in requests: a posted id is junk unless it can be one."""

MAX_PK = 2**63 - 1  # larger "ids" are junk: the database cannot even compare them


def es_pk(valor) -> bool:
    """Whether ``valor`` can be a primary key: ASCII digits within a 64-bit integer."""
    texto = str(valor)
    return texto.isascii() and texto.isdigit() and int(texto) <= MAX_PK
