"""A paginator whose count query stays cheap on very large tables."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class ConteoAcotadoPaginator(Paginator):
    """Count at most up to a bound that depends on the page asked for.

    ``SELECT COUNT(*)`` over a million cases costs more than the page itself. This paginator
    counts ``SELECT COUNT(*) FROM (SELECT id … LIMIT cota + 1)`` with ``cota`` = the larger of
    ``COTA_MINIMA`` and ten pages beyond the one asked for, without ORDER BY. When there are
    more rows than that, ``exacto`` is False and the page says "más de N"; the "next" link
    keeps working, since each request bounds its count from its own page number.
    """

    COTA_MINIMA = 10_000
    # The bound goes into LIMIT, which must fit a signed 64-bit integer on SQLite and
    # PostgreSQL: ?page=99999999999999999999 would otherwise overflow it (a 500).
    COTA_MAXIMA = 2**62

    def __init__(self, *args, pagina_pedida=None, **kwargs):
        super().__init__(*args, **kwargs)
        try:
            self.pagina_pedida = max(int(pagina_pedida), 1)
        except (TypeError, ValueError):
            self.pagina_pedida = 1
        self.exacto = True

    @cached_property
    def cota(self) -> int:
        return min(
            max(self.COTA_MINIMA, (self.pagina_pedida + 10) * self.per_page), self.COTA_MAXIMA
        )

    @cached_property
    def count(self) -> int:
        lista = self.object_list
        if not hasattr(lista, "order_by"):
            return len(lista)
        n = lista.order_by().values("pk")[: self.cota + 1].count()
        if n > self.cota:
            self.exacto = False
            return self.cota
        return n
