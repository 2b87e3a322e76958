"""Error pages: a database outage answers 503 in Spanish, not a traceback or a bare 500."""

import sys

from django.db import InterfaceError, OperationalError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token

BASE_DE_DATOS_CAIDA = (OperationalError, InterfaceError)


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
