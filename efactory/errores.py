"""Error pages: a database outage answers 503 in Spanish, not a traceback or a bare 500."""

import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponseBadRequest
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

BASE_DE_DATOS_CAIDA = (OperationalError, InterfaceError)


@requires_csrf_token
def solicitud_incorrecta(request, exception):
    """handler400: Django's page, plus what to do when the form sent was too big.

    A POST over DATA_UPLOAD_MAX_MEMORY_SIZE cannot be read, so no form can be shown again
    with its errors; the page says so, and that the text is still in the previous page.
    """
    contexto = {}
    if isinstance(exception, RequestDataTooBig):
        contexto["limite_mb"] = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    return HttpResponseBadRequest(loader.get_template("400.html").render(contexto))


@requires_csrf_token
def error_servidor(request):
    """handler500: 503 with a "try again" page when the database is unreachable, else 500.

    Django calls this inside its exception handler, so ``sys.exc_info()`` is the error. The
    broken connection is discarded at the end of the request (Django closes connections
    that had errors and are no longer usable), and CONN_HEALTH_CHECKS makes the next request
    open a fresh one: no restart is needed once the database is back.
    """
    error = sys.exc_info()[1]
    if isinstance(error, BASE_DE_DATOS_CAIDA):
        from django.http import HttpResponse

        contenido = loader.get_template("503.html").render()
        respuesta = HttpResponse(contenido, status=503)
        respuesta["Retry-After"] = "30"
        return respuesta
    from django.views.defaults import server_error

    return server_error(request)
