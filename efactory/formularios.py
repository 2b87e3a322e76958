"""What the project's crispy forms share."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout


def ayudante(*partes) -> FormHelper:
    """The crispy helper of a form drawn inside the page's own ``<form>``, laid out as
    ``partes``.

    The page's form tag wraps this form and its formsets and carries the CSRF token, so the
    helper draws neither.
    """
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*partes)
    return helper
