"""What the project's paged lists share (the cases and the clients): a paginator whose count
stays cheap on very large tables, ``?por_pagina=``, and the ListView paging that goes with them.
"""

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

    def __init__(self, *args, pagina_pedida=None, filas=None, **kwargs):
        super().__init__(*args, **kwargs)
        # What the second step reads the page's rows from (see page()).
        self.filas = filas
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

    def page(self, number):
        """The page's rows in two steps: their keys, then the rows themselves.

        ``LIMIT 25 OFFSET 49975`` over the joined, fully selected query makes the database
        join and build 50,000 rows it then throws away; over the keys alone it walks one
        index (the sort's), so page 2000 costs about what page 1 does.

        The rows are read by ``filas`` when given: a PreparadaDeModelos of the keys
        (efactory/preparadas.py) that reads the columns the page shows, with their related
        rows, and whose SQL is compiled once per page size; else from the listed queryset
        itself. The filters need not be applied again to rows already chosen by them.
        """
        number = self.validate_number(number)
        desde = (number - 1) * self.per_page
        hasta = desde + self.per_page
        if hasta + self.orphans >= self.count:
            hasta = self.count
        lista = self.object_list
        if not hasattr(lista, "values_list"):
            return self._get_page(lista[desde:hasta], number, self)
        claves = list(lista.values_list("pk", flat=True)[desde:hasta])
        if self.filas is None:
            filas = lista.order_by().filter(pk__in=claves)
        else:
            filas = self.filas.filas(claves, using=lista.db)
        por_clave = {obj.pk: obj for obj in filas}
        filas = [por_clave[clave] for clave in claves if clave in por_clave]
        return self._get_page(filas, number, self)


# The choices a paged list offers (includes/_por_pagina.html).
OPCIONES_POR_PAGINA = [10, 25, 50, 100, 200]


def por_pagina(request, defecto=25, minimo=10, maximo=200) -> int:
    """?por_pagina= clamped to [minimo, maximo]; junk gives the default."""
    try:
        valor = int(request.GET.get("por_pagina", defecto))
    except (TypeError, ValueError):
        return defecto
    return min(max(valor, minimo), maximo)


class ListaFiltradaMixin:
    """For a ListView whose ``get_queryset()`` sets ``self.filterset`` (a FiltrosBase).

    Pages with :class:`ConteoAcotadoPaginator`; a junk or out-of-range ``?page=`` shows a real
    page, not a 404. The context gets the filterset, how many filters are in effect and which
    parameters were ignored (``includes/_ignorados.html``).
    """

    paginator_class = ConteoAcotadoPaginator

    def get_filas(self):
        """What reads the page's rows from their keys (ConteoAcotadoPaginator's ``filas``):
        None reads them from the listed queryset."""
        return None

    def get_paginator(self, queryset, per_page, **kwargs):
        return self.paginator_class(
            queryset,
            per_page,
            pagina_pedida=self.request.GET.get("page"),
            filas=self.get_filas(),
            **kwargs,
        )

    def paginate_queryset(self, queryset, page_size):
        """Like ListView's, but a junk or out-of-range ?page= shows a real page, not a 404."""
        paginator = self.get_paginator(queryset, page_size)
        # pagina_pedida is ?page= made ≥ 1 (junk → 1): page=0 or -1 shows the first page,
        # not the last one as Paginator.get_page() would; past the end shows the last one.
        page = paginator.get_page(paginator.pagina_pedida)
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            filterset=self.filterset,
            filtros_activos=self.filterset.activos(),
            ignorados=self.filterset.parametros_ignorados(),
        )
        return context
