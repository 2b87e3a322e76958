"""``{% tabla %}``: a data table as every page shows one (template library ``tablas``).

    {% load tablas %}
    {% tabla "table-sm align-middle lista-clientes" _("Lista de clientes") %}
      <thead>…</thead><tbody>…</tbody>
    {% endtabla %}

The table sits in a region that scrolls sideways on a narrow screen (the page does not) and
takes the keyboard focus to do so; its title is a caption for screen readers.
"""

from django import template
from django.utils.translation import gettext as _

from efactory.marcado import format_html

register = template.Library()

MARCO = (
    '<div class="table-responsive" tabindex="0" role="region" aria-label="{}">'
    '<table class="table {}"><caption class="visually-hidden">{}</caption>{}</table></div>'
)


class TablaNode(template.Node):
    def __init__(self, clases, titulo, contenido):
        self.clases = clases
        self.titulo = titulo
        self.contenido = contenido

    def render(self, context):
        return format_html(
            MARCO,
            _("Tabla desplazable"),
            self.clases.resolve(context),
            self.titulo.resolve(context),
            self.contenido.render(context),
        )


@register.tag
def tabla(parser, token):
    """``{% tabla clases titulo %}`` … ``{% endtabla %}``: the table's CSS classes (after
    Bootstrap's ``table``) and its caption."""
    partes = token.split_contents()
    if len(partes) != 3:
        raise template.TemplateSyntaxError("{% tabla %} lleva las clases y el título.")
    clases, titulo = (parser.compile_filter(parte) for parte in partes[1:])
    contenido = parser.parse(("endtabla",))
    parser.delete_first_token()
    return TablaNode(clases, titulo, contenido)
