"""Hours as people read and bill them: activities store minutes, pages show decimal hours."""

from decimal import Decimal


def minutos_a_horas(minutos: int | None) -> Decimal:
    """Minutes as decimal hours, rounded to cents of an hour (what gets billed)."""
    return (Decimal(minutos or 0) / Decimal(60)).quantize(Decimal("0.01"))
